"""Report figures of representation-learning/digits-canvas for ``zoo bench`` (``zoo_figures`` hook).

* ``crops``: one held-out test canvas per digit class with crops drawn from the model's channel
  (thin orange boxes), q_phi's mean crop (thick blue, learned channel only) and the digit's square
  (dashed green): a trainable channel learns to crop the digit, fixed random crops mostly miss it;
* ``views``: what the encoder sees, the resampled crops of a few canvases;
* ``spectrum``: the normalised singular values of the test representations (a collapsed
  representation has few that matter), with the effective rank in the title.

Drawn on ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot state).

Example::

    import zoo
    from pathlib import Path
    from zoo_contrastive.figures_tac import draw
    from zoo_contrastive.tasks_tac import DigitsCanvasTask
    draw(zoo.load("tac-digits-canvas"), DigitsCanvasTask(), Path("figs"), name="tac-digits-canvas")
"""

from __future__ import annotations

from pathlib import Path

import torch

from zoo_contrastive.canvas import DigitsCanvas
from zoo_contrastive.collapse import effective_rank
from zoo_contrastive.crops import digit_coverage
from zoo_contrastive.tasks_tac import PROBE_TEST, representations

__all__ = ["draw", "draw_crops"]


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _examples(per_class: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    ds = DigitsCanvas("test")
    labels = ds.labels[ds.index]
    picks = [int(i) for c in range(10) for i in (labels == c).nonzero().flatten()[:per_class]]
    x = torch.stack([ds[i][0] for i in picks])
    return x, labels[picks], ds.digit_boxes()[picks]


def _rect(ax, box, canvas: int, **style):
    from matplotlib.patches import Rectangle

    cx, cy, s = (float(v) for v in box)
    ax.add_patch(Rectangle(((cx - s + 1) * canvas / 2 - 0.5, (cy - s + 1) * canvas / 2 - 0.5), s * canvas, s * canvas,
                           fill=False, **style))


def draw_crops(ax_list, model, x, digit_boxes, *, draws: int = 6, seed: int = 0) -> None:
    """Canvases ``x`` on ``ax_list`` with ``draws`` crops of the model's channel, its mean crop, the digit box."""
    model.eval()
    with torch.no_grad():
        boxes, _ = model.sample_boxes(x, generator=torch.Generator().manual_seed(seed), draws=draws)
        mean = model.mean_boxes(x)
    canvas = x.shape[-1]
    for i, ax in enumerate(ax_list):
        ax.imshow(x[i, 0].numpy(), cmap="gray", vmin=0, vmax=1)
        for d in range(draws):
            _rect(ax, boxes[d, i], canvas, edgecolor="orange", linewidth=0.8, alpha=0.8)
        if mean is not None:
            _rect(ax, mean[i], canvas, edgecolor="deepskyblue", linewidth=2)
        _rect(ax, digit_boxes[i], canvas, edgecolor="lime", linewidth=1, linestyle="--")
        cov = float(digit_coverage(boxes[:, i], digit_boxes[i].expand(draws, 3)).mean())
        ax.set_title(f"digit in crop {cov:.0%}", fontsize=7)
        ax.set_xlim(-0.5, canvas - 0.5), ax.set_ylim(canvas - 0.5, -0.5)
        ax.set_xticks([]), ax.set_yticks([])


def crops(model, out: Path, *, name: str) -> Path:
    x, _, dboxes = _examples()
    fig = _figure(10, 4.6)
    draw_crops(fig.subplots(2, 5).flatten(), model, x, dboxes)
    kind = "q_phi's draws (orange), its mean crop (blue)" if model.channel == "learned" else "fixed random crops (orange)"
    fig.suptitle(f"{name}: {kind}, the digit (dashed green); held-out test canvases", fontsize=9)
    fig.savefig(out)
    return out


def views(model, out: Path, *, name: str, canvases: int = 4, draws: int = 8) -> Path:
    x, _, _ = _examples()
    x = x[:canvases]
    with torch.no_grad():
        boxes, _ = model.sample_boxes(x, generator=torch.Generator().manual_seed(1), draws=draws)
        v = model.views(x, boxes)
    fig = _figure(draws * 0.9, canvases * 0.95)
    for (i, d), ax in zip([(i, d) for i in range(canvases) for d in range(draws)], fig.subplots(canvases, draws).flatten()):
        ax.imshow(v[d, i, 0].numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(f"{name}: the encoder's views (one row per canvas)", fontsize=9)
    fig.savefig(out)
    return out


def spectrum(model, out: Path, *, name: str, limit: int | None = None) -> Path:
    x, _ = DigitsCanvas("test").tensors(limit or PROBE_TEST)
    z = representations(model, x)
    sv = torch.linalg.svdvals(z - z.mean(0))
    fig = _figure(4.5, 2.8)
    ax = fig.subplots()
    ax.semilogy(range(1, len(sv) + 1), (sv / sv.sum()).clamp(min=1e-8).numpy(), marker="o", ms=2)
    ax.set_xlabel("index"), ax.set_ylabel("singular value / sum")
    ax.set_title(f"{name}: effective rank {effective_rank(z):.1f} of {z.shape[1]}", fontsize=9)
    fig.savefig(out)
    return out


def draw(model, task, out_dir: Path, *, name: str, limit: int | None = None) -> list[tuple[str, Path]]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [("Where the crops land", crops(model, out_dir / "crops.png", name=name)),
            ("The encoder's views", views(model, out_dir / "views.png", name=name)),
            ("Spectrum of the representation", spectrum(model, out_dir / "spectrum.png", name=name, limit=limit))]

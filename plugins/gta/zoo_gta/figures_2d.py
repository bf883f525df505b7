"""Report figures of classification/shifted-digits for ``zoo bench`` (``zoo_figures`` hook).

* ``predictions``: held-out test digits placed in the region never seen in training (right),
  each titled with the prediction (green when right, red when wrong);
* ``accuracy_by_column``: test accuracy at every top-left column 0..16, with the training
  columns shaded: a relative position code stays flat, an absolute one falls off outside.

Drawn on ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot state).

Example::

    import zoo
    from pathlib import Path
    from zoo_gta.figures_2d import draw
    from zoo_gta.tasks_2d import ShiftedDigitsTask
    draw(zoo.load("gta2d-vit-shifted-digits"), ShiftedDigitsTask(), Path("figs"), name="gta2d-vit-shifted-digits")
"""

from __future__ import annotations

from pathlib import Path

import torch

from zoo_gta.tasks_2d import REGIONS, ShiftedDigits, accuracy_by_column, predict

__all__ = ["draw"]


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def predictions(model, out: Path, *, name: str, per_class: int = 2) -> Path:
    ds = ShiftedDigits("test", "right")
    picks = [i for c in range(10) for i in (ds.labels[ds.index] == c).nonzero().flatten()[:per_class].tolist()]
    images = torch.stack([ds[i][0] for i in picks])
    labels = torch.stack([ds[i][1] for i in picks])
    n = len(picks)
    pred = predict(model, images)
    fig = _figure(n * 0.7, 1.3)
    for i, ax in enumerate(fig.subplots(1, n)):
        ax.imshow(images[i, 0].numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{int(pred[i])}", color="green" if pred[i] == labels[i] else "red", fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(f"{name}: predictions on held-out digits in the unseen (right) region", fontsize=9)
    fig.savefig(out)
    return out


def by_column(model, out: Path, *, name: str, limit: int | None = None) -> Path:
    acc = accuracy_by_column(model, limit=limit)
    fig = _figure(5, 2.8)
    ax = fig.subplots()
    lo, hi = REGIONS["left"]
    ax.axvspan(lo - 0.5, hi + 0.5, color="g", alpha=0.12, label="training columns")
    ax.plot(range(len(acc)), acc, marker="o", ms=3)
    ax.set_xlabel("top-left column of the digit (test digits)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left")
    ax.set_title(name, fontsize=9)
    fig.savefig(out)
    return out


def draw(model, task, out_dir: Path, *, name: str, limit: int | None = None) -> list[tuple[str, Path]]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [("Predictions on held-out digits, unseen region", predictions(model, out_dir / "predictions.png", name=name)),
            ("Accuracy by digit position", by_column(model, out_dir / "accuracy_by_column.png", name=name,
                                                     limit=limit))]

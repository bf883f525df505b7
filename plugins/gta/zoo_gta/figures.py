"""Report figure for ``zoo bench`` (``zoo_figures`` hook): rendered target views beside the truth.

For a few test scenes (training poses, then held-out poses) one row shows the 2 input views,
then each of the 3 target views as ground truth and as rendered by the model, with the PSNR
of each rendering. Drawing uses ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot).

Example::

    import zoo
    from pathlib import Path
    from zoo_gta.figures import draw
    from zoo_gta.tasks import MultiviewScenesTask
    draw(zoo.load("gta-srt-multiview-scenes"), MultiviewScenesTask(), Path("figs"), name="gta")
"""

from __future__ import annotations

from pathlib import Path

import torch

from zoo_gta.metrics import psnr
from zoo_gta.tasks import VIEWS_IN, render_views, scene_batch

__all__ = ["draw", "renders"]


def renders(model, task, out: Path, *, title: str, poses: str = "train", n_scenes: int = 4) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ds = task.dataset("test", poses=poses)
    b = scene_batch([ds[i] for i in range(min(n_scenes, len(ds)))])
    pred = render_views(model.eval(), b["images"], b["extrinsics"], b["intrinsics"])
    true = b["images"][:, VIEWS_IN:]
    n, nt = pred.shape[:2]
    cols = VIEWS_IN + 2 * nt
    fig = Figure(figsize=(1.3 * cols, 1.45 * n + 0.4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(title, fontsize=9)
    axes = fig.subplots(n, cols, squeeze=False)
    show = lambda ax, img, label: (ax.imshow(img.clamp(0, 1).permute(1, 2, 0).numpy()), ax.set_title(label, fontsize=7),
                                  ax.set_xticks([]), ax.set_yticks([]))
    for i in range(n):
        for v in range(VIEWS_IN):
            show(axes[i, v], b["images"][i, v], f"input {v + 1}")
        for t in range(nt):
            p = psnr(pred[i, t:t + 1], true[i, t:t + 1]).item()
            show(axes[i, VIEWS_IN + 2 * t], true[i, t], f"target {t + 1}")
            show(axes[i, VIEWS_IN + 2 * t + 1], pred[i, t], f"rendered {p:.1f} dB")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    return out


def draw(model, task, out_dir: Path, *, name: str) -> list[tuple[str, Path]]:
    """Renders of held-out test scenes at training poses and at held-out poses."""
    out_dir = Path(out_dir)
    figs = []
    for poses, label in (("train", "held-out scenes"), ("heldout", "held-out camera poses")):
        title = f"{name}: {label} (2 input views; targets: truth | rendered)"
        figs.append((title, renders(model, task, out_dir / f"{name}-renders-{poses}.png", title=title, poses=poses)))
    return figs

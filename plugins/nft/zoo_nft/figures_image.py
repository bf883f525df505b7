"""Report figures of representation/rotated-digits for ``zoo bench`` (``zoo_figures`` hook).

* ``rotations`` (models that predict views, i.e. g-NFT): for held-out digits, one input view
  (left column), then the model's prediction of that digit at 8 target angles (0, 45, ..., 315
  degrees, upright = 0) beside the true rotated digit underneath; in-domain digits 0-4 and
  never-seen digits 5-9.
* ``reconstructions`` (the other models with a decoder): input and reconstruction.

Drawn on ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot state).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from zoo_nft.rotdigits import RotatedDigits, rotate

__all__ = ["draw", "rotations"]

ANGLES = 8


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@torch.no_grad()
def rotations(model, out: Path, *, name: str, per_split: int = 3) -> Path:
    """Grid: per digit two rows (prediction, truth), columns = input view + 8 target angles."""
    model.eval()
    rows = []
    for classes, label in (("in", "test digits 0-4"), ("ood", "unseen digits 5-9")):
        ds = RotatedDigits("test", classes, seed=7)
        x, a, y = ds.views(torch.arange(0, per_split * 37, 37) % len(ds))
        targets = torch.arange(ANGLES) * 2 * math.pi / ANGLES
        for i in range(per_split):
            xin, ain = x[i:i + 1, 0].expand(ANGLES, -1, -1, -1), a[i:i + 1, 0].expand(ANGLES)
            pred = model.predict([xin], [ain], targets)
            base = ds.images[ds.index[i * 37 % len(ds)]][None].expand(ANGLES, -1, -1, -1)
            truth = rotate(base, targets)
            rows.append((f"{label}: {int(y[i])}", x[i, 0, 0], pred[:, 0], truth[:, 0]))
    fig = _figure(1.0 * (ANGLES + 1), 2.0 * len(rows))
    grid = fig.subplots(2 * len(rows), ANGLES + 1)
    for r, (title, xin, pred, truth) in enumerate(rows):
        for k in range(2):
            ax = grid[2 * r + k, 0]
            ax.imshow(xin if k == 0 else torch.zeros_like(xin), cmap="gray", vmin=0, vmax=1)
            if k == 0:
                ax.set_title(title, fontsize=7)
                ax.set_ylabel("input", fontsize=7)
        for j in range(ANGLES):
            for k, img in enumerate((pred[j], truth[j])):
                ax = grid[2 * r + k, j + 1]
                ax.imshow(img.clamp(0, 1), cmap="gray", vmin=0, vmax=1)
                if r == 0 and k == 0:
                    ax.set_title(f"{360 * j // ANGLES} deg", fontsize=7)
                if j == 0:
                    ax.set_ylabel("pred" if k == 0 else "truth", fontsize=7)
    for ax in grid.flat:
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle(f"{name}: one input view -> the digit at 8 angles (prediction above, truth below)", fontsize=9)
    path = Path(out) / f"{name}-rotations.png"
    fig.savefig(path)
    return path


@torch.no_grad()
def reconstructions(model, out: Path, *, name: str, n: int = 8) -> Path:
    model.eval()
    x, _, _ = RotatedDigits("test", "in", seed=7).views(torch.arange(n))
    rec = model(x[:, 0])
    fig = _figure(n, 2.2)
    grid = fig.subplots(2, n)
    for j in range(n):
        for k, img in enumerate((x[j, 0, 0], rec[j, 0])):
            grid[k, j].imshow(img.clamp(0, 1), cmap="gray", vmin=0, vmax=1)
            grid[k, j].set_xticks([]), grid[k, j].set_yticks([])
    grid[0, 0].set_ylabel("input", fontsize=7)
    grid[1, 0].set_ylabel("output", fontsize=7)
    fig.suptitle(f"{name}: test views and the model's output", fontsize=9)
    path = Path(out) / f"{name}-reconstructions.png"
    fig.savefig(path)
    return path


def draw(model, task, out_dir: Path, *, name: str) -> list[tuple[str, Path]]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "predict") and hasattr(model, "actions"):
        return [("Predicted rotated views beside the truth", rotations(model, out_dir, name=name))]
    if hasattr(model, "decoder"):
        return [("Reconstructions", reconstructions(model, out_dir, name=name))]
    return []

"""Report figures for ``zoo bench`` (``zoo_figures`` hook, task prefix ``generation/digits32``).

``sample_grids(model, task, out_dir, name=...)`` draws samples of a generator: one row per
class for a conditional model (the per-class grid of the projection paper), a plain grid
for an unconditional one. Seeded, so the same weights give the same picture.
"""

from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["sample_grids", "image_grid"]


def image_grid(images: torch.Tensor, rows: int) -> torch.Tensor:
    """Tile ``(rows * cols, C, H, W)`` images in [-1, 1] into one ``(H*rows, W*cols, C)``
    array in [0, 1] (1-pixel white gutters)."""
    n, c, h, w = images.shape
    if n % rows:
        raise ValueError(f"{n} images do not fill {rows} rows")
    cols = n // rows
    grid = torch.ones(c, rows * (h + 1) - 1, cols * (w + 1) - 1)
    for k, img in enumerate(images.clamp(-1, 1).add(1).div(2)):
        r, q = divmod(k, cols)
        grid[:, r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] = img
    return grid.permute(1, 2, 0)


@torch.no_grad()
def sample_grids(model, task, out_dir: Path, *, name: str, per_class: int = 10,
                 seed: int = 0) -> list[tuple[str, Path]]:
    """Draw a sample grid of ``model`` into ``out_dir/samples.png``; returns ``[(title, path)]``.

    Conditional models: row ``c`` holds ``per_class`` samples of class ``c`` (same latents
    in every row, so columns show one latent across classes). Unconditional: 10 rows.
    """
    from matplotlib.figure import Figure  # no pyplot: no global state

    model.eval()
    gen = torch.Generator().manual_seed(seed)
    n_classes = int(getattr(model, "n_classes", 0) or 0)
    rows = n_classes or 10
    if n_classes:
        z = model.sample_latents(per_class, generator=gen).repeat(n_classes, 1)
        labels = torch.arange(n_classes).repeat_interleave(per_class)
        images = model.generator(z, labels.to(z.device))
        title = f"{name}: samples per class (row = class 0..{n_classes - 1}, column = latent)"
    else:
        images = model.sample(rows * per_class, generator=gen)
        title = f"{name}: samples"
    grid = image_grid(images.float().cpu(), rows)
    fig = Figure(figsize=(per_class * 0.55, rows * 0.55 + 0.4), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.imshow(grid.numpy(), interpolation="nearest")
    ax.set_axis_off()
    fig.suptitle(title, fontsize=8)
    path = Path(out_dir) / "samples.png"
    fig.savefig(path)
    caption = "Samples per class (seed 0)" if n_classes else "Samples (seed 0)"
    return [(caption, path)]

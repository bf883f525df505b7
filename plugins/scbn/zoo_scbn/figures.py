"""The paper-style figure for ``zoo bench`` (``zoo_figures`` hook, task ``editing/fontdigits32``).

Three rows, seeded: (1) label collage, class ``a`` with its left half relabelled to class ``b``
at strengths 0 .. 1; (2) feature blends, the reference latent's right half pasted into the
source at strengths 0 .. 1; (3) a held-out real test digit, its projection ``G(z*)`` (from the
task's encoder where it has published weights, else from a random latent), then that projection
relabelled to other classes by sCBN (whole image).
"""

from __future__ import annotations

from pathlib import Path

import torch

__all__ = ["collage_rows", "draw"]

STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)


@torch.no_grad()
def collage_rows(model, *, seed: int = 0, classes=(3, 8), projection_steps: int = 200,
                 encoder=None) -> tuple[list[torch.Tensor], list[str]]:
    """The three rows as image batches ``(N, 3, S, S)`` and their labels."""
    from zoo_sngan.fontdigits import font_digits32_tensors

    model.eval()
    g = model.generator
    s = g.image_size
    gen = torch.Generator().manual_seed(seed)
    z = model.sample_latents(2, generator=gen)
    half = torch.zeros(s, s)
    half[:, s // 2:] = 1
    a, b = classes
    left = 1 - half  # 3 and 8 differ in their left halves: relabelling the left half shows the edit
    row1 = torch.cat([model.label_collage(z[:1], base=a, masks={b: left}, strength=t) for t in STRENGTHS])
    row2 = torch.cat([model.feature_collage(z[:1], z[1:], half, y=a, strength=t) for t in STRENGTHS])
    x, y = font_digits32_tensors("test")
    i = 1000 + int(torch.randint(1000, (1,), generator=gen))  # a held-out font
    with torch.enable_grad():
        z_star, _ = model.project(x[i:i + 1], y[i:i + 1], init="encoder" if encoder else "random",
                                  encoder=encoder, steps=projection_steps, seed=seed)
    targets = [(int(y[i]) + k) % g.n_classes for k in (1, 2, 3)]
    full = torch.ones(s, s)
    row3 = torch.cat([x[i:i + 1], g(z_star, y[i:i + 1])] +
                     [model.label_collage(z_star, base=int(y[i]), masks={c: full}) for c in targets])
    labels = [f"label collage: class {a}, left half class {b}, t = " + ", ".join(f"{t:g}" for t in STRENGTHS),
              "feature blend (right half from a 2nd latent), t = " + ", ".join(f"{t:g}" for t in STRENGTHS),
              f"real held-out {int(y[i])}, projection, then sCBN to {targets}"]
    return [row1, row2, row3], labels


def draw(model, task, out_dir: Path, *, name: str, seed: int = 0) -> list[tuple[str, Path]]:
    """Write ``out_dir/collage.png``; returns ``[(caption, path)]``."""
    from matplotlib.figure import Figure

    encoder = task.load_encoder() if hasattr(task, "load_encoder") else None
    rows, labels = collage_rows(model, seed=seed, encoder=encoder)
    labels[2] += " (encoder start)" if encoder is not None else " (random start)"
    fig = Figure(figsize=(5.5, 4.2), dpi=120, layout="constrained")
    axes = fig.subplots(len(rows), 1)
    for ax, row, label in zip(axes, rows, labels):
        grid = torch.cat(list(row.clamp(-1, 1).add(1).div(2)), dim=2).permute(1, 2, 0)
        ax.imshow(grid.numpy(), interpolation="nearest")
        ax.set_title(label, fontsize=7)
        ax.set_axis_off()
    fig.suptitle(f"{name}: neural collage (sCBN, feature blending, projection)", fontsize=8)
    path = Path(out_dir) / "collage.png"
    fig.savefig(path)
    return [("Label collage, feature blend, projected-then-edited real digit (seed 0)", path)]

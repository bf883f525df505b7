"""dSprites-style scenes, regenerated procedurally ("dsprites-style (regenerated)").

Not DeepMind's Multi-dSprites (which cannot be downloaded here), but scenes built the same
way: a 64x64 image with a uniform grey-level background and 1 to 4 sprites, each a square,
an ellipse or a heart (the dSprites shapes) at a random scale, rotation and position,
filled with one random colour. Later sprites occlude earlier ones. Instance masks:
0 background, 1..n sprites (occluded parts belong to the sprite in front; a sprite that
ends up fully hidden keeps no label).

Example::

    ds = DSpritesStyle(size=8, seed=0)
    image, mask = ds[0]    # [3, 64, 64] float in [0, 1], [64, 64] long
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

SHAPES = ("square", "ellipse", "heart")


def _inside(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether points (u, v) in the sprite's own frame (unit scale) lie inside ``shape``."""
    if shape == "square":
        return (np.abs(u) <= 0.5) & (np.abs(v) <= 0.5)
    if shape == "ellipse":
        return (u / 0.6) ** 2 + (v / 0.35) ** 2 <= 1.0
    # heart: the implicit curve (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, scaled to about unit size
    x, y = u * 2.4, -v * 2.4 + 0.2
    return (x ** 2 + y ** 2 - 1) ** 3 - x ** 2 * y ** 3 <= 0


def make_scene(rng: np.random.Generator, *, size: int = 64, max_objects: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """One scene: image ``[3, size, size]`` in [0, 1] and instance mask ``[size, size]``."""
    image = np.empty((3, size, size), dtype=np.float32)
    image[:] = rng.uniform(0.0, 1.0)  # grey background, as in Multi-dSprites
    mask = np.zeros((size, size), dtype=np.int64)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    n = int(rng.integers(1, max_objects + 1))
    for k in range(1, n + 1):
        shape = SHAPES[rng.integers(len(SHAPES))]
        scale = rng.uniform(0.2, 0.45) * size
        angle = rng.uniform(0, 2 * np.pi)
        cy, cx = rng.uniform(0.2 * size, 0.8 * size, size=2)
        cos, sin = np.cos(angle), np.sin(angle)
        dx, dy = (xx - cx) / scale, (yy - cy) / scale
        obj = _inside(shape, cos * dx + sin * dy, -sin * dx + cos * dy)  # rotate into the sprite frame
        if not obj.any():
            continue
        mask[obj] = k
        image[:, obj] = rng.uniform(0.0, 1.0, size=3).astype(np.float32)[:, None]
    present = [k for k in range(1, n + 1) if (mask == k).any()]
    relabel = np.zeros(n + 1, dtype=np.int64)
    relabel[present] = np.arange(1, len(present) + 1)
    return image, relabel[mask]


class DSpritesStyle(Dataset):
    """``size`` deterministic scenes; scene ``i`` depends only on ``(seed, i)``."""

    name = "dsprites-style (regenerated)"

    def __init__(self, *, size: int = 1000, seed: int = 0, image_size: int = 64, max_objects: int = 4) -> None:
        if image_size < 16:
            raise ValueError(f"image_size={image_size} is too small for sprites (use >= 16)")
        if max_objects < 1:
            raise ValueError(f"max_objects must be at least 1, got {max_objects}")
        self.size, self.seed, self.image_size, self.max_objects = size, seed, image_size, max_objects

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= i < self.size:
            raise IndexError(f"scene index {i} out of range [0, {self.size})")
        rng = np.random.default_rng([self.seed, i, 7])
        image, mask = make_scene(rng, size=self.image_size, max_objects=self.max_objects)
        return torch.from_numpy(image), torch.from_numpy(mask)


__all__ = ["DSpritesStyle", "make_scene", "SHAPES"]

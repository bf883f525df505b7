"""Tetrominoes-style scenes, regenerated procedurally ("tetrominoes-style (regenerated)").

Not the DeepMind multi-object-datasets Tetrominoes (which cannot be downloaded here), but
scenes built the same way: a black 32x32 background with 3 non-overlapping tetrominoes
(the 19 fixed orientations of the 5 free shapes), each made of 4 square blocks of
``block`` pixels and filled with one of 6 saturated colours. Instance masks: 0 background,
1..3 objects.

Example::

    ds = TetrominoesStyle(size=8, seed=0)
    image, mask = ds[0]    # [3, 32, 32] float in [0, 1], [32, 32] long
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

# the 19 fixed tetrominoes as (row, col) cells
_BASE = {
    "I": [(0, 0), (0, 1), (0, 2), (0, 3)], "O": [(0, 0), (0, 1), (1, 0), (1, 1)],
    "T": [(0, 0), (0, 1), (0, 2), (1, 1)], "S": [(0, 1), (0, 2), (1, 0), (1, 1)],
    "L": [(0, 0), (1, 0), (2, 0), (2, 1)],
}


def _orientations() -> list[np.ndarray]:
    shapes, seen = [], set()
    for cells in _BASE.values():
        for mirror in (False, True):
            c = np.array(cells)
            if mirror:
                c = c * np.array([1, -1])
            for _ in range(4):
                c = np.stack([c[:, 1], -c[:, 0]], 1)
                c = c - c.min(0)
                key = tuple(sorted(map(tuple, c)))
                if key not in seen:
                    seen.add(key)
                    shapes.append(c)
    return shapes


SHAPES = _orientations()  # 19 fixed tetrominoes
COLORS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=np.float32)


def make_scene(rng: np.random.Generator, *, size: int = 32, block: int = 4, objects: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """One scene: image ``[3, size, size]`` in [0, 1] and instance mask ``[size, size]``."""
    image = np.zeros((3, size, size), dtype=np.float32)
    mask = np.zeros((size, size), dtype=np.int64)
    placed = 0
    while placed < objects:
        cells = SHAPES[rng.integers(len(SHAPES))]
        h, w = (cells.max(0) + 1) * block
        top, left = rng.integers(0, size - h + 1), rng.integers(0, size - w + 1)
        obj = np.zeros((size, size), dtype=bool)
        for r, c in cells:
            obj[top + r * block: top + (r + 1) * block, left + c * block: left + (c + 1) * block] = True
        if (mask[obj] != 0).any():
            continue  # no occlusion, as in Tetrominoes
        placed += 1
        mask[obj] = placed
        image[:, obj] = COLORS[rng.integers(len(COLORS))][:, None]
    return image, mask


class TetrominoesStyle(Dataset):
    """``size`` deterministic scenes; scene ``i`` depends only on ``(seed, i)``."""

    name = "tetrominoes-style (regenerated)"

    def __init__(self, *, size: int = 1000, seed: int = 0, image_size: int = 32, block: int = 4) -> None:
        if image_size < 4 * block:
            raise ValueError(f"image_size={image_size} is too small for tetrominoes of block={block} pixels")
        self.size, self.seed, self.image_size, self.block = size, seed, image_size, block

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= i < self.size:
            raise IndexError(f"scene index {i} out of range [0, {self.size})")
        rng = np.random.default_rng([self.seed, i])
        image, mask = make_scene(rng, size=self.image_size, block=self.block)
        return torch.from_numpy(image), torch.from_numpy(mask)


__all__ = ["TetrominoesStyle", "make_scene", "SHAPES", "COLORS"]

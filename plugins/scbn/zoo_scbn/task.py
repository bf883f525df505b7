"""Task classification/scbn-quadrants: which quadrant of a noisy 8x8 image holds a brighter 2x2 square.

The data is generated from a seed, so it needs no download and every run sees the same
examples: the train split from seed 0, the test split from seed 1.
"""

from __future__ import annotations

import torch

SIZES = {"train": 4096, "test": 512}


def quadrant_images(n: int, *, seed: int, size: int = 8) -> torch.utils.data.TensorDataset:
    """``n`` images ``[n, 1, size, size]``: noise in [0, 0.6), plus 0.5 on a 2x2 square in
    quadrant ``label`` (0 top left, 1 top right, 2 bottom left, 3 bottom right)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 4, (n,), generator=g)
    images = 0.6 * torch.rand(n, 1, size, size, generator=g)
    half = size // 2
    rows = torch.randint(0, half - 1, (n,), generator=g) + (labels // 2) * half
    cols = torch.randint(0, half - 1, (n,), generator=g) + (labels % 2) * half
    for i in range(n):
        images[i, 0, rows[i]:rows[i] + 2, cols[i]:cols[i] + 2] += 0.5
    return torch.utils.data.TensorDataset(images, labels)


class Quadrants:
    """The Task contract: ``name``, ``dataset(split)`` and ``evaluate(model, *, limit, seed)``."""

    name = "classification/scbn-quadrants"

    def dataset(self, split: str) -> torch.utils.data.TensorDataset:
        if split not in SIZES:
            raise ValueError(f"split must be one of {sorted(SIZES)}, got {split!r}")
        return quadrant_images(SIZES[split], seed=0 if split == "train" else 1)

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0) -> dict[str, float]:
        """Accuracy on the test split (its first ``limit`` images when given)."""
        images, labels = self.dataset("test").tensors
        images, labels = images[:limit], labels[:limit]
        with torch.no_grad():
            accuracy = (model(images).argmax(-1) == labels).float().mean().item()
        return {"accuracy": round(accuracy, 4)}

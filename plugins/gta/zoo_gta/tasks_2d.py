"""Task classification/shifted-digits: sklearn's 8x8 digits pasted at random places on a 32x32 canvas.

Where relative position codes matter: a classifier is trained on digits placed in the LEFT part
of the canvas only and tested both there (in-region) and in the RIGHT part (out-of-region), on
digits it never saw. A model whose attention sees only relative positions (2-D GTA, RoPE) should
recognise a digit wherever it lies; a learned absolute position embedding has never been trained
with ink in the right-hand token columns.

Data (procedural, no download): sklearn's ``load_digits`` (1,797 images, 8x8, values 0..16),
scaled to [0, 1] and enlarged 2x (16x16, each pixel repeated), then pasted with its top-left
corner at (row, col): row uniform in 0..16 for both regions, col in 0..6 (left) or 10..16
(right). With 4-pixel patches, ink falls in token columns 0..5 in the left region and 2..7 in
the right one, so token columns 6 and 7 never hold ink during training. Digit split: every
5th image (index % 5 == 0) is a test digit, the rest train digits. Placements are drawn from a
seed per split and region, so every run sees the same examples.
"""

from __future__ import annotations

from functools import lru_cache

import torch

CANVAS = 32
SCALE = 2                      # 8x8 digit -> 16x16
DIGIT = 8 * SCALE
ROWS = (0, CANVAS - DIGIT)     # top-left row range, inclusive, for every region
REGIONS = {"left": (0, 6), "right": (10, 16)}   # top-left column ranges, inclusive
TRAIN_PLACEMENTS, TEST_PLACEMENTS = 20, 4       # placements per digit
SEEDS = {("train", "left"): 0, ("test", "left"): 1, ("test", "right"): 2, ("train", "right"): 3}


@lru_cache(maxsize=1)
def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = torch.tensor(d.images, dtype=torch.float32) / 16.0
    return images.repeat_interleave(SCALE, 1).repeat_interleave(SCALE, 2), torch.tensor(d.target)


def digit_split(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The enlarged digits ``[n, 16, 16]`` in [0, 1] and labels of ``split`` (train or test)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, labels = _digits()
    test = torch.arange(len(labels)) % 5 == 0
    keep = test if split == "test" else ~test
    return images[keep], labels[keep]


class ShiftedDigits(torch.utils.data.Dataset):
    """``(image [1, 32, 32], label)`` pairs: ``split``'s digits placed in ``region``.

    Args:
        split: ``"train"`` or ``"test"`` digits.
        region: ``"left"``, ``"right"`` (the digit's top-left column range, see module doc) or an
            inclusive ``(lo, hi)`` column range within 0..16.
        placements: placements per digit (items = digits x placements).
        seed: the placement seed (default: one fixed seed per split and region).
    """

    def __init__(self, split: str = "train", region: str = "left", *, placements: int | None = None,
                 seed: int | None = None):
        cols = REGIONS.get(region) if isinstance(region, str) else tuple(region)
        if cols is None or len(cols) != 2 or not ROWS[0] <= cols[0] <= cols[1] <= ROWS[1]:
            raise ValueError(f"region must be one of {sorted(REGIONS)} or a column range (lo, hi) within "
                             f"{ROWS[0]}..{ROWS[1]}, got {region!r}")
        self.digits, self.labels = digit_split(split)
        self.split, self.region = split, region
        n = len(self.labels) * (placements or (TRAIN_PLACEMENTS if split == "train" else TEST_PLACEMENTS))
        if seed is None:
            seed = SEEDS.get((split, region), 100 + cols[0]) if isinstance(region, str) else 100 + cols[0]
        g = torch.Generator().manual_seed(seed)
        self.index = torch.arange(n) % len(self.labels)
        self.rows = torch.randint(ROWS[0], ROWS[1] + 1, (n,), generator=g)
        lo, hi = cols
        self.cols = torch.randint(lo, hi + 1, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        canvas = torch.zeros(1, CANVAS, CANVAS)
        r, c = int(self.rows[i]), int(self.cols[i])
        canvas[0, r:r + DIGIT, c:c + DIGIT] = self.digits[self.index[i]]
        return canvas, self.labels[self.index[i]]

    def tensors(self, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """All (or the first ``limit``) items stacked: ``[n, 1, 32, 32]``, ``[n]``."""
        items = [self[i] for i in range(len(self) if limit is None else min(limit, len(self)))]
        return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])


class ShiftedDigitsTask:
    """Accuracy on held-out digits in the training region (in-region) and in the unseen one."""

    name = "classification/shifted-digits"

    def dataset(self, split: str) -> ShiftedDigits:
        """``train`` (train digits, left), ``test`` (test digits, left), ``test-shifted`` (test digits, right)."""
        splits = {"train": ("train", "left"), "test": ("test", "left"), "test-shifted": ("test", "right")}
        if split not in splits:
            raise ValueError(f"split must be one of {sorted(splits)}, got {split!r}")
        return ShiftedDigits(*splits[split])

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, batch_size: int = 256) -> dict[str, float]:
        """``accuracy_in_region`` (test digits, left) and ``accuracy_out_of_region`` (test digits, right)."""
        out = {}
        for key, split in (("accuracy_in_region", "test"), ("accuracy_out_of_region", "test-shifted")):
            images, labels = self.dataset(split).tensors(limit)
            out[key] = round(accuracy(model, images, labels, batch_size=batch_size), 4)
        return out


def accuracy_by_column(model, *, split: str = "test", limit: int | None = None) -> list[float]:
    """Accuracy on ``split``'s digits at each top-left column 0..16 (rows random): where it breaks."""
    out = []
    for c in range(ROWS[0], ROWS[1] + 1):
        images, labels = ShiftedDigits(split, (c, c), placements=1).tensors(limit)
        out.append(round(accuracy(model, images, labels), 4))
    return out


def predict(model, images: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """Predicted labels ``[n]`` (eval mode, no grad)."""
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        return torch.cat([model(images[i:i + batch_size].to(device)).argmax(-1).cpu()
                          for i in range(0, len(images), batch_size)])


def accuracy(model, images: torch.Tensor, labels: torch.Tensor, *, batch_size: int = 256) -> float:
    if len(labels) == 0:
        raise ValueError("accuracy needs at least one example (limit must be >= 1)")
    return (predict(model, images, batch_size=batch_size) == labels).float().mean().item()


__all__ = ["CANVAS", "REGIONS", "ShiftedDigits", "ShiftedDigitsTask", "accuracy", "accuracy_by_column", "digit_split", "predict"]

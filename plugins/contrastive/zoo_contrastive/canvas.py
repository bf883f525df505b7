"""Digits on a large blank canvas: the data of the trainable-augmentation-channel example.

arXiv:2111.07679 (abstract): "random crops of an MNIST digit placed at a random position in a
large blank canvas" may miss the digit, so a fixed crop augmentation destroys the information a
representation needs. Offline stand-in for MNIST: scikit-learn's bundled 8x8 digits (1,797
images, values 0..16), scaled to [0, 1], enlarged ``digit_scale`` times (each pixel repeated) and
pasted with their top-left corner uniformly at random on a ``canvas x canvas`` zero image.

Digit split as elsewhere in the zoo (zoo_gta.tasks_2d, zoo_msp.data): every 5th image
(index % 5 == 0) is a test digit. Each split places each of its digits ``placements`` times from
a seed of its own, so every run sees the same canvases.

Example::

    from zoo_contrastive.canvas import DigitsCanvas
    ds = DigitsCanvas("train")            # 1,437 digits x 4 placements on 64x64 canvases
    image, label = ds[0]                  # [1, 64, 64] in [0, 1], int label
    box = ds.digit_boxes()[0]             # the digit's (cx, cy, side) in [-1, 1] canvas coordinates
"""

from __future__ import annotations

from functools import lru_cache

import torch

from zoo_core.errors import ZooError

CANVAS = 64            # canvas side (pixels)
DIGIT_SCALE = 2        # 8x8 digit -> 16x16
PLACEMENTS = {"train": 4, "test": 2}
SEEDS = {"train": 0, "test": 1}

__all__ = ["CANVAS", "CanvasInputError", "DigitsCanvas", "check_canvases", "digit_split"]


class CanvasInputError(ZooError, ValueError):
    """Canvases (or crop boxes) of the wrong shape, dtype or value range."""


def check_canvases(x, canvas: int, what: str = "canvases") -> None:
    """Raise CanvasInputError unless ``x`` is a non-empty float tensor ``[B, 1, canvas, canvas]``."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise CanvasInputError(f"{what}: expected a float tensor [B, 1, {canvas}, {canvas}], got "
                               f"{type(x).__name__}{'' if not isinstance(x, torch.Tensor) else ' of ' + str(x.dtype)}")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, canvas, canvas) or x.shape[0] == 0:
        raise CanvasInputError(f"{what}: expected shape [B >= 1, 1, {canvas}, {canvas}] (grey canvases in [0, 1]), "
                               f"got {tuple(x.shape)}")


@lru_cache(maxsize=4)
def _digits(scale: int) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = torch.tensor(d.images, dtype=torch.float32) / 16.0
    return images.repeat_interleave(scale, 1).repeat_interleave(scale, 2), torch.tensor(d.target)


def digit_split(split: str, scale: int = DIGIT_SCALE) -> tuple[torch.Tensor, torch.Tensor]:
    """The enlarged digits ``[n, 8 scale, 8 scale]`` in [0, 1] and labels of ``split``."""
    if split not in SEEDS:
        raise ValueError(f"split must be one of {sorted(SEEDS)}, got {split!r}")
    images, labels = _digits(scale)
    test = torch.arange(len(labels)) % 5 == 0
    keep = test if split == "test" else ~test
    return images[keep], labels[keep]


class DigitsCanvas(torch.utils.data.Dataset):
    """``(canvas [1, C, C], label)``: ``split``'s digits at seeded random positions.

    Args:
        split: ``"train"`` or ``"test"`` digits.
        canvas: canvas side ``C`` in pixels.
        digit_scale: enlargement of the 8x8 digits (digit side ``8 digit_scale`` < ``C``).
        placements: placements per digit (items = digits x placements).
        seed: placement seed (default: 0 for train, 1 for test).
    """

    def __init__(self, split: str = "train", *, canvas: int = CANVAS, digit_scale: int = DIGIT_SCALE,
                 placements: int | None = None, seed: int | None = None):
        self.digits, self.labels = digit_split(split, digit_scale)
        self.side = 8 * digit_scale
        if not isinstance(canvas, int) or canvas <= self.side:
            raise ValueError(f"canvas must be an int larger than the digit side {self.side}, got {canvas!r}")
        self.canvas, self.split = canvas, split
        n = len(self.labels) * (placements or PLACEMENTS[split])
        g = torch.Generator().manual_seed(SEEDS[split] if seed is None else seed)
        self.index = torch.arange(n) % len(self.labels)
        self.rows = torch.randint(0, canvas - self.side + 1, (n,), generator=g)
        self.cols = torch.randint(0, canvas - self.side + 1, (n,), generator=g)

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        out = torch.zeros(1, self.canvas, self.canvas)
        r, c = int(self.rows[i]), int(self.cols[i])
        out[0, r:r + self.side, c:c + self.side] = self.digits[self.index[i]]
        return out, self.labels[self.index[i]]

    def tensors(self, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """All (or the first ``limit``) items stacked: ``[n, 1, C, C]``, ``[n]``."""
        n = len(self) if limit is None else min(limit, len(self))
        items = [self[i] for i in range(n)]
        return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])

    def digit_boxes(self, limit: int | None = None) -> torch.Tensor:
        """Each digit's square ``(cx, cy, side)`` in the canvas coordinates of ``zoo_contrastive.crops``
        (``[-1, 1]``, x to the right, y down; side as a fraction of the canvas side): ``[n, 3]``."""
        n = len(self) if limit is None else min(limit, len(self))
        cx = (2 * self.cols[:n].float() + self.side) / self.canvas - 1
        cy = (2 * self.rows[:n].float() + self.side) / self.canvas - 1
        return torch.stack([cx, cy, torch.full_like(cx, self.side / self.canvas)], 1)

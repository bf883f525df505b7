"""SimCLR views for object discovery (official ``source/data/augs.py: simclr_augmentation``).

Each view is ``RandomResizedCrop(imsize)`` (scale 0.08-1, aspect 3/4-4/3), then colour
distortion of strength ``s = 0.5``: ``ColorJitter(0.4, 0.4, 0.4, 0.1)`` with probability 0.8
(the four adjustments in random order) and grayscale with probability 0.2; no flip. The
official code samples with the global RNG; here every random number comes from an explicit
``torch.Generator`` so that a view depends only on (seed, image index, view).

Example::

    g = torch.Generator().manual_seed(0)
    view = simclr_view(image, generator=g)      # [3, 32, 32] in [0, 1]
    pair = SimCLRPairs(TetrominoesStyle(size=8), seed=0)[0]   # [2, 3, 32, 32]
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.utils.data import Dataset


def _uniform(g: torch.Generator, lo: float, hi: float) -> float:
    return float(torch.empty(()).uniform_(lo, hi, generator=g))


def crop_box(height: int, width: int, g: torch.Generator, *, scale=(0.08, 1.0),
             ratio=(3 / 4, 4 / 3)) -> tuple[int, int, int, int]:
    """``(top, left, h, w)`` of a random resized crop (torchvision's sampling rule: 10 tries,
    then the central crop with the aspect ratio clamped to ``ratio``)."""
    area = height * width
    for _ in range(10):
        target = area * _uniform(g, *scale)
        aspect = math.exp(_uniform(g, math.log(ratio[0]), math.log(ratio[1])))
        w, h = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (), generator=g))
            left = int(torch.randint(0, width - w + 1, (), generator=g))
            return top, left, h, w
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, round(width / ratio[0])
    elif in_ratio > ratio[1]:
        h, w = height, round(height * ratio[1])
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def color_distortion(image: Tensor, g: torch.Generator, *, s: float = 0.5) -> Tensor:
    """Official ``get_color_distortion(s)``: jitter (p = 0.8) then grayscale (p = 0.2)."""
    import torchvision.transforms.v2.functional as TF

    if _uniform(g, 0, 1) < 0.8:
        b, c, sat, hue = 0.8 * s, 0.8 * s, 0.8 * s, 0.2 * s
        factors = [_uniform(g, 1 - b, 1 + b), _uniform(g, 1 - c, 1 + c), _uniform(g, 1 - sat, 1 + sat),
                   _uniform(g, -hue, hue)]
        ops = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue]
        for k in torch.randperm(4, generator=g).tolist():
            image = ops[k](image, factors[k])
    if _uniform(g, 0, 1) < 0.2:
        image = TF.rgb_to_grayscale(image, num_output_channels=3)
    return image


def simclr_view(image: Tensor, *, generator: torch.Generator, imsize: int | None = None) -> Tensor:
    """One augmented view of ``image`` ``[3, H, W]`` in [0, 1]: random resized crop to
    ``imsize`` (default: H), then colour distortion."""
    import torchvision.transforms.v2.functional as TF

    if image.dim() != 3 or image.shape[0] != 3:
        raise ValueError(f"simclr_view expects one RGB image [3, H, W], got shape {tuple(image.shape)}")
    H, W = image.shape[-2:]
    top, left, h, w = crop_box(H, W, generator)
    view = TF.resized_crop(image, top, left, h, w, [imsize or H, imsize or H], antialias=True)
    return color_distortion(view.clamp(0, 1), generator)


class SimCLRPairs(Dataset):
    """Two augmented views ``[2, 3, H, W]`` of each image of ``images`` (a dataset of
    ``(image, mask)`` pairs); the views of item ``i`` depend only on ``(seed, i)``.

    ``repeats`` passes over the images, each with fresh views: item ``i`` is image
    ``i mod len(images)`` (for small rendered sets, where an epoch is a few hundred steps)."""

    def __init__(self, images: Dataset, *, seed: int = 0, repeats: int = 1) -> None:
        if int(repeats) < 1:
            raise ValueError(f"repeats must be a positive number of passes, got {repeats}")
        self.images, self.seed, self.repeats = images, seed, int(repeats)

    def __len__(self) -> int:
        return len(self.images) * self.repeats

    def __getitem__(self, i: int) -> Tensor:
        image = self.images[int(i) % len(self.images)][0]
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + int(i))
        return torch.stack([simclr_view(image, generator=g), simclr_view(image, generator=g)])


__all__ = ["SimCLRPairs", "simclr_view", "crop_box", "color_distortion"]

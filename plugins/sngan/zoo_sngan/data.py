"""scikit-learn digits as a 32x32 RGB image dataset for the small ``*-digits32`` models.

``load_digits`` ships with scikit-learn (1,797 grey 8x8 images, values 0..16, 10 classes; no
download). Images are scaled to [0, 1], upsampled to 32x32 (bilinear, no corner alignment),
mapped to [-1, 1] and replicated to 3 channels, so the CIFAR-layout nets apply unchanged.
Splits are a fixed stratified 80/20 partition (``random_state=0``): 1,437 train, 360 test.

Example::

    >>> ds = digits32("train")
    >>> x, y = ds[0]
    >>> tuple(x.shape), float(x.min()) >= -1, int(y) in range(10)
    ((3, 32, 32), True, True)
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

__all__ = ["digits32", "digits32_tensors", "SPLITS"]

SPLITS = ("train", "test", "all")


def digits32_tensors(split: Literal["train", "test", "all"] = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)``: float32 ``(N, 3, 32, 32)`` in [-1, 1] and int64 ``(N,)``.

    Raises:
        ValueError: unknown split.
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown digits split {split!r}; use one of {SPLITS}")
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.from_numpy(digits.images).float().div(16.0).unsqueeze(1)  # (N, 1, 8, 8) in [0, 1]
    labels = torch.from_numpy(digits.target).long()
    if split != "all":
        idx_train, idx_test = train_test_split(torch.arange(len(labels)).numpy(), test_size=0.2,
                                               random_state=0, stratify=labels.numpy())
        idx = torch.from_numpy(idx_train if split == "train" else idx_test)
        images, labels = images[idx], labels[idx]
    images = F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False)
    images = (images.clamp(0, 1) * 2 - 1).expand(-1, 3, -1, -1).contiguous()
    return images, labels


def digits32(split: Literal["train", "test", "all"] = "train") -> TensorDataset:
    """The digits split as a ``TensorDataset`` of ``(image, label)`` pairs."""
    return TensorDataset(*digits32_tensors(split))

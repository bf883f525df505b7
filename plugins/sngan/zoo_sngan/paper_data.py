"""Readers of the paper datasets in their official on-disk layouts (torchvision, download=False).

Every reader returns a Dataset of ``(image, label)`` with ``image`` a uint8 ``(3, S, S)``
tensor (label -1 where the set has none); :class:`TrainImages` turns it into the official
training input, ``x / 128 - 1 + U(0, 1/128)`` (sngan_projection ``datasets/*.py``).
Resizing follows the official configs: STL-10 96 -> 48 px (bilinear, antialiased),
ImageNet short side -> S then a centre S x S crop (``datasets/preprocess.sh`` + loader).
Any failure to read a file raises a DatasetError naming it (``zoo_core.data.reading``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import ConcatDataset, Dataset
from torchvision import datasets as tvd
from torchvision import transforms as T

from zoo_core.data import dataset_root, reading, require
from zoo_sngan.datasets import CIFAR10, IMAGENET, STL10

__all__ = ["cifar10", "stl10", "imagenet", "TrainImages"]

def _local(cls, **overrides):
    """``cls`` with its md5 checks reduced to presence: the layout was checked by dataset_root
    and every read is checked below (a hand-made or re-packed copy need not match the md5s)."""
    return type(f"Local{cls.__name__}", (cls,), {"_check_integrity": lambda self: True, **overrides})


def cifar10(split: str = "train") -> Dataset:
    """CIFAR-10 ``train`` (the five data batches, 50,000) or ``test`` (10,000), 32x32."""
    if split not in ("train", "test"):
        raise ValueError(f"CIFAR-10 splits are 'train' and 'test', not {split!r}")
    root = dataset_root(CIFAR10)
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    meta = {**tvd.CIFAR10.meta, "md5": None}  # None: torchvision checks presence only
    parts = []
    for name in names:
        path = root / "cifar-10-batches-py" / name
        with reading(path, CIFAR10):
            part = _local(tvd.CIFAR10, train_list=[(name, None)], meta=meta)(
                root, train=True, transform=T.PILToTensor(), download=False)
        require(len(part.targets) == len(part.data), path, "as many labels as images expected", CIFAR10)
        parts.append(part)
    return ConcatDataset(parts)


def stl10(split: str = "train+unlabeled", size: int = 48) -> Dataset:
    """STL-10 ``unlabeled`` (100,000) + ``train`` (5,000) images, resized from 96 to ``size``."""
    if split != "train+unlabeled":
        raise ValueError(f"zoo-sngan reads STL-10's 'train+unlabeled' images, not {split!r}")
    root = dataset_root(STL10)
    tf = T.Compose([T.Resize((size, size), antialias=True), T.PILToTensor()])
    parts = []
    for part_split, files in (("train", ("train_X.bin", "train_y.bin")), ("unlabeled", ("unlabeled_X.bin",))):
        path = root / "stl10_binary" / files[0]
        with reading(path, STL10):
            part = _local(tvd.STL10)(root, split=part_split, transform=tf, download=False)
        if part.labels is not None and part_split == "train":
            require(len(part.labels) == len(part.data), root / "stl10_binary" / files[1],
                    f"{len(part.data)} labels expected (one per image of {files[0]})", STL10)
        parts.append(part)
    return ConcatDataset(parts)


class _Checked(Dataset):
    """An ImageFolder whose lazy image reads raise a DatasetError naming the image file."""

    def __init__(self, folder: tvd.ImageFolder, indices: list[int], relabel: dict[int, int] | None) -> None:
        self.folder, self.indices, self.relabel = folder, indices, relabel

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        path, label = self.folder.samples[self.indices[i]]
        with reading(path, IMAGENET):
            image, _ = self.folder[self.indices[i]]
        return image, self.relabel[label] if self.relabel else label


def imagenet(size: int = 128, classes: range | None = None, flip: bool = False) -> Dataset:
    """ImageNet training images (ImageFolder over ``train/``), short side to ``size`` and a
    centre crop; ``classes`` keeps those class indices, relabelled from 0 (dog&cat: 151-293);
    ``flip`` adds random horizontal flips (the dog&cat configs)."""
    root = dataset_root(IMAGENET)
    steps = [T.Resize(size, antialias=True), T.CenterCrop(size)] + ([T.RandomHorizontalFlip()] if flip else [])
    with reading(root / "train", IMAGENET):
        folder = tvd.ImageFolder(str(root / "train"), transform=T.Compose(steps + [T.PILToTensor()]),
                                 allow_empty=True)
    require(len(folder.classes) == 1000, root / "train",
            f"1,000 class folders expected (found {len(folder.classes)}); class indices follow "
            "the sorted wnids of all ILSVRC-2012 classes", IMAGENET)
    keep = set(classes) if classes is not None else None
    indices = [i for i, (_, y) in enumerate(folder.samples) if keep is None or y in keep]
    require(bool(indices), root / "train", "no image of the classes this task reads", IMAGENET)
    relabel = {c: i for i, c in enumerate(classes)} if classes is not None else None
    return _Checked(folder, indices, relabel)


class TrainImages(Dataset):
    """uint8 images as the official training input: ``x / 128 - 1`` plus U(0, 1/128) noise
    (drawn from torch's global generator, which ``zoo train`` seeds)."""

    def __init__(self, images: Dataset) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        image, label = self.images[i]
        x = image.float() / 128 - 1
        return x + torch.rand(x.shape) / 128, torch.as_tensor(label, dtype=torch.long)

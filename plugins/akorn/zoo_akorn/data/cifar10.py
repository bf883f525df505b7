"""CIFAR-10 from a local copy, read by ``torchvision.datasets.CIFAR10(download=False)``.

The layout is the python version as it unpacks (``cifar-10-python.tar.gz``), the one the official
``train_classification.py`` reads (``CIFAR10(root="./data")``): ``cifar-10-batches-py/`` with
``data_batch_1`` ... ``data_batch_5``, ``test_batch`` and ``batches.meta``. torchvision checks each
file's MD5 against the official one; a file that fails gets an error naming it.
This module imports no torch at import time (``zoo data`` reads the spec).

Example::

    test = cifar10_split("test")     # torchvision CIFAR10: test[i] -> (image [3, 32, 32] uint8, label)
"""

from __future__ import annotations

from zoo_core import data
from zoo_core.data import dataset_root, reading, require

BATCHES = "cifar-10-batches-py"

CIFAR10 = data.CIFAR10  # the core's spec: zoo-sngan reads the same folder


def cifar10_split(split: str):
    """The ``train`` (50,000) or ``test`` (10,000) images as a torchvision ``CIFAR10``; items are
    ``(uint8 tensor [3, 32, 32], label)``."""
    from torchvision.datasets import CIFAR10 as TorchvisionCIFAR10
    from torchvision.datasets.utils import check_integrity
    from torchvision.transforms.functional import pil_to_tensor

    if split not in ("train", "test"):
        raise ValueError(f"unknown CIFAR-10 split {split!r}; expected 'train' or 'test'")
    root = dataset_root(CIFAR10)
    meta = TorchvisionCIFAR10.meta
    # torchvision checks every batch for either split: name the first that fails
    for name, md5 in [*TorchvisionCIFAR10.train_list, *TorchvisionCIFAR10.test_list, [meta["filename"], meta["md5"]]]:
        path = root / BATCHES / name
        require(check_integrity(str(path), md5), path, f"its MD5 is not the official {md5} (truncated or "
                "altered); unpack cifar-10-python.tar.gz again", CIFAR10)
    with reading(root / BATCHES, CIFAR10):  # a batch of another size fails torchvision's reshape
        return TorchvisionCIFAR10(str(root), train=split == "train", download=False, transform=pil_to_tensor)


__all__ = ["CIFAR10", "BATCHES", "cifar10_split"]

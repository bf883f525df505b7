"""The paper datasets zoo-ssdrl reads from a local copy (torch-free: named by ``plugin.py``).

Each layout lists the files the official code reads (it loads them through Chainer's
``get_mnist`` / ``get_svhn`` / ``get_cifar10``; here torchvision's readers of the same
downloads, ``download=False``). Nothing is downloaded; ``zoo data`` says what is found.
"""

from __future__ import annotations

from zoo_core import data
from zoo_core.data import DatasetSpec

CIFAR10 = data.CIFAR10  # the core's spec (zoo-akorn and zoo-sngan read the same folder)

SVHN = DatasetSpec(
    name="svhn", title="SVHN (Netzer et al., 2011), cropped digits, format 2",
    url="http://ufldl.stanford.edu/housenumbers/",
    layout=("train_32x32.mat", "test_32x32.mat"),
    note="the two .mat files as downloaded (torchvision.datasets.SVHN's root; reading them needs scipy)")

CIFAR10_ZCA = DatasetSpec(
    name="cifar10-zca", title="ZCA whitening of CIFAR-10 used by pfnet-research/ssdrl (components, mean)",
    url="https://github.com/pfnet-research/ssdrl/tree/master/datasets/cifar10_zca",
    layout=("zca.npz",),
    note="the official datasets/cifar10_zca/zca.npz (arrays 'components' [3072, 3072] and 'mean' [3072]); "
         "or make it with `python -m zoo_ssdrl.data zca` from a local CIFAR-10 (the official _ZCA)")

__all__ = ["CIFAR10", "SVHN", "CIFAR10_ZCA"]

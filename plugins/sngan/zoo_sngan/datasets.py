"""The paper datasets zoo-sngan reads from a local copy, and the Inception file FID/IS need
(torch-free: ``plugin.py`` names these in its ``zoo_datasets`` hook).

Each layout lists the files the official code (or torchvision's reader of the official
download) opens. Nothing is downloaded; ``zoo data`` says what is found.
"""

from __future__ import annotations

from zoo_core import data
from zoo_core.data import DatasetSpec

CIFAR10 = data.CIFAR10  # the core's spec: zoo-akorn reads the same folder

STL10 = DatasetSpec(
    name="stl10",
    title="STL-10 (Coates et al., 2011), binary version; SN-GAN trains on unlabeled + train at 48x48",
    url="https://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz",
    layout=("stl10_binary/unlabeled_X.bin", "stl10_binary/train_X.bin", "stl10_binary/train_y.bin"),
    note="unpack stl10_binary.tar.gz here (torchvision.datasets.STL10's layout)")

IMAGENET = DatasetSpec(
    name="imagenet",
    title="ImageNet ILSVRC-2012 training images (Russakovsky et al., 2015), one folder per class",
    url="https://image-net.org/download-images.php",
    layout=("train/n01440764", "train/*/*.JPEG"),
    note="train/<wnid>/*.JPEG for all 1,000 classes as ILSVRC2012_img_train.tar unpacks "
         "(torchvision ImageFolder; class index = sorted wnid order; dog&cat = classes 151-293)")

INCEPTION = DatasetSpec(
    name="inception",
    title="Inception-v3 weights for FID and Inception Score (given by the user, never downloaded)",
    url="https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth",
    layout=("inception*",),
    note="one file: torchvision's inception_v3_google-0cc3c7bd.pth (or .safetensors of that state "
         "dict; it is in ~/.cache/torch/hub/checkpoints/ where torchvision fetched it once), or "
         "inception*.pt, a TorchScript module mapping images in [-1, 1] to (pool features, logits)")

DOGCAT_CLASSES = range(151, 294)  # ImageNet dogs and cats, 143 classes (sngan_projection datasets/)

__all__ = ["CIFAR10", "STL10", "IMAGENET", "INCEPTION", "DOGCAT_CLASSES"]

"""The paper's datasets as the official MSP code reads them from disk (no torch: plugin.py imports this).

Each layout is the path the official ``datasets/*.py`` opens, relative to its ``root``, so the
authors' data root (``MNIST/``, ``smallNORB/``, ...) works as ``--data ROOT`` as it is:

* ``mnist``: torchvision's MNIST folder (``torchvision.datasets.MNIST(root)``), read with
  ``download=False``;
* ``mnist-bg``: the same plus the authors' per-index background tensors ``MNIST/train_dat.pt``
  and ``MNIST/test_dat.pt`` (their ``MNIST.tar.gz``);
* ``3dshapes``: DeepMind's ``3dshapes.h5`` (read with h5py; the authors' ``3dshapes/images.pt``
  is the same ``images`` array converted to a torch file);
* ``smallnorb``: the authors' ``smallNORB/train.pt`` and ``test.pt``, one uint8 array
  ``(category, instance, lighting, elevation, azimuth, 96, 96)`` each.
"""

from zoo_core.data import DatasetSpec

__all__ = ["MNIST", "MNIST_BG", "SHAPES3D", "SMALLNORB"]

_MNIST_RAW = ("MNIST/raw/train-images-idx3-ubyte", "MNIST/raw/train-labels-idx1-ubyte",
              "MNIST/raw/t10k-images-idx3-ubyte", "MNIST/raw/t10k-labels-idx1-ubyte")
_DRIVE = "the Google Drive folder linked from https://github.com/takerum/meta_sequential_prediction"

MNIST = DatasetSpec(
    name="mnist", title="MNIST (LeCun et al., 1998)", url="http://yann.lecun.com/exdb/mnist/",
    layout=_MNIST_RAW,
    note="the folder torchvision.datasets.MNIST(root) reads: the four idx files, uncompressed, "
         "under MNIST/raw/")

MNIST_BG = DatasetSpec(
    name="mnist-bg", title="MNIST with the MSP authors' backgrounds (Miyato et al., 2022)",
    url=_DRIVE, layout=_MNIST_RAW + ("MNIST/train_dat.pt", "MNIST/test_dat.pt"),
    note="unpack the authors' MNIST.tar.gz: MNIST's idx files plus one background per image, "
         "a (N, 3, 32, 32) tensor in [0, 1] per split")

SHAPES3D = DatasetSpec(
    name="3dshapes", title="3DShapes (Burgess & Kim, 2018)",
    url="https://storage.googleapis.com/3d-shapes/3dshapes.h5", layout=("3dshapes.h5",),
    note="DeepMind's file as it comes: 'images' (480000, 64, 64, 3) uint8 in the factor order "
         "floor hue, wall hue, object hue, scale, shape, orientation")

SMALLNORB = DatasetSpec(
    name="smallnorb", title="SmallNORB (LeCun et al., 2004) as the MSP authors ship it", url=_DRIVE,
    layout=("smallNORB/train.pt", "smallNORB/test.pt"),
    note="unpack the authors' smallNORB.tar.gz: per split one uint8 array (category 5, instance 5, "
         "lighting 6, elevation 9, azimuth 18, 96, 96) saved with torch.save")

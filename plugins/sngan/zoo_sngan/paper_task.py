"""Tasks on the paper datasets: FID and Inception Score with the user's local Inception weights.

``generation/cifar10``, ``generation/stl10``, ``generation/imagenet128``,
``generation/imagenet64`` and ``generation/dogcat{64,128,256}`` read the user's copy
(``--data`` / ``$ZOO_DATA``, see :mod:`zoo_sngan.datasets`) and the Inception file under
``$ZOO_DATA/inception/``. Protocol (research notes, modern "fid50k_train"; the catalog's
``eval`` settings give the counts):

* ``n_fake`` samples (50,000) drawn in eval mode from ``torch.Generator().manual_seed(seed)``
  (labels uniform for a conditional model), quantised as the official code does
  (``clip(x * 127.5 + 127.5)`` to uint8);
* ``fid``: torchmetrics ``FrechetInceptionDistance`` between the pool features of the fakes
  and of ``n_real`` training images (None: the whole training set; else a seeded subset);
* ``inception_score`` (and ``_std``): torchmetrics ``InceptionScore`` over the logits of
  the same fakes, ``is_splits`` (10) splits, mean and std.

``limit`` caps both sample counts (a quick check; the numbers are then not the protocol's).
With torchvision's Inception weights the values are comparable among zoo models, not with
the papers' TF-Inception numbers.
"""

from __future__ import annotations

import contextlib
import warnings

import torch
from torch import Tensor, nn

from pathlib import Path

from zoo_core.data import DatasetError, dataset_root, reading
from zoo_sngan.datasets import DOGCAT_CLASSES, INCEPTION

__all__ = ["ImageGeneration", "Cifar10Generation", "Stl10Generation", "ImageNet128Generation",
           "ImageNet64Generation", "DogCat64Generation", "DogCat128Generation",
           "DogCat256Generation", "TRAIN_SETS", "inception_file"]


def inception_file() -> Path:
    """The one Inception weights file under ``$ZOO_DATA/inception/`` (or ``--data``)."""
    folder = dataset_root(INCEPTION)
    files = sorted(p for p in folder.glob("inception*") if p.is_file())
    if len(files) != 1:
        raise DatasetError(f"{folder}: exactly one Inception weights file expected, found "
                           f"{', '.join(p.name for p in files) or 'none'}.\n{INCEPTION.describe()}")
    return files[0]


class _Given(nn.Module):
    """Features computed beforehand, for torchmetrics' FID (which reads ``num_features``)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


def quantise(images: Tensor) -> Tensor:
    """[-1, 1] images to the 8-bit grid the official evaluation feeds (back in [-1, 1])."""
    return (images * 127.5 + 127.5).clamp(0, 255).to(torch.uint8).float() / 127.5 - 1


class ImageGeneration:
    """FID and IS of an SN-GAN on one paper dataset (subclasses name it and its reader)."""

    name = ""
    datasets: tuple[str, ...] = ()

    def __init__(self, *, batch_size: int = 100) -> None:
        self.batch_size = batch_size

    def images(self, train: bool = False):
        """The training images as uint8 ``(image, label)`` pairs (:mod:`zoo_sngan.paper_data`);
        ``train``: with the official training augmentation, if any."""
        raise NotImplementedError

    def dataset(self, split: str = "train"):
        """The training set as the official code feeds it (float, dequantised)."""
        from zoo_sngan.paper_data import TrainImages

        if split != "train":
            raise ValueError(f"{self.name} has one split, 'train' (got {split!r})")
        return TrainImages(self.images(train=True))

    def _reals(self, n: int | None, seed: int):
        images = self.images()
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
        order = order if n is None else order[:n]
        for chunk in order.split(self.batch_size):
            yield torch.stack([images[int(i)][0] for i in chunk]).float() / 127.5 - 1

    def _fakes(self, model, n: int, gen: torch.Generator):
        for start in range(0, n, self.batch_size):
            yield quantise(model.sample(min(self.batch_size, n - start), generator=gen).float())

    @torch.no_grad()
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, n_fake: int = 50000,
                 n_real: int | None = None, is_splits: int = 10) -> dict[str, float]:
        """``fid``, ``inception_score`` and ``inception_score_std`` of ``model`` (see the module)."""
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.inception import InceptionScore

        from zoo_sngan.fid import load_inception

        path = inception_file()
        with reading(path, INCEPTION):
            net = load_inception(path)
        if limit is not None:
            n_fake, n_real = min(n_fake, limit), min(n_real or limit, limit)
        model.eval()
        device = next(model.parameters()).device
        net = net.to(device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
            score = InceptionScore(feature=nn.Identity(), splits=max(1, min(is_splits, n_fake))).to(device)
        fid = None
        for x in self._reals(n_real, seed):
            features = net(x.to(device))[0]
            if fid is None:  # torchmetrics' FID over the features the user's network gives
                fid = FrechetInceptionDistance(feature=_Given(features.shape[-1])).to(device)
            fid.update(features, real=True)
        gen = torch.Generator(device=device).manual_seed(seed)
        for x in self._fakes(model, n_fake, gen):
            features, logits = net(x)
            fid.update(features, real=False)
            score.update(logits)
        with _seeded(seed):  # InceptionScore shuffles before splitting
            is_mean, is_std = score.compute()
        return {"fid": round(float(fid.compute()), 4), "inception_score": round(float(is_mean), 4),
                "inception_score_std": round(float(is_std), 4)}


@contextlib.contextmanager
def _seeded(seed: int):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class Cifar10Generation(ImageGeneration):
    """CIFAR-10 32x32, the 50,000 training images (``cifar-10-batches-py``)."""

    name, datasets = "generation/cifar10", ("cifar10", "inception")

    def images(self, train: bool = False):
        from zoo_sngan.paper_data import cifar10

        return cifar10("train")


class Stl10Generation(ImageGeneration):
    """STL-10 unlabeled + train (105,000 images), 96 -> 48 px."""

    name, datasets = "generation/stl10", ("stl10", "inception")

    def images(self, train: bool = False):
        from zoo_sngan.paper_data import stl10

        return stl10("train+unlabeled", size=48)


class _ImageNet(ImageGeneration):
    datasets = ("imagenet", "inception")
    size, classes, flip = 128, None, False

    def images(self, train: bool = False):
        from zoo_sngan.paper_data import imagenet

        return imagenet(self.size, self.classes, flip=self.flip and train)


class ImageNet128Generation(_ImageNet):
    """ImageNet, 1,000 classes, 128x128 (``sn_projection.yml``, ``sn_concat.yml``)."""

    name, size = "generation/imagenet128", 128


class ImageNet64Generation(_ImageNet):
    """ImageNet, 1,000 classes, 64x64 (``sn_projection_64.yml``)."""

    name, size = "generation/imagenet64", 64


class _DogCat(_ImageNet):
    """ImageNet dog and cat classes 151-293 (143), relabelled 0-142, random flips in training."""

    classes, flip = DOGCAT_CLASSES, True


class DogCat64Generation(_DogCat):
    """ImageNet dogs and cats, 64x64 (``sn_projection_dog_and_cat_64.yml``)."""

    name, size = "generation/dogcat64", 64


class DogCat128Generation(_DogCat):
    """ImageNet dogs and cats, 128x128 (``sn_projection_dog_and_cat.yml``)."""

    name, size = "generation/dogcat128", 128


class DogCat256Generation(_DogCat):
    """ImageNet dogs and cats, 256x256 (``sn_projection_dog_and_cat_256.yml``)."""

    name, size = "generation/dogcat256", 256


TRAIN_SETS = {cls.name.split("/")[1]: cls for cls in (
    Cifar10Generation, Stl10Generation, ImageNet128Generation, ImageNet64Generation,
    DogCat64Generation, DogCat128Generation, DogCat256Generation)}

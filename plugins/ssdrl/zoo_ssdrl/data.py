"""Semi-supervised splits: a few labelled examples, the rest of the training set unlabelled.

The split follows the official ``datasets/*.py``: ``RandomState(seed).permutation`` of the
training set, its first ``n_labels`` examples labelled, all the others unlabelled (labels
dropped). Inputs are scaled as officially: ``x / 128 - 1`` for 8-bit images (MNIST, SVHN),
ZCA whitening of ``[0, 255]`` pixels for CIFAR-10 (``zca.npz``).

* ``digits``: scikit-learn's bundled 8x8 digits (1,797 images, values 0..16, scaled
  ``x / 8 - 1``, the same [-1, 1) range); every 5th image is held out as the test set (360),
  the other 1,437 are the training set. No download.
* ``moons``: ``sklearn.datasets.make_moons`` (noise 0.1): 500 training points (seed 0),
  1,000 test points (seed 1); ``n_labels`` labelled points, half of each class.
* ``mnist``, ``svhn``, ``cifar10``: the paper datasets from a local copy
  (``zoo_core.data`` convention, ``zoo data`` lists them), test sets as officially.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import torch

from zoo_core.data import dataset_root, reading, require

__all__ = ["Split", "semi_supervised", "held_out", "DATASETS", "zca_from_cifar10"]

DATASETS = ("digits", "moons", "mnist", "svhn", "cifar10")


@dataclasses.dataclass
class Split:
    """``x_l [N_l, ...]``, ``y_l [N_l]`` labelled; ``x_ul [N_ul, ...]`` unlabelled (float inputs)."""

    x_l: torch.Tensor
    y_l: torch.Tensor
    x_ul: torch.Tensor

    def labelled(self) -> torch.utils.data.TensorDataset:
        return torch.utils.data.TensorDataset(self.x_l, self.y_l)


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"data must be one of {DATASETS}, got {name!r}")


@lru_cache(maxsize=1)
def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 8 - 1
    return x, torch.tensor(d.target, dtype=torch.long)


def _moons(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import make_moons

    x, y = make_moons(n, noise=0.1, random_state=seed)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.long)


def _train_arrays(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    if name == "digits":
        x, y = _digits()
        keep = torch.arange(len(y)) % 5 != 0
        return x[keep], y[keep]
    if name == "moons":
        return _moons(500, 0)
    return _paper(name, train=True)


def held_out(name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out evaluation set ``(x, y)`` of ``name``."""
    _check_name(name)
    if name == "digits":
        x, y = _digits()
        keep = torch.arange(len(y)) % 5 == 0
        return x[keep], y[keep]
    if name == "moons":
        return _moons(1000, 1)
    return _paper(name, train=False)


def semi_supervised(name: str, *, n_labels: int, seed: int = 1234) -> Split:
    """The official split of ``name``'s training set: ``n_labels`` labelled, the rest unlabelled."""
    _check_name(name)
    x, y = _train_arrays(name)
    if not 0 < n_labels < len(y):
        raise ValueError(f"n_labels must be in 1..{len(y) - 1} for {name} ({len(y)} training examples), "
                         f"got {n_labels!r}")
    perm = torch.from_numpy(np.random.RandomState(seed).permutation(len(y)))
    if name == "moons":  # half of the labels from each moon, for a readable picture
        per_class = [perm[y[perm] == c][: n_labels // 2] for c in (0, 1)]
        lab = torch.cat(per_class)
        rest = perm[~torch.isin(perm, lab)]
        return Split(x[lab], y[lab], x[rest])
    return Split(x[perm[:n_labels]], y[perm[:n_labels]], x[perm[n_labels:]])


# --- paper datasets from a local copy ---------------------------------------------------------

def _paper(name: str, *, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    if name == "mnist":
        return _mnist(str(dataset_root(_spec("mnist"))), train)
    if name == "svhn":
        return _svhn(str(dataset_root(_spec("svhn"))), train)
    return _cifar10(str(dataset_root(_spec("cifar10"))), str(dataset_root(_spec("cifar10-zca"))), train)


def _spec(name: str):
    from zoo_msp.datasets import MNIST
    from zoo_ssdrl.datasets import CIFAR10, CIFAR10_ZCA, SVHN

    return {"mnist": MNIST, "svhn": SVHN, "cifar10": CIFAR10, "cifar10-zca": CIFAR10_ZCA}[name]


def _scaled(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """8-bit images -> the official ``x / 128 - 1``."""
    return torch.as_tensor(np.asarray(images), dtype=torch.float32) / 128 - 1


@lru_cache(maxsize=2)
def _mnist(root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST

    spec = _spec("mnist")
    name = "train-images-idx3-ubyte" if train else "t10k-images-idx3-ubyte"
    with reading(f"{root}/MNIST/raw/{name}", spec):
        ds = MNIST(root, train=train, download=False)
    require(ds.data.shape[1:] == (28, 28) and len(ds.data) == len(ds.targets), f"{root}/MNIST/raw/{name}",
            f"28x28 images with one label each expected, got {tuple(ds.data.shape)}", spec)
    return _scaled(ds.data.unsqueeze(1)), ds.targets.long()


@lru_cache(maxsize=2)
def _svhn(root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import SVHN

    spec = _spec("svhn")
    path = f"{root}/{'train' if train else 'test'}_32x32.mat"
    with reading(path, spec):
        ds = type("LocalSVHN", (SVHN,), {"_check_integrity": lambda self: True})(
            root, split="train" if train else "test", download=False)
    require(ds.data.shape[1:] == (3, 32, 32) and len(ds.data) == len(ds.labels), path,
            f"images [N, 3, 32, 32] with one label each expected, got {tuple(ds.data.shape)}", spec)
    return _scaled(ds.data), torch.as_tensor(ds.labels, dtype=torch.long)  # torchvision maps label 10 to 0


def _zca(zca_root: str) -> tuple[np.ndarray, np.ndarray]:
    spec = _spec("cifar10-zca")
    path = f"{zca_root}/zca.npz"
    with reading(path, spec), np.load(path, allow_pickle=False) as z:
        components, mean = z["components"], z["mean"]
    require(components.shape == (3072, 3072) and mean.reshape(-1).shape == (3072,), path,
            f"'components' [3072, 3072] and 'mean' [3072] expected, got {components.shape}, {mean.shape}", spec)
    return components.astype(np.float32), mean.reshape(-1).astype(np.float32)


@lru_cache(maxsize=2)
def _cifar10(root: str, zca_root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = _cifar10_raw(root, train)
    components, mean = _zca(zca_root)
    flat = images.reshape(len(images), -1) - mean
    return torch.from_numpy((flat @ components.T).reshape(images.shape)), labels


def _cifar10_raw(root: str, train: bool) -> tuple[np.ndarray, torch.Tensor]:
    """``[N, 3, 32, 32]`` float pixels in [0, 255] (Chainer's ``get_cifar10(scale=255)``)."""
    from torchvision.datasets import CIFAR10 as TorchCIFAR10

    spec = _spec("cifar10")
    path = f"{root}/cifar-10-batches-py/{'data_batch_1' if train else 'test_batch'}"
    with reading(path, spec):
        meta = {**TorchCIFAR10.meta, "md5": None}  # None: presence only (a re-packed copy need not match)
        ds = type("LocalCIFAR10", (TorchCIFAR10,), {"_check_integrity": lambda self: True, "meta": meta})(
            root, train=train, download=False)
    require(ds.data.shape[1:] == (32, 32, 3) and len(ds.data) == len(ds.targets), path,
            f"images [N, 32, 32, 3] with one label each expected, got {tuple(ds.data.shape)}", spec)
    return ds.data.transpose(0, 3, 1, 2).astype(np.float32), torch.as_tensor(ds.targets, dtype=torch.long)


def zca_from_cifar10(out: str, reg: float = 1e-6) -> None:
    """Write ``zca.npz`` from the local CIFAR-10 training set (the official ``_ZCA``)."""
    images, _ = _cifar10_raw(str(dataset_root(_spec("cifar10"))), True)
    x = images.reshape(len(images), -1).astype(np.float64)
    mean = x.mean(0)
    sigma = (x - mean).T @ (x - mean) / len(x)
    u, s, _ = np.linalg.svd(sigma)
    components = (u * (1 / np.sqrt(s) + reg)) @ u.T
    np.savez(out, components=components.astype(np.float32), mean=mean.astype(np.float32))


if __name__ == "__main__":  # python -m zoo_ssdrl.data zca OUT.npz
    import sys

    if sys.argv[1:2] != ["zca"] or len(sys.argv) != 3:
        raise SystemExit("usage: python -m zoo_ssdrl.data zca OUT.npz")
    zca_from_cifar10(sys.argv[2])

"""The paper's datasets from a local copy, turned into sequences as the official data code does.

Readers (each file access wrapped in ``zoo_core.data.reading``, so a broken file is named):

* :func:`mnist_images`: torchvision's ``MNIST(root, train, download=False)``; each digit
  resized 28 -> 24 (bilinear) and zero-padded to 32x32, as ``datasets/seq_mnist.py``; the
  sequences are then :class:`zoo_msp.data.SequentialDigits` with these base images (the same
  rotation, hue and translation laws);
* :func:`mnist_backgrounds`: the authors' ``MNIST/{train,test}_dat.pt`` (MNIST-bg);
* :func:`shapes3d_frames`: DeepMind's ``3dshapes.h5`` through h5py, read per frame;
* :func:`smallnorb_frames`: the authors' ``smallNORB/{train,test}.pt``.

:class:`FactorSequences` is the official ``ThreeDimShapesDataset`` / ``SmallNORBDataset``
generator: per sequence each moving factor gets an integer velocity ``v`` in
``[-(n // T), n // T]`` (sign by a fair coin) and a start index that keeps the path inside
``0..n-1`` (no wrap-around); the other factors are drawn once and held.

Example::

    from zoo_msp.paper_data import smallnorb_sequences
    ds = smallnorb_sequences("train", T=3)       # reads $ZOO_DATA/smallnorb/smallNORB/train.pt
    ds[0].shape                                  # torch.Size([3, 1, 96, 96])
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from zoo_core.data import DatasetError, dataset_root, reading, require
from zoo_msp.data import SIZE, SequentialDigits
from zoo_msp.datasets import MNIST, MNIST_BG, SHAPES3D, SMALLNORB

__all__ = ["is_train", "mnist_images", "mnist_sequences", "mnist_backgrounds", "shapes3d_frames",
           "smallnorb_frames", "FactorSequences", "shapes3d_sequences", "smallnorb_sequences",
           "SHAPES3D_FACTORS", "SMALLNORB_FACTORS"]

#: 3DShapes factors in the file's order and their number of values
SHAPES3D_FACTORS = {"floor_hue": 10, "wall_hue": 10, "object_hue": 10, "scale": 8, "shape": 4,
                    "orientation": 15}
#: SmallNORB factors in the array's axis order (the authors' file)
SMALLNORB_FACTORS = {"category": 5, "instance": 5, "lighting": 6, "elevation": 9, "azimuth": 18}


def is_train(split: str) -> bool:
    """True for "train", False for "test"; anything else is a ValueError."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split == "train"


# --- MNIST ------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _mnist(root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST as TorchvisionMNIST

    raw = root / "MNIST" / "raw"
    with reading(raw / ("train-images-idx3-ubyte" if train else "t10k-images-idx3-ubyte"), MNIST):
        data = TorchvisionMNIST(str(root), train=train, download=False)
        images, labels = data.data, data.targets
        require(images.dim() == 3 and tuple(images.shape[1:]) == (28, 28) and len(images) == len(labels),
                raw, f"MNIST images must be (n, 28, 28) with one label each, got {tuple(images.shape)} "
                     f"and {len(labels)} labels", MNIST)
    up = F.interpolate(images[:, None].float() / 255.0, size=(24, 24), mode="bilinear", align_corners=False)
    pad = (SIZE - 24) // 2
    return F.pad(up.clamp(0, 1), (pad, pad, pad, pad))[:, 0], labels.long()


def mnist_images(split: str, spec=MNIST) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST's base images ``(n, 32, 32)`` in [0, 1] and labels, from ``spec``'s folder."""
    return _mnist(dataset_root(spec), is_train(split))


def _torch_file(path: Path, spec) -> np.ndarray | torch.Tensor:
    """A tensor or numpy array saved with ``torch.save``, loaded without running pickled code.

    Arrays pickled under numpy 1.x (the authors' files) name ``numpy.core.multiarray``."""
    reconstruct = np.zeros(1).__reduce__()[0]
    allowed = [reconstruct, (reconstruct, "numpy.core.multiarray._reconstruct"), np.ndarray, np.dtype,
               *(type(np.dtype(t)) for t in ("u1", "f4", "f8"))]
    with reading(path, spec), torch.serialization.safe_globals(allowed):
        return torch.load(path, map_location="cpu", weights_only=True)


@lru_cache(maxsize=2)
def _backgrounds(root: Path, train: bool) -> torch.Tensor:
    path = root / "MNIST" / ("train_dat.pt" if train else "test_dat.pt")
    data = torch.as_tensor(_torch_file(path, MNIST_BG))
    require(data.dim() == 4 and tuple(data.shape[1:]) == (3, SIZE, SIZE), path,
            f"expected backgrounds (n, 3, {SIZE}, {SIZE}), got {tuple(data.shape)}", MNIST_BG)
    return data.float()


def mnist_backgrounds(split: str) -> torch.Tensor:
    """The authors' MNIST-bg backgrounds ``(n, 3, 32, 32)`` for ``split``."""
    return _backgrounds(dataset_root(MNIST_BG), is_train(split))


def mnist_sequences(split: str, *, background: bool = False, only_digit: int | None = 4,
                    **laws) -> SequentialDigits:
    """Sequential MNIST (``background``: MNIST-bg) with ``laws`` as ``SequentialDigits`` takes them."""
    spec = MNIST_BG if background else MNIST
    images, labels = mnist_images(split, spec)
    backgrounds = mnist_backgrounds(split) if background else None
    n_kept = int((labels == only_digit).sum()) if only_digit is not None else len(labels)
    require(n_kept > 0, dataset_root(spec) / "MNIST" / "raw", f"the {split} split has no digit {only_digit}", spec)
    if backgrounds is not None:
        path = dataset_root(MNIST_BG) / "MNIST" / f"{split}_dat.pt"
        require(len(backgrounds) >= n_kept, path,
                f"{len(backgrounds)} backgrounds for {n_kept} MNIST {split} images", MNIST_BG)
    return SequentialDigits(split=split, images=images, labels=labels, backgrounds=backgrounds,
                            only_digit=only_digit, **laws)


# --- 3DShapes and SmallNORB -------------------------------------------------------------------

class _H5Images:
    """``images[flat_indices]`` of an h5 file, opened on first use (the file stays on disk)."""

    def __init__(self, path: Path):
        self.path, self._images = path, None

    def open(self):
        try:
            import h5py
        except ImportError:
            raise DatasetError(f"{self.path}: reading 3DShapes needs h5py, which is not installed: "
                               "pip install h5py") from None
        if self._images is None:
            with reading(self.path, SHAPES3D):
                images = h5py.File(self.path, "r")["images"]
            shape = (math.prod(SHAPES3D_FACTORS.values()), 64, 64, 3)
            require(images.shape == shape and images.dtype == np.uint8, self.path,
                    f"'images' must be uint8 {shape}, got {images.dtype} {images.shape}", SHAPES3D)
            self._images = images
        return self._images

    def __call__(self, factors: torch.Tensor) -> torch.Tensor:
        flat = np.ravel_multi_index(tuple(factors.T.numpy()), tuple(SHAPES3D_FACTORS.values()))
        order, inverse = np.unique(flat, return_inverse=True)  # h5py reads increasing indices
        with reading(self.path, SHAPES3D):
            frames = torch.from_numpy(self.open()[order])[torch.from_numpy(inverse.reshape(-1))]
        return frames.permute(0, 3, 1, 2).float() / 255.0


def shapes3d_frames() -> Callable[[torch.Tensor], torch.Tensor]:
    """``read(factors (m, 6)) -> frames (m, 3, 64, 64)`` in [0, 1] from ``3dshapes.h5``."""
    images = _H5Images(dataset_root(SHAPES3D) / "3dshapes.h5")
    images.open()  # fail now, naming the file, rather than at the first batch
    return images


@lru_cache(maxsize=2)
def _smallnorb(root: Path, train: bool) -> torch.Tensor:
    path = root / "smallNORB" / ("train.pt" if train else "test.pt")
    data = torch.as_tensor(_torch_file(path, SMALLNORB))
    require(data.dim() == 7 and tuple(data.shape[-2:]) == (96, 96) and data.dtype == torch.uint8, path,
            "expected one uint8 array (category, instance, lighting, elevation, azimuth, 96, 96), "
            f"got {data.dtype} {tuple(data.shape)}", SMALLNORB)
    return data


def smallnorb_frames(split: str) -> tuple[Callable[[torch.Tensor], torch.Tensor], tuple[int, ...]]:
    """``(read(factors (m, 5)) -> frames (m, 1, 96, 96) in [0, 1], factor sizes)`` of ``split``.

    The factor sizes are the array's (5, 5, 6, 9, 18 in the authors' files)."""
    data = _smallnorb(dataset_root(SMALLNORB), is_train(split))

    def read(factors: torch.Tensor) -> torch.Tensor:
        return data[tuple(factors.T)][:, None].float() / 255.0

    return read, tuple(data.shape[:5])


class FactorSequences(torch.utils.data.Dataset):
    """Sequences that walk a grid of generative factors (official 3DShapes / SmallNORB laws).

    Args:
        read: ``factors (m, n_factors) -> frames (m, C, H, W)``.
        sizes: number of values of each factor.
        T: frames per sequence.
        moving: factors that move (the official ``active_actions``); the others are held.
        held: ``{factor: values}`` drawn from for held factors (default: any value).
        seed, length: ``__getitem__(i)`` is seeded by ``(seed, i)``; ``length`` sequences.
    """

    def __init__(self, read: Callable[[torch.Tensor], torch.Tensor], sizes: Sequence[int], *, T: int,
                 moving: Sequence[int], held: dict[int, Sequence[int]] | None = None, seed: int = 0,
                 length: int = 5000):
        if T < 1 or any(n < 1 for n in sizes):
            raise ValueError(f"need T >= 1 and factor sizes >= 1; got T={T}, sizes={tuple(sizes)}")
        self.read, self.sizes, self.T, self.seed, self.length = read, tuple(sizes), T, seed, int(length)
        self.moving, self.held = tuple(moving), dict(held or {})

    def __len__(self) -> int:
        return self.length

    def _velocity(self, n: int, g) -> int:
        v = int(torch.randint(0, n // self.T + 1, (1,), generator=g))
        return -v if float(torch.rand(1, generator=g)) > 0.5 else v

    def _start(self, n: int, v: int, g) -> int:
        span = abs(v) * (self.T - 1)
        low, high = (span, n) if v < 0 else (0, n - span)
        return int(torch.randint(low, high, (1,), generator=g))

    def draw_velocities(self, g=None) -> list[int]:
        """One velocity per factor (0 for the held ones)."""
        return [self._velocity(n, g) if k in self.moving else 0 for k, n in enumerate(self.sizes)]

    def factors(self, g=None, velocities: Sequence[int] | None = None) -> torch.Tensor:
        """The factor indices ``(T, n_factors)`` of one sequence (``velocities``: shared ones)."""
        vs = self.draw_velocities(g) if velocities is None else velocities
        t = torch.arange(self.T)
        columns = []
        for k, n in enumerate(self.sizes):
            if k in self.held:
                choices = self.held[k]
                value = choices[int(torch.randint(len(choices), (1,), generator=g))]
                columns.append(torch.full((self.T,), int(value)))
            else:
                v = vs[k] if k in self.moving else 0
                columns.append(self._start(n, v, g) + v * t)
        return torch.stack(columns, 1)

    def sample(self, n: int, *, generator: torch.Generator | None = None,
               shared_transition: bool = False) -> torch.Tensor:
        """A fresh batch ``(n, T, C, H, W)``; ``shared_transition``: one velocity per factor for all."""
        shared = self.draw_velocities(generator) if shared_transition else None
        factors = torch.stack([self.factors(generator, shared) for _ in range(n)])  # (n, T, F)
        frames = self.read(factors.reshape(n * self.T, -1))
        return frames.reshape(n, self.T, *frames.shape[1:])

    def __getitem__(self, i: int) -> torch.Tensor:
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} sequences")
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + i)
        return self.read(self.factors(g))


def shapes3d_sequences(*, T: int, train_shapes: bool = True, seed: int = 0, length: int = 5000) -> FactorSequences:
    """3DShapes sequences (``T <= 8``): floor, wall and object hue, scale and orientation move;
    the shape is held at 0 (``train_shapes``, the official ``train=True``) or drawn from 1..3."""
    if not 1 <= T <= 8:
        raise ValueError(f"3DShapes sequences need 1 <= T <= 8 (official), got {T}")
    return FactorSequences(shapes3d_frames(), tuple(SHAPES3D_FACTORS.values()), T=T, moving=(0, 1, 2, 3, 5),
                           held={4: (0,) if train_shapes else (1, 2, 3)}, seed=seed, length=length)


def smallnorb_sequences(split: str, *, T: int, seed: int = 0, length: int = 5000) -> FactorSequences:
    """SmallNORB sequences (``T <= 6``): elevation and azimuth move (no wrap-around); category,
    instance and lighting are drawn once per sequence."""
    if not 1 <= T <= 6:
        raise ValueError(f"SmallNORB sequences need 1 <= T <= 6 (official), got {T}")
    read, sizes = smallnorb_frames(split)
    return FactorSequences(read, sizes, T=T, moving=(3, 4), held={k: range(sizes[k]) for k in (0, 1, 2)},
                           seed=seed, length=length)

"""Task ``sequence-prediction/fisheye-cifar100``: U-NFT on fisheye-deformed shifting CIFAR-100 (experiment C).

Data: CIFAR-100 from the user's local copy (``zoo data`` lists it as ``cifar100``: the python
version as ``cifar-100-python.tar.gz`` unpacks, read by ``torchvision.datasets.CIFAR100(download=False)``;
nothing is downloaded), turned into sequences by the official ``Shift_cifar`` law
(``zoo_nft.fisheye.ShiftedFisheyeImages``: velocity ``U[-16, 16)`` px/frame, cyclic horizontal
shift, defisheye's warp). Training: the 50,000 train images, ``T = 4``, fresh velocities per
item. Test: the 10,000 test images, velocities of seed 1234, ``T = 2 + 7`` frames (the official
``max_T 9``; the official folder has no evaluation script, so the horizon is ours).

Metric (the official sequence-prediction one, as for the 1-D task): from 2 conditioning
frames, the per-step prediction SSE (sum over the 3 x 32 x 32 values) for 7 steps, next to
the zero-image and copy-last-frame errors. Character analysis (``zoo_nft.character``) of the
fitted ``M*`` against the horizontal shift as an angle on the 32-px circle, ``g = 2 pi v / 32``
per frame: ``char_top{1,2,3}`` are the shift frequencies (0..16) the latent carries most.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from zoo_core.data import DatasetSpec, dataset_root, reading, require
from zoo_nft.character import character_spectrum, top_frequencies
from zoo_nft.fisheye import ShiftedFisheyeImages
from zoo_nft.tasks_1d import _limit, _one_thread

__all__ = ["CIFAR100", "cifar100_images", "FisheyeCIFAR100Task"]

CIFAR100 = DatasetSpec(
    name="cifar100", title="CIFAR-100 (Krizhevsky, 2009), python version",
    url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
    layout=("cifar-100-python/train", "cifar-100-python/test", "cifar-100-python/meta"),
    note="unpack cifar-100-python.tar.gz here as it comes (torchvision.datasets.CIFAR100's root)")


@lru_cache(maxsize=2)
def cifar100_images(split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(images (n, 32, 32, 3) uint8, fine labels (n,))`` of the ``train`` (50,000) or ``test`` (10,000) split.

    torchvision's reader with its MD5 checks reduced to presence (a re-packed copy need not match
    them); a file that does not unpickle, or arrays of the wrong size, raise a DatasetError naming it.
    """
    if split not in ("train", "test"):
        raise ValueError(f"CIFAR-100 splits are 'train' and 'test', not {split!r}")
    from torchvision.datasets import CIFAR100 as TorchvisionCIFAR100

    root = dataset_root(CIFAR100)
    path = root / TorchvisionCIFAR100.base_folder / split
    local = type("LocalCIFAR100", (TorchvisionCIFAR100,), {   # md5 None: torchvision checks presence only
        "train_list": [["train", None]], "test_list": [["test", None]], "meta": {**TorchvisionCIFAR100.meta, "md5": None}})
    with reading(path, CIFAR100):
        data = local(str(root), train=split == "train", download=False)
        images, labels = np.asarray(data.data), np.asarray(data.targets, dtype=np.int64)
    require(images.shape[1:] == (32, 32, 3) and len(labels) == len(images) > 0, path,
            f"expected 32x32 RGB images with one fine label each, got {images.shape} and {labels.shape}", CIFAR100)
    return images, labels


class FisheyeCIFAR100Task:
    """U-NFT on fisheye-deformed, horizontally shifting CIFAR-100 sequences (see the module doc)."""

    name = "sequence-prediction/fisheye-cifar100"
    datasets = ("cifar100",)
    T_cond = 2
    n_pred = 7
    test_seed = 1234
    max_hshift = 16
    n_char = 3

    def dataset(self, split: str = "train", *, T: int | None = None, seed: int = 0,
                length: int | None = None) -> ShiftedFisheyeImages:
        """Training split: the train images, ``T = 4`` (official), velocities of ``seed``; test split:
        the test images, ``T = 9``, velocities of seed 1234. Items: ``(frames (T, 3, 32, 32), g)``,
        ``g = 2 pi v / 32`` the horizontal shift per frame as an angle."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        images, _ = cifar100_images(split)
        if split == "train":
            return ShiftedFisheyeImages(images, T=T or 4, max_hshift=self.max_hshift, seed=seed, length=length)
        return ShiftedFisheyeImages(images, T=T or self.T_cond + self.n_pred, max_hshift=self.max_hshift,
                                    seed=self.test_seed)

    @_one_thread
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, n_sequences: int = 10000,
                 batch_size: int = 50) -> dict[str, float]:
        """``pred_sse_step{k}`` (k = 1..7), ``pred_sse_mean``, ``zero_sse_mean``, ``copy_last_sse_mean``
        and ``char_top{i}`` (the character spectrum's largest shift frequencies). ``seed`` is unused:
        the test draw is fixed."""
        data = self.dataset("test")
        n = _limit(min(n_sequences, len(data)), limit)
        device = next(model.parameters()).device
        sse, copy, zero, Ms, gs = [], [], [], [], []
        for s in range(0, n, batch_size):
            xs, g = data.tensors(s, min(s + batch_size, n))
            xs = xs.to(device)
            target = xs[:, self.T_cond:]
            pred = model(xs[:, :self.T_cond], n_rolls=self.n_pred)
            sse.append(((pred - target) ** 2).flatten(2).sum(-1).cpu())
            copy.append(((target - xs[:, self.T_cond - 1:self.T_cond]) ** 2).flatten(2).sum(-1).cpu())
            zero.append((target ** 2).flatten(2).sum(-1).cpu())
            Ms.append(model.get_M(xs[:, :self.T_cond]).cpu())
            gs.append(g)
        sse = torch.cat(sse)
        out = {f"pred_sse_step{k + 1}": v for k, v in enumerate(sse.mean(0).tolist())}
        out.update(pred_sse_mean=sse.mean(), zero_sse_mean=torch.cat(zero).mean(),
                   copy_last_sse_mean=torch.cat(copy).mean())
        freqs, c = character_spectrum(torch.cat(Ms), torch.cat(gs), max_freq=16)
        out.update({f"char_top{i + 1}": f for i, f in enumerate(top_frequencies(freqs, c, self.n_char))})
        return out


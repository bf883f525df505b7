"""Readers of the object-discovery paper datasets in their official on-disk layout.

* :class:`NpzScenes`: the npz files of the official ``convert_tfrecord_to_np.py``
  (``images`` ``[N, 3, H, W]`` in [0, 1], ``labels`` ``[N, H, W]``), read as the official
  ``NumpyDataset`` does (images through uint8, grayscale repeated to RGB).
* :class:`CLEVRTexScenes`: CLEVRTex PNGs and ``_flat.png`` masks as the official
  ``CLEVRTEX`` class reads them: index ``**/CLEVRTEX_{variant}_NNNNNN.png``, splits by index
  fraction (test 0-10 %, val 10-20 %, train 20-100 %; ``outd`` is one split), centre crop of
  0.8 x the short side, resize to 128 px (image bilinear, mask nearest).

Items are ``(image [3, H, W] float in [0, 1], mask [H, W] long)``. Every file access is wrapped
in ``zoo_core.data.reading``, so a truncated or malformed file fails naming the file.

Example::

    scenes = NpzScenes(root / "tetrominoes_test.npz", TETROMINOES, imsize=32)
    image, mask = scenes[0]
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo_core.data import DatasetSpec, reading, require


class NpzScenes(Dataset):
    """One split file of the official npz layout, checked for keys and shapes."""

    def __init__(self, path: str | Path, spec: DatasetSpec, *, imsize: int) -> None:
        path = Path(path)
        require(path.is_file(), path, "missing (the split file the official loader reads)", spec)
        with reading(path, spec):
            with np.load(path) as arrays:
                require("images" in arrays and "labels" in arrays, path,
                        f"has arrays {sorted(arrays.files)}, expected 'images' and 'labels'", spec)
                images, labels = arrays["images"], arrays["labels"]
        if images.ndim == 4 and images.shape[1] == 1:  # grayscale: official NumpyDataset repeats it
            images = np.repeat(images, 3, axis=1)
        n = len(images)
        require(images.shape == (n, 3, imsize, imsize), path,
                f"images have shape {images.shape}, expected [N, 3, {imsize}, {imsize}]", spec)
        require(labels.shape == (n, imsize, imsize), path,
                f"labels have shape {labels.shape}, expected [{n}, {imsize}, {imsize}]", spec)
        # official: (255 * float image).astype(uint8), then ToTensor
        self.images = torch.from_numpy((255 * images.astype(np.float32)).astype(np.uint8))
        self.labels = torch.from_numpy(labels.astype(np.int64))

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[i].float() / 255, self.labels[i]


class CLEVRTexScenes(Dataset):
    """One split of one CLEVRTex variant (``full``, ``outd``, ``camo``) under ``root``."""

    splits = {"test": (0.0, 0.1), "val": (0.1, 0.2), "train": (0.2, 1.0)}
    crop_fraction = 0.8

    def __init__(self, root: str | Path, spec: DatasetSpec, *, variant: str = "full", split: str = "test",
                 imsize: int = 128) -> None:
        if split not in self.splits:
            raise ValueError(f"unknown CLEVRTex split {split!r}; expected one of {sorted(self.splits)}")
        self.spec, self.imsize = spec, imsize
        folder = Path(root) / f"clevrtex_{variant}"
        require(folder.is_dir(), folder, f"missing (the CLEVRTex {variant} variant)", spec)
        pattern = re.compile(rf"CLEVRTEX_{variant}_(\d{{6}})\.png")
        index = {}
        for path in folder.glob(f"**/CLEVRTEX_{variant}_??????.png"):
            m = pattern.fullmatch(path.name)
            if m:
                index[int(m.group(1))] = path
        require(bool(index), folder, f"holds no CLEVRTEX_{variant}_NNNNNN.png images", spec)
        gaps = [i for i in range(max(index)) if i not in index]
        require(not gaps, folder, f"lacks image number(s) {gaps[:5]} (an incomplete archive?)", spec)
        self.images = [index[i] for i in sorted(index)]
        for image in self.images:
            mask = self._mask(image)
            require(mask.is_file(), mask, f"missing (the mask of {image.name})", spec)
        lo, hi = (0.0, 1.0) if variant == "outd" else self.splits[split]  # official: outd has no splits
        self.images = self.images[int(lo * len(self.images)):int(hi * len(self.images))]

    @staticmethod
    def _mask(image: Path) -> Path:
        return image.with_name(image.stem + "_flat.png")

    def __len__(self) -> int:
        return len(self.images)

    def _load(self, path: Path, *, mask: bool):
        from PIL import Image

        with reading(path, self.spec):
            img = Image.open(path)
            img = img if mask else img.convert("RGB")
            side = int(self.crop_fraction * float(min(img.width, img.height)))
            img = img.crop(((img.width - side) // 2, (img.height - side) // 2,
                            (img.width + side) // 2, (img.height + side) // 2))
            img = img.resize((self.imsize, self.imsize), resample=Image.NEAREST if mask else Image.BILINEAR)
            return np.array(img)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        path = self.images[i]
        image = torch.from_numpy(self._load(path, mask=False)).permute(2, 0, 1).float() / 255
        mask = self._load(self._mask(path), mask=True)
        require(mask.ndim == 2, self._mask(path), f"is not a single-channel label image (shape {mask.shape})",
                self.spec)
        return image, torch.from_numpy(mask.astype(np.int64))


__all__ = ["NpzScenes", "CLEVRTexScenes"]

"""Photographs that pip packages ship, read offline: training crops and held-out test images.

scikit-image bundles some photographs in its wheel (others it would fetch with pooch: not
used); scikit-learn ships china.jpg and flower.jpg. Training crops come from
``TRAIN_PHOTOS``; ``TEST_PHOTOS`` are never trained on. A user's own folder (Kodak, CLIC) is
read by the ``compression/kodak`` task (tasks.py) through the core's data convention.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

TRAIN_PHOTOS = ("skimage:astronaut.png", "skimage:hubble_deep_field.jpg", "skimage:motorcycle_left.png",
                "skimage:motorcycle_right.png", "skimage:rocket.jpg", "skimage:retina.jpg", "skimage:ihc.png",
                "sklearn:china.jpg")
TEST_PHOTOS = ("sklearn:flower.jpg", "skimage:coffee.png", "skimage:chelsea.png")


def photo_path(ref: str) -> Path:
    """The file of a bundled photo ``"skimage:NAME"`` or ``"sklearn:NAME"``."""
    package, _, name = ref.partition(":")
    if package == "skimage":
        import skimage.data

        return Path(skimage.data.__file__).parent / name
    import sklearn.datasets

    return Path(sklearn.datasets.__file__).parent / "images" / name


def read_image(path: str | Path) -> torch.Tensor:
    """An image file as float RGB ``[3, H, W]`` in [0, 1] (alpha dropped, grey repeated)."""
    from PIL import Image

    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 255


def photo(ref: str) -> torch.Tensor:
    """A bundled photo as ``[3, H, W]`` in [0, 1]."""
    return read_image(photo_path(ref))


class PhotoCrops(torch.utils.data.Dataset):
    """``size`` random ``crop x crop`` crops (random horizontal flip) of the training photos.

    Crop ``i`` depends only on (seed, i), so the set is the same on every run.
    """

    def __init__(self, photos=TRAIN_PHOTOS, *, crop: int = 256, size: int = 8192, seed: int = 0):
        self.images = [(photo(p) * 255).round().to(torch.uint8) for p in photos]
        small = [p for p, im in zip(photos, self.images) if min(im.shape[-2:]) < crop]
        if small:
            raise ValueError(f"crop {crop} is larger than the photos {small}")
        self.crop, self.size, self.seed = crop, size, seed

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + i)
        im = self.images[int(torch.randint(len(self.images), (1,), generator=g))]
        y = int(torch.randint(im.shape[1] - self.crop + 1, (1,), generator=g))
        x = int(torch.randint(im.shape[2] - self.crop + 1, (1,), generator=g))
        out = im[:, y:y + self.crop, x:x + self.crop]
        if torch.rand((), generator=g) < 0.5:
            out = out.flip(-1)
        return out.float() / 255

"""Compression tasks: held-out bundled photos, and the user's copy of Kodak (or any folder).

``evaluate`` runs the real codec on each image: compress to a .nmsc file's bytes, decompress
in a fresh decoder, and reports what CompressAI's eval_model reports (``bpp`` from the file's
bytes, ``psnr-rgb``, ``ms-ssim-rgb``; timings are machine-dependent, so they are measured by
benchmarks/nmsc_claims.py, not recorded here), plus ``bpp_estimate`` (the context model's -sum log2 p, float softmax: what training
minimises), ``bpp_tables`` (-sum log2 p under the coder's integer tables, which floor every
probability at 2**-16, so an overconfident miss costs at most 16 bits), ``header_bytes`` and
``bit_exact`` (1.0 when every image's decoded latents equal the encoder's).
"""

from __future__ import annotations

from pathlib import Path

import torch

from zoo_core.data import DatasetSpec, dataset_root, reading
from zoo_nmsc.data import TEST_PHOTOS, photo, read_image

KODAK = DatasetSpec(
    name="kodak",
    title="Kodak PhotoCD test images (24 photos, 768x512 / 512x768, PNG)",
    url="https://r0k.us/graphics/kodak/",
    layout=("kodim*.png",),
    note="any folder of PNG images with these names works; another set (CLIC, your own) can be "
         "evaluated with zoo_nmsc.tasks.evaluate_images on its paths",
)


def evaluate_images(model, images, *, names=None) -> dict[str, float]:
    """Mean metrics of the codec over ``images`` (each ``[3, H, W]`` in [0, 1]); see module doc."""
    from zoo_nmsc import bitstream, codec, coder
    from zoo_nmsc.metrics import ms_ssim_rgb, psnr_rgb

    model.eval()
    rows = []
    for image in images:
        x = image.unsqueeze(0)
        h, w = x.shape[-2:]
        data = codec.compress(model, image)
        x_hat = codec.decompress(data, model).unsqueeze(0)
        with torch.no_grad():
            padded = torch.nn.functional.pad(x, (0, -w % 32, 0, -h % 32))
            zs = model.encode(padded)
            est = model.context_model.bits(zs).item()
            tables = coder.code_length(model.context_model.groups(zs))
        payload = bitstream.read(data)[1]
        decoded = model.decompress_latents(payload, h, w)
        rows.append({"bpp": 8 * len(data) / (h * w), "bpp_estimate": est / (h * w), "bpp_tables": tables / (h * w),
                     "psnr-rgb": psnr_rgb(x_hat, x), "ms-ssim-rgb": ms_ssim_rgb(x_hat, x),
                     "header_bytes": bitstream.header_bytes(model.zoo_name or type(model).__name__),
                     "bit_exact": float(all(torch.equal(a, b) for a, b in zip(zs, decoded)))})
    return {k: round(sum(r[k] for r in rows) / len(rows), 5) for k in rows[0]}


class HeldOutPhotos:
    """``compression/photos``: photos the training never sees (``zoo_nmsc.data.TEST_PHOTOS``):
    scikit-learn's flower.jpg (427x640), scikit-image's coffee.png (400x600) and chelsea.png (300x451)."""

    name = "compression/photos"

    def dataset(self, split: str):
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if split == "train":
            from zoo_nmsc.data import PhotoCrops

            return PhotoCrops()
        return [photo(p) for p in TEST_PHOTOS]

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0) -> dict[str, float]:
        return evaluate_images(model, self.dataset("test")[:limit])


class Kodak:
    """``compression/kodak``: the user's local copy of Kodak (``$ZOO_DATA/kodak/kodim*.png``)."""

    name = "compression/kodak"
    datasets = ("kodak",)

    def dataset(self, split: str = "test"):
        if split != "test":
            raise ValueError(f"Kodak has only a test split, got {split!r}")
        root = dataset_root(KODAK)
        paths = sorted(Path(root).glob("kodim*.png"))
        images = []
        for p in paths:
            with reading(p, KODAK) as path:
                images.append(read_image(path))
        return images

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0) -> dict[str, float]:
        return evaluate_images(model, self.dataset("test")[:limit])

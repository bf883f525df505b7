"""Font digits: 32x32 digits 0-9 rendered from the TrueType fonts matplotlib ships, with
random affine distortions (task ``generation/fontdigits32``; sharper than the 8x8 sklearn set).

Each glyph is drawn once with Pillow at 4x resolution (96x96 canvas, centred on its ink box,
height ~60 px), then every sample applies its own random affine map with ``grid_sample``
(rotation +-15 deg, scale 0.75-1.05, shear +-0.3, translation +-2.5 px, stroke thickening
or thinning by a 5x5 max / 3x3 min pool at high resolution with probability 1/4 each; glyphs
that thinning would halve are left as drawn) and is
box-filtered down to 32x32. Bold fonts give thicker strokes; oblique ones slanted digits.

Splits (deterministic, no download):

* ``train``: 12,000 images from the 17 :data:`TRAIN_FONTS`, seed 0, labels balanced;
* ``test``: 2,000 images, seed 1: 1,000 from the train fonts and 1,000 from the 4
  :data:`TEST_FONTS` no train image is drawn from (DejaVuSerif-BoldItalic, STIXGeneralItalic,
  cmss10, cmtt10), so the test split measures generalisation to new fonts too.

Images are in [-1, 1] (white digit on black, as MNIST), grey replicated to 3 channels.

Example::

    >>> x, y = font_digits32_tensors("test")
    >>> tuple(x.shape), int(y.max()), bool(x.min() >= -1 and x.max() <= 1)
    ((2000, 3, 32, 32), 9, True)
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

__all__ = ["font_digits32", "font_digits32_tensors", "TRAIN_FONTS", "TEST_FONTS", "SPLITS", "font_dir"]

SPLITS = ("train", "test")
TRAIN_FONTS = (
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
    "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique",
    "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic",
    "STIXGeneral", "STIXGeneralBol", "STIXGeneralBolIta",
    "cmr10", "cmb10", "cmti10")
TEST_FONTS = ("DejaVuSerif-BoldItalic", "STIXGeneralItalic", "cmss10", "cmtt10")
_SIZES = {"train": 12000, "test": 2000}
_HI = 96  # glyph canvas (4x the output, x2 at the sampling grid then a 2x2 box filter)


def font_dir() -> Path:
    """matplotlib's bundled TrueType folder (``mpl-data/fonts/ttf``)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@functools.lru_cache(maxsize=64)
def _glyphs(font: str) -> torch.Tensor:
    """The 10 digits of ``font`` as ``(10, 1, 96, 96)`` in [0, 1], centred on their ink box."""
    from PIL import Image, ImageDraw, ImageFont

    path = font_dir() / f"{font}.ttf"
    if not path.is_file():
        raise FileNotFoundError(f"Font {path} not found; matplotlib ships it in mpl-data/fonts/ttf")
    face = ImageFont.truetype(str(path), 80)
    out = torch.zeros(10, 1, _HI, _HI)
    for d in range(10):
        img = Image.new("L", (160, 160), 0)
        ImageDraw.Draw(img).text((20, 10), str(d), fill=255, font=face)
        box = img.getbbox()
        glyph = img.crop(box)
        scale = 60 / glyph.height  # digit height 60 of 96 (~20 px of 32)
        w = max(1, round(glyph.width * scale))
        glyph = glyph.resize((min(w, _HI - 4), 60), Image.LANCZOS)
        canvas = Image.new("L", (_HI, _HI), 0)
        canvas.paste(glyph, ((_HI - glyph.width) // 2, (_HI - 60) // 2))
        out[d, 0] = torch.frombuffer(bytearray(canvas.tobytes()), dtype=torch.uint8).view(_HI, _HI).float() / 255
    return out


def _render(fonts: tuple[str, ...], n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    labels = labels[torch.randperm(n, generator=g)]
    font_idx = torch.randint(len(fonts), (n,), generator=g)
    table = torch.stack([_glyphs(f) for f in fonts])  # (fonts, 10, 1, 96, 96)
    flat = table.flatten(0, 1)
    thin = -F.max_pool2d(-flat, 3, 1, 1)
    kept = thin.sum((1, 2, 3)) / flat.sum((1, 2, 3))  # thin glyphs (cmti10, ...) would vanish:
    thin = torch.where((kept >= 0.5)[:, None, None, None], thin, flat)  # those stay as drawn
    strokes = torch.stack([flat, F.max_pool2d(flat, 5, 1, 2), thin])
    strokes = strokes.view(3, len(fonts), 10, 1, _HI, _HI)
    stroke = torch.tensor([1, 2, 0, 0])[torch.randint(4, (n,), generator=g)]  # 1/4 thicker, 1/4 thinner

    def u(lo, hi):
        return lo + (hi - lo) * torch.rand(n, generator=g)

    angle = u(-15, 15) * math.pi / 180
    scale = u(0.75, 1.05)
    shear = u(-0.3, 0.3)
    tx, ty = u(-2.5, 2.5) / 16, u(-2.5, 2.5) / 16  # pixels of 32 in normalised coordinates
    cos, sin = torch.cos(angle), torch.sin(angle)
    # output -> source map: inverse of (rotate . shear . scale); grid_sample wants output->input
    a = torch.stack([torch.stack([cos, -sin + shear * cos], -1), torch.stack([sin, cos + shear * sin], -1)], -2)
    a = a * scale[:, None, None]
    theta = torch.cat([torch.linalg.inv(a), torch.stack([-tx, -ty], -1)[:, :, None]], -1)
    x = torch.empty(n, 1, 32, 32)
    for i in range(0, n, 500):  # chunks keep the 96x96 sources small in memory
        sl = slice(i, i + 500)
        src = strokes[stroke[sl], font_idx[sl], labels[sl]]
        grid = F.affine_grid(theta[sl], (src.shape[0], 1, 64, 64), align_corners=False)
        x[sl] = F.avg_pool2d(F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros",
                                           align_corners=False), 2)
    x = (x.clamp(0, 1) * 2 - 1).expand(-1, 3, -1, -1).contiguous()
    return x, labels


@functools.lru_cache(maxsize=2)
def _split(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    if split == "train":
        return _render(TRAIN_FONTS, _SIZES["train"], seed=0)
    half = _SIZES["test"] // 2
    xa, ya = _render(TRAIN_FONTS, half, seed=1)
    xb, yb = _render(TEST_FONTS, half, seed=2)
    return torch.cat([xa, xb]), torch.cat([ya, yb])


def font_digits32_tensors(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """``(images, labels)``: float32 ``(N, 3, 32, 32)`` in [-1, 1] and int64 ``(N,)``.

    Raises:
        ValueError: unknown split.
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown fontdigits32 split {split!r}; use one of {SPLITS}")
    x, y = _split(split)
    return x.clone(), y.clone()


def font_digits32(split: str = "train") -> TensorDataset:
    """The split as a ``TensorDataset`` of ``(image, label)`` pairs."""
    return TensorDataset(*font_digits32_tensors(split))

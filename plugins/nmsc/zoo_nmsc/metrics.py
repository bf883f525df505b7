"""Metrics as CompressAI's eval_model computes them, on 8-bit RGB.

PSNR = 20 log10(255) - 10 log10(MSE) and MS-SSIM from pytorch-msssim (data range 255 on the
8-bit values), bpp = bytes of the file * 8 / (H W of the unpadded image).
"""

from __future__ import annotations

import math

import torch

MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # the official msssim.py (Wang et al.)


def ms_ssim(x: torch.Tensor, y: torch.Tensor, *, weights=MSSSIM_WEIGHTS, data_range: float = 1.0) -> torch.Tensor:
    """MS-SSIM (pytorch-msssim: Gaussian window 11, sigma 1.5, five scales), the batch mean.

    pytorch-msssim needs images above 160 px per side (four 2x downsamplings).
    """
    from pytorch_msssim import ms_ssim as _ms_ssim

    if min(x.shape[-2:]) <= 160:
        from zoo_nmsc.errors import ImageError

        raise ImageError(f"MS-SSIM with five scales needs images above 160 px per side, got {tuple(x.shape[-2:])}")
    return _ms_ssim(x, y, data_range=data_range, weights=list(weights), size_average=True)


def to_8bit(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats to the 0..255 values an image file would hold (as float)."""
    return (x.clamp(0, 1) * 255).round()


def psnr_rgb(x: torch.Tensor, y: torch.Tensor) -> float:
    mse = torch.mean((to_8bit(x) - to_8bit(y)) ** 2).item()
    return float("inf") if mse == 0 else 20 * math.log10(255) - 10 * math.log10(mse)


def ms_ssim_rgb(x: torch.Tensor, y: torch.Tensor) -> float:
    """MS-SSIM on 8-bit RGB, as CompressAI's eval_model (data range 255)."""
    return float(ms_ssim(to_8bit(x), to_8bit(y), data_range=255))

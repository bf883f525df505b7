"""NVS metrics as the official ``evaluate.py`` computes them, per rendered target image.

* PSNR: mean over images of ``-10 log10(MSE_image)``, pixels in [0, 1].
* SSIM: ``pytorch_msssim.ssim(pred, target, data_range=1)``, Gaussian window 11, sigma 1.5
  (the official settings). pytorch-msssim filters with a "valid" convolution, so an image
  needs at least 11 px per side; at 32 px the window fits (22x22 positions are averaged).
  Smaller images get ``win_size`` = the largest odd size that fits, and the task reports it.
* LPIPS (VGG, inputs mapped to [-1, 1], as official): only when the backbone weights are on
  this machine (torchmetrics' ``LearnedPerceptualImagePatchSimilarity`` loads torchvision's
  VGG-16 and the LPIPS linear layers); nothing is downloaded here.

Example::

    from zoo_gta.metrics import psnr, ssim
    psnr(pred, target)   # pred, target: [N, 3, H, W] in [0, 1] -> tensor [N]
"""

from __future__ import annotations

import torch

from zoo_core.errors import ZooError

__all__ = ["psnr", "ssim", "ssim_window", "lpips_vgg"]


def psnr(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``-10 log10(MSE)`` of each image: ``[N, ...] -> [N]``."""
    mse = (pred - target).square().flatten(1).mean(1)
    return -10 * torch.log10(mse)


def ssim_window(height: int, width: int) -> int:
    """The official window (11) when it fits the image, else the largest odd size that does."""
    side = min(height, width, 11)
    return side if side % 2 else side - 1


def ssim(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """pytorch-msssim SSIM of each image ``[N, 3, H, W]`` (data_range 1, sigma 1.5): ``[N]``."""
    from pytorch_msssim import ssim as _ssim

    win = ssim_window(*pred.shape[-2:])
    return _ssim(pred.float(), target.float(), data_range=1.0, size_average=False, win_size=win)


def lpips_vgg():
    """A callable ``(pred, target) -> [N]`` LPIPS-VGG, or a ZooError saying what is missing."""
    try:
        from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

        metric = LearnedPerceptualImagePatchSimilarity(net_type="vgg", reduction="none", normalize=True)
    except Exception as e:  # the weights are fetched on first use; offline that fails
        raise ZooError("LPIPS needs the VGG-16 backbone and LPIPS weights in the local torch/torchmetrics "
                       f"cache (none could be loaded: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                       "evaluate without lpips, or put the weights in the cache on a machine with internet "
                       "access first") from None

    def fn(pred, target):
        return metric(pred.clamp(0, 1), target.clamp(0, 1))

    return fn

"""Differentiable square crops, and the fixed random-crop distribution (the baseline channel).

A crop box is ``(cx, cy, s)``: its centre in the canvas coordinates of ``torch.nn.functional.
affine_grid`` (``[-1, 1]``, x to the right, y down, ``align_corners=False``) and its side ``s`` as a
fraction of the canvas side. The crop is resampled to ``size x size`` pixels by bilinear
``grid_sample`` with the affine map ``[[s, 0, cx], [0, s, cy]]`` (a spatial transformer, Jaderberg
et al. 2015), so the view is differentiable in ``(cx, cy, s)``: the reparameterised gradient that
the trainable channel q_phi(T | X) of arXiv:2111.07679 is trained through. Outside the canvas the
view is zero (blank canvas).

Example::

    from zoo_contrastive.crops import crop, uniform_boxes
    boxes = uniform_boxes(8, (0.25, 0.5), generator=torch.Generator().manual_seed(0))
    views = crop(canvases[:8], boxes, 32)        # [8, 1, 32, 32]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo_contrastive.canvas import CanvasInputError

__all__ = ["crop", "digit_coverage", "uniform_boxes"]


def _check_boxes(boxes: torch.Tensor, n: int) -> None:
    if not isinstance(boxes, torch.Tensor) or boxes.ndim != 2 or boxes.shape != (n, 3):
        shape = tuple(boxes.shape) if isinstance(boxes, torch.Tensor) else type(boxes).__name__
        raise CanvasInputError(f"boxes: expected [{n}, 3] rows (cx, cy, side) for {n} canvases, got {shape}")


def crop(images: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """The ``size x size`` views ``[B, C, size, size]`` of ``images [B, C, H, W]`` inside ``boxes [B, 3]``."""
    _check_boxes(boxes, images.shape[0])
    cx, cy, s = boxes.unbind(1)
    zero = torch.zeros_like(s)
    theta = torch.stack([torch.stack([s, zero, cx], 1), torch.stack([zero, s, cy], 1)], 1)
    grid = F.affine_grid(theta.to(images.dtype), [images.shape[0], images.shape[1], size, size], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def uniform_boxes(n: int, scale: tuple[float, float], *, generator: torch.Generator | None = None,
                  device=None) -> torch.Tensor:
    """``n`` boxes of side uniform in ``scale`` and centre uniform over the positions that keep the
    crop inside the canvas: the fixed (data-independent) random-crop augmentation."""
    lo, hi = scale
    if not 0 < lo <= hi <= 1:
        raise ValueError(f"scale must satisfy 0 < min <= max <= 1 (fractions of the canvas side), got {scale!r}")
    u = torch.rand(n, 3, generator=generator, device=device)
    s = lo + (hi - lo) * u[:, 2]
    c = (2 * u[:, :2] - 1) * (1 - s)[:, None]
    return torch.cat([c, s[:, None]], 1)


def digit_coverage(boxes: torch.Tensor, digit_boxes: torch.Tensor) -> torch.Tensor:
    """Fraction ``[n]`` of each digit's square (``digit_boxes``, same convention) inside its crop box."""
    def interval(b):
        return b[:, 0] - b[:, 2], b[:, 0] + b[:, 2], b[:, 1] - b[:, 2], b[:, 1] + b[:, 2]

    ax0, ax1, ay0, ay1 = interval(boxes)
    bx0, bx1, by0, by1 = interval(digit_boxes)
    w = (torch.minimum(ax1, bx1) - torch.maximum(ax0, bx0)).clamp(min=0)
    h = (torch.minimum(ay1, by1) - torch.maximum(ay0, by0)).clamp(min=0)
    return w * h / (2 * digit_boxes[:, 2]) ** 2

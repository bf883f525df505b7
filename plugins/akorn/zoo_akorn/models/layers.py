"""Building blocks shared by the AKOrN models: position codes, GTA matrices, readout.

Layout convention in this package: feature maps are kept channel-last (``[B, H, W, C]``)
inside the models, so that every oscillator (``n`` consecutive channels) is contiguous in
memory; convolutions see them as ``channels_last`` NCHW views.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def positional_encoding_2d(ch: int, height: int, width: int) -> Tensor:
    """Sin/cos absolute 2-D position code ``[ch, height, width]`` (first half: width axis, second half: height axis).

    Raises:
        ValueError: if ``ch`` is not a multiple of 4.
    """
    if ch % 4:
        raise ValueError(f"sin/cos 2-D positional encoding needs a channel count divisible by 4, got {ch}")
    pe = torch.zeros(ch, height, width)
    half = ch // 2
    div = torch.exp(torch.arange(0.0, half, 2) * -(math.log(10000.0) / half))
    pos_w = torch.arange(0.0, width).unsqueeze(1)
    pos_h = torch.arange(0.0, height).unsqueeze(1)
    pe[0:half:2] = torch.sin(pos_w * div).transpose(0, 1).unsqueeze(1).repeat(1, height, 1)
    pe[1:half:2] = torch.cos(pos_w * div).transpose(0, 1).unsqueeze(1).repeat(1, height, 1)
    pe[half::2] = torch.sin(pos_h * div).transpose(0, 1).unsqueeze(2).repeat(1, 1, width)
    pe[half + 1::2] = torch.cos(pos_h * div).transpose(0, 1).unsqueeze(2).repeat(1, 1, width)
    return pe


def so2_matrices(height: int, width: int, head_dim: int) -> Tensor:
    """Initial GTA matrices ``[height * width, head_dim // 2, 2, 2]`` (2-D SO(2) rotations).

    Tokens are in row-major order with integer coordinates (row, col). With
    ``F = ceil(head_dim / 4)`` frequencies ``w_f = 10000^(-f/F)``, the 2x2 block of pair
    ``p = 2 f + d`` is the rotation by ``coord_d * w_f``; the list is cut at ``head_dim // 2``.
    """
    nfreq = -(-head_dim // 4)
    rows, cols = torch.meshgrid(torch.arange(height, dtype=torch.float32),
                                torch.arange(width, dtype=torch.float32), indexing="ij")
    coord = torch.stack([rows.flatten(), cols.flatten()], -1)  # [HW, 2]
    freqs = torch.exp(torch.arange(0.0, 2 * nfreq, 2) * -(math.log(10000.0) / (2 * nfreq)))
    theta = coord[:, None, :] * freqs[None, :, None]  # [HW, F, 2]: pair p = 2f + d
    cos, sin = torch.cos(theta), torch.sin(theta)
    mats = torch.stack([cos, -sin, sin, cos], -1).unflatten(-1, (2, 2))  # [HW, F, 2, 2, 2]
    return mats.flatten(1, 2)[:, : head_dim // 2]


def resize_token_grid(param: Tensor, src_hw: tuple[int, int], dst_hw: tuple[int, int]) -> Tensor:
    """Bilinearly resize per-token parameters ``[src_h * src_w, ...]`` to another token grid."""
    if tuple(src_hw) == tuple(dst_hw):
        return param
    rest = param.shape[1:]
    grid = param.reshape(src_hw[0], src_hw[1], -1).permute(2, 0, 1)[None]
    grid = F.interpolate(grid, size=tuple(dst_hw), mode="bilinear")[0]
    return grid.permute(1, 2, 0).reshape(dst_hw[0] * dst_hw[1], *rest)


def pair_coefficients(mats: Tensor) -> tuple[Tensor, Tensor]:
    """Split 2x2 blocks ``[..., P, 2, 2]`` into ``(diag, off)`` of shape ``[..., 2P]``.

    Then ``M x`` for pairs ``x = (a, b)`` is ``x * diag + swap(x) * off`` with
    ``swap(a, b) = (b, a)``: ``(m00 a + m01 b, m11 b + m10 a)``.
    """
    diag = torch.stack([mats[..., 0, 0], mats[..., 1, 1]], -1).flatten(-2)
    off = torch.stack([mats[..., 0, 1], mats[..., 1, 0]], -1).flatten(-2)
    return diag, off


def apply_pairs(x: Tensor, diag: Tensor, off: Tensor) -> Tensor:
    """Apply 2x2 blocks given by :func:`pair_coefficients` to consecutive channel pairs of ``x``."""
    swapped = x.unflatten(-1, (-1, 2)).flip(-1).flatten(-2)
    return torch.addcmul(x * diag, swapped, off)


def conv_nhwc(x: Tensor, weight: Tensor, bias: Tensor | None, *, stride: int = 1, padding: int = 0) -> Tensor:
    """2-D convolution of a channel-last map ``[B, H, W, C]``; returns ``[B, H', W', C']`` contiguous."""
    if weight.shape[-1] == 1 and weight.shape[-2] == 1 and stride == 1 and padding == 0:
        return F.linear(x, weight.flatten(1), bias)
    out = F.conv2d(x.permute(0, 3, 1, 2), weight, bias, stride=stride, padding=padding)
    return out.permute(0, 2, 3, 1).contiguous()


class ReadOut(nn.Module):
    """Invariant readout (``ReadOutConv``): ``c_k = || (U x)_{k, 1..M} ||_2 + b_k``.

    ``U`` is a convolution ``inch -> outch * M``; output channel ``k`` groups the ``M``
    consecutive channels ``k*M .. k*M+M-1``. The norm over the rotating dimensions makes
    the readout invariant to rotations of each oscillator group. Input and output are
    channel-last ``[B, H, W, C]``.
    """

    def __init__(self, *, inch: int, outch: int, M: int, kernel_size: int = 1) -> None:
        super().__init__()
        self.outch, self.M, self.padding = outch, M, kernel_size // 2
        self.conv = nn.Conv2d(inch, outch * M, kernel_size, 1, kernel_size // 2)
        self.bias = nn.Parameter(torch.zeros(outch))

    def forward(self, x: Tensor) -> Tensor:
        u = conv_nhwc(x, self.conv.weight, self.conv.bias, padding=self.padding)
        return torch.linalg.vector_norm(u.unflatten(-1, (self.outch, self.M)), dim=-1) + self.bias


__all__ = ["positional_encoding_2d", "so2_matrices", "resize_token_grid", "pair_coefficients",
           "apply_pairs", "conv_nhwc", "ReadOut"]

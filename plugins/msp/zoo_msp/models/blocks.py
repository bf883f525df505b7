"""Building blocks of the MSP networks (official ``models/resblock.py``, ``utils/emb2d.py``).

* ``WSConv2d`` / ``WSConv1d``: convolutions whose weight is standardised on every call
  (zero mean, unit *unbiased* std per output channel, ``+1e-5`` added to the std, not
  inside the square root), as the official ``WeightStandarization`` parametrisation does.
  We store the raw weight as ``weight`` (the official state dict calls it
  ``parametrizations.weight.original``; ``zoo_msp.convert`` renames it).
* ``PositionalEmbedding2D``: a 2-D sinusoidal embedding concatenated to the features. It is
  a *trainable* parameter initialised with the sinusoid (official ``Emb2D``, which is lazy;
  here the feature-map size is given, so no lazy module is needed).
* ``ResBlock``: pre-activation residual block (GroupNorm -> ReLU -> [up] -> [pos. emb.] ->
  WS-conv -> GroupNorm -> ReLU -> WS-conv -> [down]) plus a 1x1 conv shortcut.
* ``Conv1x1Block``: the same idea for 1x1 ``Conv1d`` with LayerNorm over channels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["WSConv2d", "WSConv1d", "positional_encoding_2d", "PositionalEmbedding2D",
           "ResBlock", "Conv1x1Block", "Transpose"]


def _standardize(weight: torch.Tensor) -> torch.Tensor:
    """Per-output-channel standardisation in the official order of operations.

    The mean is taken one axis at a time and the std is the unbiased std of the centred
    weight plus 1e-5, so the result is bit-identical to the official parametrisation.
    """
    mean = weight
    for dim in range(1, weight.dim()):
        mean = mean.mean(dim=dim, keepdim=True)
    centred = weight - mean
    std = centred.reshape(weight.shape[0], -1).std(dim=1) + 1e-5
    return centred / std.reshape((-1,) + (1,) * (weight.dim() - 1))


class WSConv2d(nn.Conv2d):
    """``nn.Conv2d`` with weight standardisation applied in ``forward``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, _standardize(self.weight), self.bias)


class WSConv1d(nn.Conv1d):
    """``nn.Conv1d`` with weight standardisation applied in ``forward``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, _standardize(self.weight), self.bias)


def positional_encoding_2d(dim: int, height: int, width: int) -> torch.Tensor:
    """Sinusoidal 2-D positional encoding of shape ``(dim, height, width)``.

    The first ``dim/2`` channels encode the column (x) position, the last ``dim/2`` the row
    (y) position; inside each half, even channels are sines and odd channels cosines of the
    position times ``10000^(-2i/(dim/2))``.
    """
    if dim % 4:
        raise ValueError(f"positional_encoding_2d needs dim divisible by 4, got dim={dim}")
    half = dim // 2
    freq = torch.exp(torch.arange(0.0, half, 2) * -(math.log(10000.0) / half))  # (half/2,)
    x = torch.arange(0.0, width).unsqueeze(1) * freq  # (W, half/2)
    y = torch.arange(0.0, height).unsqueeze(1) * freq  # (H, half/2)
    pe = torch.zeros(dim, height, width)
    pe[0:half:2] = torch.sin(x).T[:, None, :].expand(-1, height, -1)
    pe[1:half:2] = torch.cos(x).T[:, None, :].expand(-1, height, -1)
    pe[half::2] = torch.sin(y).T[:, :, None].expand(-1, -1, width)
    pe[half + 1::2] = torch.cos(y).T[:, :, None].expand(-1, -1, width)
    return pe


class PositionalEmbedding2D(nn.Module):
    """Concatenate a learnable ``(dim, height, width)`` embedding to a feature map.

    Args:
        dim: embedding channels (64 in the official code).
        size: ``(height, width)`` of the feature maps it is applied to.
    """

    def __init__(self, *, dim: int = 64, size: tuple[int, int]):
        super().__init__()
        self.dim = dim
        self.emb = nn.Parameter(positional_encoding_2d(dim, *size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != self.emb.shape[-2:]:
            raise ValueError(f"PositionalEmbedding2D was built for {tuple(self.emb.shape[-2:])} "
                             f"feature maps but got {tuple(x.shape[-2:])}; check the input image "
                             "size against the model's bottom_width * 2**n_blocks")
        emb = self.emb.to(x.dtype)[None].expand(x.shape[0], -1, -1, -1)
        return torch.cat([x, emb], dim=1)


class ResBlock(nn.Module):
    """Pre-activation residual block with optional resampling and positional embedding.

    Args:
        in_channels, out_channels, hidden_channels: channel counts.
        kernel_size: size of the two weight-standardised convolutions.
        resample: ``None``, ``"down"`` (2x2 average pool after the convs) or ``"up"``
            (nearest 2x upsampling before them).
        posemb_size: if given, the ``(h, w)`` of the (upsampled) input, and a 64-channel
            learnable positional embedding is concatenated before ``c1`` and ``c_sc``.
    """

    def __init__(self, *, in_channels: int, out_channels: int, hidden_channels: int,
                 kernel_size: int = 3, resample: str | None = None,
                 posemb_size: tuple[int, int] | None = None):
        super().__init__()
        if resample not in (None, "down", "up"):
            raise ValueError(f"resample must be None, 'down' or 'up', got {resample!r}")
        self.resample = resample
        self.pe = PositionalEmbedding2D(dim=64, size=posemb_size) if posemb_size else None
        conv_in = in_channels + (self.pe.dim if self.pe is not None else 0)
        padding = (kernel_size - 1) // 2
        self.b1 = nn.GroupNorm(min(32, in_channels), in_channels)
        self.c1 = WSConv2d(conv_in, hidden_channels, kernel_size, padding=padding)
        self.b2 = nn.GroupNorm(min(32, hidden_channels), hidden_channels)
        self.c2 = WSConv2d(hidden_channels, out_channels, kernel_size, padding=padding)
        self.c_sc = nn.Conv2d(conv_in, out_channels, 1, padding=0)
        nn.init.xavier_uniform_(self.c1.weight, math.sqrt(2))
        nn.init.xavier_uniform_(self.c2.weight, math.sqrt(2))
        nn.init.xavier_uniform_(self.c_sc.weight)

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.pe is None else self.pe(x)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.b1(x))
        if self.resample == "up":
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.c1(self._embed(x))
        x = self.c2(F.relu(self.b2(x)))
        return F.avg_pool2d(x, 2) if self.resample == "down" else x

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.resample == "up":
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.c_sc(self._embed(x))
        return F.avg_pool2d(x, 2) if self.resample == "down" else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.residual(x) + self.shortcut(x)


class Transpose(nn.Module):
    """Swap the last two axes (``n c s <-> n s c``), a parameter-free ``nn.Sequential`` step."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(-2, -1)


class Conv1x1Block(nn.Module):
    """Residual block of 1x1 ``Conv1d``s on ``(n, channels, length)`` with LayerNorm over channels."""

    def __init__(self, *, in_channels: int, out_channels: int, hidden_channels: int | None = None):
        super().__init__()
        hidden_channels = out_channels if hidden_channels is None else hidden_channels
        self.norm1 = nn.LayerNorm(in_channels)
        self.c1 = WSConv1d(in_channels, hidden_channels, 1)
        self.norm2 = nn.LayerNorm(hidden_channels)
        self.c2 = WSConv1d(hidden_channels, out_channels, 1)
        self.c_sc = nn.Conv1d(in_channels, out_channels, 1)
        nn.init.xavier_uniform_(self.c1.weight, math.sqrt(2))
        nn.init.xavier_uniform_(self.c2.weight, math.sqrt(2))
        nn.init.xavier_uniform_(self.c_sc.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.norm1(x.transpose(-2, -1)).transpose(-2, -1))
        h = self.c1(h)
        h = F.relu(self.norm2(h.transpose(-2, -1)).transpose(-2, -1))
        return self.c2(h) + self.c_sc(x)

"""Encoder and decoder networks of MSP (official ``models/base_networks.py``).

The official networks use lazy layers; here every shape is computed from the constructor
arguments (image size = ``bottom_width * 2**n_blocks``), and the module tree keeps the
official attribute names and ``nn.Sequential`` indices, so state-dict keys line up
(up to the weight-standardisation rename handled by ``zoo_msp.convert``).

Channel width: ``c = int(32 * k)``; block ``i`` of the encoder maps ``c*2^i -> c*2^(i+1)``
and halves the resolution; the decoder mirrors it.
"""

from __future__ import annotations

import torch
from torch import nn

from zoo_msp.models.blocks import Conv1x1Block, ResBlock, Transpose

__all__ = ["ResNetEncoder", "ResNetDecoder", "Conv1x1Encoder", "base_width"]


def base_width(k: float) -> int:
    """Channel width of the first stage, ``int(32 * k)`` as in the official code."""
    c = int(32 * k)
    if c < 1:
        raise ValueError(f"width multiplier k={k} gives {c} channels; use k >= 1/32")
    return c


class ResNetEncoder(nn.Module):
    """``phi``: conv3x3 -> ``n_blocks`` residual down-blocks -> GroupNorm -> ReLU; then ``linear``.

    Args:
        in_channels: image channels.
        image_size: input height = width.
        dim_latent: output size of ``linear`` (``0`` = no linear layer, return the flattened
            features, as the SimCLR baseline does).
        k: width multiplier; n_blocks: number of down-blocks; kernel_size: block conv size.
    """

    def __init__(self, *, in_channels: int, image_size: int, dim_latent: int, k: float = 1.0,
                 n_blocks: int = 3, kernel_size: int = 3):
        super().__init__()
        c = base_width(k)
        if image_size % (2 ** n_blocks):
            raise ValueError(f"image_size={image_size} is not divisible by 2**n_blocks={2 ** n_blocks}")
        c_out = c * 2 ** n_blocks
        self.phi = nn.Sequential(
            nn.Conv2d(in_channels, c, 3, 1, 1),
            *[ResBlock(in_channels=c * 2 ** i, out_channels=c * 2 ** (i + 1),
                       hidden_channels=c * 2 ** (i + 1), kernel_size=kernel_size, resample="down")
              for i in range(n_blocks)],
            nn.GroupNorm(min(32, c_out), c_out),
            nn.ReLU(),
        )
        self.n_features = c_out * (image_size // 2 ** n_blocks) ** 2
        self.linear = nn.Linear(self.n_features, dim_latent) if dim_latent > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.phi(x).flatten(1))


class ResNetDecoder(nn.Module):
    """``linear`` -> tile to ``bottom_width^2`` -> residual up-blocks with positional embedding
    -> GroupNorm -> ReLU -> conv3x3 -> sigmoid (pixels in [0, 1]).

    Args:
        dim_latent: input size; ch_x: output image channels; k, n_blocks, kernel_size as in
        the encoder; bottom_width: spatial size the latent vector is broadcast to.
    """

    def __init__(self, *, dim_latent: int, ch_x: int, k: float = 1.0, kernel_size: int = 3,
                 bottom_width: int = 4, n_blocks: int = 3):
        super().__init__()
        c = base_width(k)
        self.bottom_width = bottom_width
        self.linear = nn.Linear(dim_latent, c * 2 ** n_blocks)
        blocks = []
        for i in range(n_blocks - 1, -1, -1):
            size = bottom_width * 2 ** (n_blocks - i)  # after the 2x upsampling of this block
            blocks.append(ResBlock(in_channels=c * 2 ** (i + 1), out_channels=c * 2 ** i,
                                   hidden_channels=c * 2 ** i, kernel_size=kernel_size,
                                   resample="up", posemb_size=(size, size)))
        self.net = nn.Sequential(*blocks, nn.GroupNorm(min(32, c), c), nn.ReLU(),
                                 nn.Conv2d(c, ch_x, 3, 1, 1))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        x = self.linear(h)[:, :, None, None]
        x = x.expand(-1, -1, self.bottom_width, self.bottom_width)  # spatial broadcast
        return torch.sigmoid(self.net(x))


class Conv1x1Encoder(nn.Sequential):
    """Position-wise MLP over ``(n, in_channels, length)`` (official ``Conv1d1x1Encoder``).

    conv1x1 -> 2 residual 1x1 blocks -> LayerNorm over channels -> ReLU -> conv1x1.
    """

    def __init__(self, *, in_channels: int, dim_out: int = 16, dim_hidden: int = 128):
        super().__init__(
            nn.Conv1d(in_channels, dim_hidden, 1, 1, 0),
            Conv1x1Block(in_channels=dim_hidden, out_channels=dim_hidden),
            Conv1x1Block(in_channels=dim_hidden, out_channels=dim_hidden),
            Transpose(),
            nn.LayerNorm(dim_hidden),
            Transpose(),
            nn.ReLU(),
            nn.Conv1d(dim_hidden, dim_out, 1, 1, 0),
        )

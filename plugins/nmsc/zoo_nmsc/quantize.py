"""The two quantisers of the lossy autoencoder (paper section 3.1; official materials.py).

Both round in the forward pass and pass the gradient of a "snake" curve backwards
(a straight-through estimator whose slope, 1 - alpha*cos(2*pi*t), lies in [1 - alpha, 1 + alpha]):

    snake(t) = t - alpha * sin(2*pi*t) / (2*pi),   alpha = 0.5
    latent:  q = round(snake(clip(z / 4, 0, 1) * (q_num - 1)))   in {0, ..., q_num - 1}
    output:  y = round(snake(255 * sigmoid(h))) / 255            8-bit RGB in [0, 1]

The latent z is standardised per channel (BatchNorm without affine) before it, so the
symbols cover 0..4 standard deviations and everything below the mean maps to 0.
"""

from __future__ import annotations

import math

import torch

ALPHA = 0.5


def snake(t: torch.Tensor, alpha: float = ALPHA) -> torch.Tensor:
    """t - alpha*sin(2*pi*t)/(2*pi): the identity at integers, flatter between them."""
    return t - alpha * torch.sin(2 * math.pi * t) / (2 * math.pi)


def round_ste(t: torch.Tensor) -> torch.Tensor:
    """round(t) forwards, the identity backwards (gradient of whatever t came from)."""
    return t + (torch.round(t) - t).detach()


def quantize_latent(z: torch.Tensor, q_num: int) -> torch.Tensor:
    """Integer-valued float symbols in {0, ..., q_num - 1} from a standardised latent ``z``."""
    return round_ste(snake(torch.clamp(z / 4, 0.0, 1.0) * (q_num - 1)))


def quantize_output(h: torch.Tensor) -> torch.Tensor:
    """The synthesizer's logits to an 8-bit image in [0, 1] (multiples of 1/255)."""
    return round_ste(snake(255 * torch.sigmoid(h))) / 255

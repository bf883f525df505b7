"""GAN losses of the official updater (``updater.py``): hinge (all paper configs) and dcgan."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["hinge_d_loss", "hinge_g_loss", "dcgan_d_loss", "dcgan_g_loss", "LOSSES"]


def hinge_d_loss(d_real: Tensor, d_fake: Tensor) -> Tensor:
    """``mean relu(1 - D(x)) + mean relu(1 + D(G(z)))``."""
    return F.relu(1.0 - d_real).mean() + F.relu(1.0 + d_fake).mean()


def hinge_g_loss(d_fake: Tensor) -> Tensor:
    """``-mean D(G(z))``."""
    return -d_fake.mean()


def dcgan_d_loss(d_real: Tensor, d_fake: Tensor) -> Tensor:
    """``mean softplus(-D(x)) + mean softplus(D(G(z)))``."""
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def dcgan_g_loss(d_fake: Tensor) -> Tensor:
    """``mean softplus(-D(G(z)))`` (non-saturating)."""
    return F.softplus(-d_fake).mean()


LOSSES = {"hinge": (hinge_d_loss, hinge_g_loss), "dcgan": (dcgan_d_loss, dcgan_g_loss)}

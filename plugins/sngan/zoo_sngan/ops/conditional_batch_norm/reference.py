"""Reference (the specification) of conditional batch normalization.

For ``x`` of shape ``(B, C, H, W)`` and per-sample affine parameters ``gamma``, ``beta`` of
shape ``(B, C)`` (rows of the per-class tables, or class mixtures)::

    x_hat[b, c, i, j] = (x[b, c, i, j] - mean[c]) / sqrt(var[c] + eps)
    y[b, c, i, j]     = gamma[b, c] * x_hat[b, c, i, j] + beta[b, c]

``mean``/``var`` are the biased batch statistics over ``(B, H, W)`` in training (the running
statistics are then updated with the unbiased variance and ``momentum``, as
``torch.nn.functional.batch_norm``), and the running statistics otherwise.
``gamma``/``beta`` may also be per-pixel maps ``(B, C, H, W)`` (spatial CBN).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

__all__ = ["check_inputs", "conditional_batch_norm_reference"]


def check_inputs(x: Tensor, gamma: Tensor, beta: Tensor, running_mean: Tensor | None,
                 running_var: Tensor | None, *, training: bool, momentum: float = 0.1,
                 eps: float = 2e-5) -> None:
    """Raise ``ValueError`` unless the arguments fit ``conditional_batch_norm`` (checked here, once)."""
    if x.dim() != 4:
        raise ValueError(f"x must be (B, C, H, W), got {tuple(x.shape)}")
    if gamma.shape != beta.shape or gamma.shape[:2] != x.shape[:2] or gamma.dim() not in (2, 4):
        raise ValueError(f"gamma and beta must both be (B, C) = {tuple(x.shape[:2])} or "
                         f"(B, C, H, W); got {tuple(gamma.shape)} and {tuple(beta.shape)}")
    if training and x.shape[0] * x.shape[2] * x.shape[3] <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {tuple(x.shape)}")


def conditional_batch_norm_reference(x: Tensor, gamma: Tensor, beta: Tensor,
                                     running_mean: Tensor | None, running_var: Tensor | None, *,
                                     training: bool, momentum: float = 0.1,
                                     eps: float = 2e-5) -> Tensor:
    """Pure-PyTorch conditional batch norm (see the module docstring)."""
    x_hat = F.batch_norm(x, running_mean, running_var, None, None, training, momentum, eps)
    if gamma.dim() == 2:
        gamma, beta = gamma[:, :, None, None], beta[:, :, None, None]
    return gamma * x_hat + beta

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

__all__ = ["conditional_batch_norm_reference"]


def conditional_batch_norm_reference(x: Tensor, gamma: Tensor, beta: Tensor,
                                     running_mean: Tensor | None, running_var: Tensor | None, *,
                                     training: bool, momentum: float = 0.1,
                                     eps: float = 2e-5) -> Tensor:
    """Pure-PyTorch conditional batch norm (see the module docstring)."""
    x_hat = F.batch_norm(x, running_mean, running_var, None, None, training, momentum, eps)
    if gamma.dim() == 2:
        gamma, beta = gamma[:, :, None, None], beta[:, :, None, None]
    return gamma * x_hat + beta

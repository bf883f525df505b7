"""Losses of MSP and its baselines.

* ``frame_sse``: the MSP objective, squared error **summed over pixels** and averaged over
  sequences and frames (not ``F.mse_loss``).
* ``info_nce``: the SimCLR/CPC loss of the official ``utils/clr.py``: all ``m`` views of
  ``n`` samples in one ``(m n) x (m n)`` similarity matrix, self-similarities masked with
  ``-1e8``, and the positive of row ``i`` at ``(i + n) mod (m n)``.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

__all__ = ["frame_sse", "info_nce"]


def frame_sse(target: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
    """``mean_{n,t} sum_{c,h,w} (target - pred)^2`` for ``(N, T, C, H, W)`` tensors."""
    if target.shape != pred.shape:
        raise ValueError(f"target and prediction shapes differ: {tuple(target.shape)} vs {tuple(pred.shape)}")
    return ((target - pred) ** 2).sum(dim=(2, 3, 4)).mean()


def info_nce(zs: Sequence[torch.Tensor], *, temperature: float = 1.0, normalize: bool = True,
             loss_type: str = "cossim") -> torch.Tensor:
    """InfoNCE over ``len(zs)`` views of a batch (each ``(n, d)``); see the module docstring.

    ``loss_type``: ``"cossim"`` (inner product), ``"euclid"`` (negative distance) or ``"sq"``
    (negative squared distance).
    """
    if normalize:
        zs = [F.normalize(z, p=2, dim=1) for z in zs]
    m, n = len(zs), zs[0].shape[0]
    z = torch.cat(list(zs), dim=0)
    if loss_type == "cossim":
        sim = z @ z.T
    elif loss_type == "euclid":
        sim = -torch.cdist(z, z)
    elif loss_type == "sq":
        sim = -torch.cdist(z, z) ** 2
    else:
        raise ValueError(f"unknown loss_type {loss_type!r}; choose 'cossim', 'euclid' or 'sq'")
    logits = sim / temperature
    logits = logits + torch.eye(m * n, device=z.device, dtype=z.dtype) * -1e8
    labels = torch.fmod(n + torch.arange(m * n, device=z.device), m * n)
    return F.cross_entropy(logits, labels)

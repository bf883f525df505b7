"""Reference (the specification) of spatial conditional batch normalization (sCBN, paper Eq. 2).

For ``x`` ``(B, C, H, W)``, class maps ``w`` ``(B, K, H, W)`` and the CBN tables ``gammas``,
``betas`` ``(K, C)``::

    gamma[b, c, i, j] = sum_k w[b, k, i, j] * gammas[k, c]      (likewise beta)
    y = gamma * x_hat + beta

``x_hat`` is zoo-sngan's conditional BN normalisation (batch statistics in training, with
the running ones updated; running statistics otherwise): this reference is
``zoo_sngan.ops.conditional_batch_norm`` applied to the per-pixel maps.
"""

from __future__ import annotations

import torch
from torch import Tensor

from zoo_sngan.ops.conditional_batch_norm import conditional_batch_norm_reference
from zoo_sngan.ops.conditional_batch_norm.reference import check_inputs as _check_cbn

__all__ = ["check_inputs", "spatial_conditional_batch_norm_reference"]


def check_inputs(x: Tensor, w: Tensor, gammas: Tensor, betas: Tensor, running_mean: Tensor | None,
                 running_var: Tensor | None, *, training: bool, momentum: float = 0.1,
                 eps: float = 2e-5) -> None:
    """Raise ``ValueError`` unless the arguments fit ``spatial_conditional_batch_norm``."""
    if x.dim() != 4 or w.dim() != 4 or w.shape[0] != x.shape[0] or w.shape[2:] != x.shape[2:]:
        raise ValueError(f"x must be (B, C, H, W) and the class maps (B, K, H, W) of the same B, H, W; "
                         f"got x {tuple(x.shape)} and maps {tuple(w.shape)}")
    if gammas.shape != betas.shape or gammas.shape != (w.shape[1], x.shape[1]):
        raise ValueError(f"gammas and betas must both be (K, C) = ({w.shape[1]}, {x.shape[1]}); got "
                         f"{tuple(gammas.shape)} and {tuple(betas.shape)}")
    _check_cbn(x, x[:, :, 0, 0] if x.shape[2] * x.shape[3] else x.new_zeros(x.shape[:2]),
               x.new_zeros(x.shape[:2]), running_mean, running_var, training=training)


def spatial_conditional_batch_norm_reference(x: Tensor, w: Tensor, gammas: Tensor, betas: Tensor,
                                             running_mean: Tensor | None, running_var: Tensor | None, *,
                                             training: bool, momentum: float = 0.1,
                                             eps: float = 2e-5) -> Tensor:
    """Pure-PyTorch sCBN (see the module docstring)."""
    gamma = torch.einsum("bkhw,kc->bchw", w, gammas)
    beta = torch.einsum("bkhw,kc->bchw", w, betas)
    return conditional_batch_norm_reference(x, gamma, beta, running_mean, running_var,
                                            training=training, momentum=momentum, eps=eps)

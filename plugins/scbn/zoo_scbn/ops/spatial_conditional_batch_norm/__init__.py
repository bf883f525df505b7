"""Spatial conditional batch normalization (sCBN): ``y = (w @ gammas) * x_hat + (w @ betas)``
per pixel, fused (the per-pixel affine maps are never materialised in the forward).

Layout (the core's op form, ``zoo_core.ops.Op``), as zoo-sngan's ``conditional_batch_norm``,
on which it is built (its reference and its batch-statistics kernel): :mod:`.reference`,
:mod:`.kernels` (Triton), :class:`.function.SpatialConditionalBatchNormFunction`, :mod:`.checks`
(kernels vs reference under ``TRITON_INTERPRET=1``). Dispatch (``impl=``) as the core's ops:
``"reference"``, ``"triton"``, or None (``ZOO_OPS_IMPL``, else Triton on CUDA).

Example::

    >>> import torch
    >>> x, w = torch.randn(2, 3, 4, 4), torch.rand(2, 5, 4, 4)
    >>> spatial_conditional_batch_norm(x, w, torch.ones(5, 3), torch.zeros(5, 3), None, None,
    ...                                training=True).shape
    torch.Size([2, 3, 4, 4])
"""

from __future__ import annotations

import torch
from torch import Tensor

from zoo_core.ops import Op

from zoo_scbn.ops.spatial_conditional_batch_norm.reference import (
    check_inputs, spatial_conditional_batch_norm_reference)

__all__ = ["OP", "spatial_conditional_batch_norm", "spatial_conditional_batch_norm_reference"]


def _triton_unsupported(x, w, gammas, betas, running_mean, running_var, *, training,
                        momentum=0.1, eps=2e-5) -> str | None:
    if momentum is None:
        return "the kernel needs a float momentum (cumulative averaging, momentum=None, is not supported)"
    return None


OP = Op("spatial_conditional_batch_norm", reference=spatial_conditional_batch_norm_reference,
        triton="zoo_scbn.ops.spatial_conditional_batch_norm.function:spatial_conditional_batch_norm_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported,
        example=lambda: ((torch.randn(3, 2, 4, 5), torch.rand(3, 4, 4, 5), torch.randn(4, 2), torch.randn(4, 2),
                          torch.zeros(2), torch.ones(2)), dict(training=True)))


def spatial_conditional_batch_norm(x: Tensor, w: Tensor, gammas: Tensor, betas: Tensor,
                                   running_mean: Tensor | None, running_var: Tensor | None, *,
                                   training: bool, momentum: float = 0.1, eps: float = 2e-5,
                                   impl: str | None = None) -> Tensor:
    """sCBN of ``x`` ``(B, C, H, W)`` with class maps ``w`` ``(B, K, H, W)`` and CBN tables
    ``gammas``, ``betas`` ``(K, C)`` (running statistics ``(C,)`` or None; updated in place in
    training). Raises ``ValueError`` on bad shapes; dispatch errors as the core's ops."""
    return OP(x, w, gammas, betas, running_mean, running_var, training=training, momentum=momentum,
              eps=eps, impl=impl)

"""Conditional batch normalization: ``y = gamma[b, c] * x_hat + beta[b, c]``.

Layout (the core's op form, ``zoo_core.ops.Op``): :mod:`.reference` (pure PyTorch, the spec
and the input check), :mod:`.kernels` (Triton), :class:`.function.ConditionalBatchNormFunction`
(forward and backward), :mod:`.checks` (kernels vs reference under ``TRITON_INTERPRET=1``);
``OP`` ties them together.

Dispatch (``impl=``): ``"reference"`` or ``"triton"`` force one; ``None`` means the env var
``ZOO_OPS_IMPL`` if set, else ``"triton"`` when the tensors are on CUDA, the kernel takes the
arguments and triton imports, else ``"reference"``. The kernel takes ``(B, C)`` affine
parameters and a float ``momentum``: per-pixel ``(B, C, H, W)`` maps (spatial CBN) and
``momentum=None`` run on the reference (forcing Triton for them is an error that says so).
Triton is imported only when the Triton path is taken.

Example::

    >>> import torch
    >>> x, g, b = torch.randn(4, 3, 5, 5), torch.ones(4, 3), torch.zeros(4, 3)
    >>> conditional_batch_norm(x, g, b, None, None, training=True).shape
    torch.Size([4, 3, 5, 5])
"""

from __future__ import annotations

import torch
from torch import Tensor

from zoo_core.ops import Op

from zoo_sngan.ops.conditional_batch_norm.reference import check_inputs, conditional_batch_norm_reference

__all__ = ["OP", "conditional_batch_norm", "conditional_batch_norm_reference"]


def _triton_unsupported(x: Tensor, gamma: Tensor, beta: Tensor, running_mean: Tensor | None,
                        running_var: Tensor | None, *, training: bool, momentum: float | None = 0.1,
                        eps: float = 2e-5) -> str | None:
    if gamma.dim() == 4:
        return "per-pixel (B, C, H, W) gamma and beta maps (spatial CBN) run on the reference only"
    if momentum is None:
        return "the kernel needs a float momentum (cumulative averaging, momentum=None, is not supported)"
    return None


OP = Op("conditional_batch_norm", reference=conditional_batch_norm_reference,
        triton="zoo_sngan.ops.conditional_batch_norm.function:conditional_batch_norm_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported,
        example=lambda: ((torch.randn(3, 2, 4, 5), torch.randn(3, 2), torch.randn(3, 2), torch.zeros(2), torch.ones(2)),
                         dict(training=True)))


def conditional_batch_norm(x: Tensor, gamma: Tensor, beta: Tensor,
                           running_mean: Tensor | None, running_var: Tensor | None, *,
                           training: bool, momentum: float = 0.1, eps: float = 2e-5,
                           impl: str | None = None) -> Tensor:
    """Batch-normalize ``x`` ``(B, C, H, W)`` and apply per-sample ``gamma``, ``beta``.

    Args:
        x: input ``(B, C, H, W)``.
        gamma, beta: ``(B, C)`` (or ``(B, C, H, W)`` maps: reference only).
        running_mean, running_var: ``(C,)`` running statistics (updated in place in
            training), or None to always use batch statistics.
        training: batch statistics (True) or running statistics (False).
        momentum: running-statistics momentum (PyTorch convention).
        eps: variance epsilon (Chainer's 2e-5 by default).
        impl: ``None``, ``"reference"`` or ``"triton"`` (see the module docstring).

    Returns:
        ``y`` with the shape of ``x``.

    Raises:
        ValueError: bad shapes, or one value per channel in training.
        zoo_core.ops.OpDispatchError (a ValueError): an unknown ``impl``, or the Triton
            kernel forced for CPU tensors without ``TRITON_INTERPRET=1`` or for arguments it
            does not take (see the module docstring).
        zoo_core.ops.TritonUnavailableError: the Triton kernel forced without Triton.
    """
    return OP(x, gamma, beta, running_mean, running_var, training=training, momentum=momentum, eps=eps,
              impl=impl)

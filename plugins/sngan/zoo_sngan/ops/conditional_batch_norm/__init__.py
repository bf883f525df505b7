"""Conditional batch normalization: ``y = gamma[b, c] * x_hat + beta[b, c]``.

Dispatch (``impl=``): ``"reference"`` is pure PyTorch (:mod:`.reference`, the spec);
``"triton"`` runs the kernels of :mod:`.kernels` through
:class:`.function.ConditionalBatchNormFunction` (forward and backward). ``None`` means: the
env var ``ZOO_OPS_IMPL`` if set, else ``"triton"`` when the tensors are on CUDA and triton
imports, else ``"reference"``. Per-pixel ``(B, C, H, W)`` affine maps always use the
reference. Triton is imported only when the Triton path is taken.

Example::

    >>> import torch
    >>> x, g, b = torch.randn(4, 3, 5, 5), torch.ones(4, 3), torch.zeros(4, 3)
    >>> conditional_batch_norm(x, g, b, None, None, training=True).shape
    torch.Size([4, 3, 5, 5])
"""

from __future__ import annotations

import functools
import os

from torch import Tensor

from zoo_sngan.ops.conditional_batch_norm.reference import conditional_batch_norm_reference

__all__ = ["conditional_batch_norm", "conditional_batch_norm_reference"]

_IMPLS = ("reference", "triton")


@functools.lru_cache(maxsize=1)
def _triton_available() -> bool:
    try:
        import triton  # noqa: F401
    except Exception:
        return False
    return True


def _resolve_impl(impl: str | None, tensors: tuple[Tensor, ...]) -> str:
    if impl is None:
        impl = os.environ.get("ZOO_OPS_IMPL") or None
        if impl is None:
            on_cuda = all(t.is_cuda for t in tensors)
            return "triton" if on_cuda and _triton_available() else "reference"
    if impl not in _IMPLS:
        raise ValueError(f"Unknown impl {impl!r} for conditional_batch_norm; use one of "
                         f"{_IMPLS} or None")
    return impl


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
        ValueError: bad shapes or an unknown ``impl``.
    """
    if x.dim() != 4:
        raise ValueError(f"x must be (B, C, H, W), got {tuple(x.shape)}")
    if gamma.shape != beta.shape or gamma.shape[:2] != x.shape[:2] or gamma.dim() not in (2, 4):
        raise ValueError(f"gamma and beta must both be (B, C) = {tuple(x.shape[:2])} or "
                         f"(B, C, H, W); got {tuple(gamma.shape)} and {tuple(beta.shape)}")
    tensors = tuple(t for t in (x, gamma, beta, running_mean, running_var) if t is not None)
    if gamma.dim() == 4 or _resolve_impl(impl, tensors) == "reference":
        return conditional_batch_norm_reference(x, gamma, beta, running_mean, running_var,
                                                training=training, momentum=momentum, eps=eps)
    from zoo_sngan.ops.conditional_batch_norm.function import conditional_batch_norm_triton

    return conditional_batch_norm_triton(x, gamma, beta, running_mean, running_var,
                                         training=training, momentum=momentum, eps=eps)

"""Launchers and the autograd Function of the Triton conditional batch norm."""

from __future__ import annotations

import torch
from torch import Tensor

from zoo_core.ops.launch import cdiv, next_power_of_2

from zoo_sngan.ops.conditional_batch_norm import kernels

__all__ = ["ConditionalBatchNormFunction", "conditional_batch_norm_triton", "channel_statistics"]

_MAX_BLOCK = 1024


def _block(hw: int) -> int:
    """Power-of-two block covering a row of ``hw`` pixels, capped at 1024 (rows loop beyond)."""
    return max(next_power_of_2(min(hw, _MAX_BLOCK)), 16)


def channel_statistics(x: Tensor, mean: Tensor | None, var: Tensor | None,
                       eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(mean, var, rstd)`` float32 ``(C,)`` of contiguous ``x`` ``(B, C, HW)``: the biased
    batch statistics (Triton kernel) when ``mean`` is None, else the given running ones.
    Shared with ops built on this one (zoo-scbn's spatial CBN)."""
    b, c, hw = x.shape
    if mean is None:  # batch statistics
        mean = torch.empty(c, device=x.device, dtype=torch.float32)
        var = torch.empty_like(mean)
        rstd = torch.empty_like(mean)
        kernels._cbn_stats_kernel[(c,)](x, mean, var, rstd, b, c, hw, eps, BLOCK=_block(hw))
        return mean, var, rstd
    mean, var = mean.float().contiguous(), var.float().contiguous()
    return mean, var, torch.rsqrt(var + eps)


def _forward(x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor | None, var: Tensor | None,
             eps: float) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    b, c, hw = x.shape
    block = _block(hw)
    mean, var, rstd = channel_statistics(x, mean, var, eps)
    y = torch.empty_like(x)
    grid = (b * c, cdiv(hw, block))
    kernels._cbn_fwd_kernel[grid](x, gamma, beta, mean, rstd, y, c, hw, BLOCK=block)
    return y, mean, var, rstd


def _backward(dy: Tensor, x: Tensor, gamma: Tensor, mean: Tensor, rstd: Tensor,
              use_batch_stats: bool) -> tuple[Tensor, Tensor, Tensor]:
    b, c, hw = x.shape
    block = _block(hw)
    dgamma = torch.empty(b, c, device=x.device, dtype=torch.float32)
    dbeta = torch.empty_like(dgamma)
    kernels._cbn_bwd_reduce_kernel[(b * c,)](x, dy, mean, rstd, dgamma, dbeta, c, hw, BLOCK=block)
    dx = torch.empty_like(x)
    grid = (b * c, cdiv(hw, block))
    kernels._cbn_bwd_dx_kernel[grid](x, dy, gamma, mean, rstd, dgamma, dbeta, dx, b, c, hw,
                                     USE_BATCH_STATS=use_batch_stats, BLOCK=block)
    return dx, dgamma, dbeta


class ConditionalBatchNormFunction(torch.autograd.Function):
    """``y = gamma * x_hat + beta`` with Triton forward and backward.

    Inputs: ``x`` ``(B, C, HW)``, ``gamma``/``beta`` ``(B, C)``, ``mean``/``var`` ``(C,)`` or
    None (None = batch statistics), ``eps``. Outputs: ``y`` and the (non-differentiable)
    float32 ``mean``, ``var`` used.
    """

    @staticmethod
    def forward(ctx, x, gamma, beta, mean, var, eps):
        x, gamma, beta = x.contiguous(), gamma.contiguous(), beta.contiguous()
        y, mean_used, var_used, rstd = _forward(x, gamma, beta, mean, var, eps)
        ctx.save_for_backward(x, gamma, mean_used, rstd)
        ctx.use_batch_stats = mean is None
        ctx.mark_non_differentiable(mean_used, var_used)
        return y, mean_used, var_used

    @staticmethod
    def backward(ctx, dy, _dmean, _dvar):
        x, gamma, mean, rstd = ctx.saved_tensors
        dx, dgamma, dbeta = _backward(dy.contiguous(), x, gamma, mean, rstd, ctx.use_batch_stats)
        return dx, dgamma.to(gamma.dtype), dbeta.to(gamma.dtype), None, None, None


def conditional_batch_norm_triton(x: Tensor, gamma: Tensor, beta: Tensor,
                                  running_mean: Tensor | None, running_var: Tensor | None, *,
                                  training: bool, momentum: float = 0.1,
                                  eps: float = 2e-5) -> Tensor:
    """Triton conditional batch norm with the semantics of the reference (running stats
    updated in place in training, with the unbiased variance; inputs validated by its ``OP``)."""
    b, c, h, w = x.shape
    hw = h * w
    use_batch_stats = training or running_mean is None
    stats = (None, None) if use_batch_stats else (running_mean, running_var)
    y, mean, var = ConditionalBatchNormFunction.apply(x.reshape(b, c, hw), gamma, beta, *stats, eps)
    if training and running_mean is not None:
        n = b * hw
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype), alpha=momentum)
            running_var.mul_(1 - momentum).add_((var * (n / (n - 1))).to(running_var.dtype),
                                                alpha=momentum)
    return y.view_as(x)

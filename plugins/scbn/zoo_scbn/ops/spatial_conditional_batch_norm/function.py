"""Launchers and the autograd Function of the Triton spatial conditional batch norm."""

from __future__ import annotations

import torch
from torch import Tensor

from zoo_core.ops.launch import cdiv, next_power_of_2

from zoo_scbn.ops.spatial_conditional_batch_norm import kernels
from zoo_sngan.ops.conditional_batch_norm.function import channel_statistics

__all__ = ["SpatialConditionalBatchNormFunction", "spatial_conditional_batch_norm_triton"]


def _block(hw: int) -> int:
    return max(next_power_of_2(min(hw, 1024)), 16)


class SpatialConditionalBatchNormFunction(torch.autograd.Function):
    """``y = (w @ gammas) * x_hat + (w @ betas)`` with Triton forward and backward.

    Inputs: ``x`` ``(B, C, HW)``, class maps ``w`` ``(B, K, HW)``, tables ``gammas``/``betas``
    ``(K, C)``, ``mean``/``var`` ``(C,)`` or None (batch statistics), ``eps``. Outputs ``y`` and
    the (non-differentiable) float32 ``mean``, ``var`` used.
    """

    @staticmethod
    def forward(ctx, x, w, gammas, betas, mean, var, eps):
        x, w = x.contiguous(), w.contiguous()
        gammas, betas = gammas.contiguous(), betas.contiguous()
        b, c, hw = x.shape
        k = w.shape[1]
        mean_used, var_used, rstd = channel_statistics(x, mean, var, eps)
        y = torch.empty_like(x)
        block = _block(hw)
        kernels._scbn_fwd_kernel[(b * c, cdiv(hw, block))](x, w, gammas, betas, mean_used, rstd, y,
                                                          c, k, hw, BLOCK=block)
        ctx.save_for_backward(x, w, gammas, betas, mean_used, rstd)
        ctx.use_batch_stats = mean is None
        ctx.mark_non_differentiable(mean_used, var_used)
        return y, mean_used, var_used

    @staticmethod
    def backward(ctx, dy, _dmean, _dvar):
        x, w, gammas, betas, mean, rstd = ctx.saved_tensors
        dy = dy.contiguous()
        b, c, hw = x.shape
        k = w.shape[1]
        block = _block(hw)
        s1 = torch.zeros(c, device=x.device, dtype=torch.float32)
        s2 = torch.zeros_like(s1)
        if ctx.use_batch_stats:
            kernels._scbn_bwd_reduce_kernel[(c,)](x, w, gammas, betas, dy, mean, rstd, s1, s2,
                                                 b, c, k, hw, BLOCK=block)
        dx = torch.empty_like(x)
        gxh = torch.empty(x.shape, device=x.device, dtype=torch.float32)
        kernels._scbn_bwd_dx_kernel[(b * c, cdiv(hw, block))](
            x, w, gammas, betas, dy, mean, rstd, s1, s2, dx, gxh, b, c, k, hw,
            USE_BATCH_STATS=ctx.use_batch_stats, BLOCK=block)
        dyf, wf = dy.float(), w.float()
        dgammas = torch.einsum("bkp,bcp->kc", wf, gxh)
        dbetas = torch.einsum("bkp,bcp->kc", wf, dyf)
        dw = torch.einsum("bcp,kc->bkp", gxh, gammas.float()) + torch.einsum("bcp,kc->bkp", dyf, betas.float())
        return dx, dw.to(w.dtype), dgammas.to(gammas.dtype), dbetas.to(betas.dtype), None, None, None


def spatial_conditional_batch_norm_triton(x: Tensor, w: Tensor, gammas: Tensor, betas: Tensor,
                                          running_mean: Tensor | None, running_var: Tensor | None, *,
                                          training: bool, momentum: float = 0.1,
                                          eps: float = 2e-5) -> Tensor:
    """Triton sCBN with the semantics of the reference (running statistics updated in place in
    training with the unbiased variance)."""
    b, c, h, wd = x.shape
    hw = h * wd
    use_batch_stats = training or running_mean is None
    stats = (None, None) if use_batch_stats else (running_mean, running_var)
    y, mean, var = SpatialConditionalBatchNormFunction.apply(
        x.reshape(b, c, hw), w.reshape(b, w.shape[1], hw), gammas, betas, *stats, eps)
    if training and running_mean is not None:
        n = b * hw
        with torch.no_grad():
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype), alpha=momentum)
            running_var.mul_(1 - momentum).add_((var * (n / (n - 1))).to(running_var.dtype), alpha=momentum)
    return y.view_as(x)

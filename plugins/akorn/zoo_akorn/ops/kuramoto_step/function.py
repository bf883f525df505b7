"""Launchers and the autograd Function of the Triton Kuramoto step (see kernels.py)."""

from __future__ import annotations

import torch
from torch import Tensor

from zoo_core.ops.launch import cdiv, next_power_of_2

from zoo_akorn.ops.kuramoto_step.kernels import _kuramoto_step_bwd_kernel, _kuramoto_step_fwd_kernel


def _settings(n: int, mode: int) -> tuple[int, int]:
    """(BLOCK_R, BLOCK_N) for oscillator dimension ``n`` (at most ``MAX_N``, checked by the op's dispatch)."""
    block_n = max(2 if mode == 2 else 1, next_power_of_2(n))
    block_r = max(1, min(256, 4096 // block_n))
    return block_r, block_n


class KuramotoStepFunction(torch.autograd.Function):
    """``(x [R, n], y [R, n], w [C] or None, gamma [1]) -> (x_next [R, n], energy [R])``."""

    @staticmethod
    def forward(ctx, x: Tensor, y: Tensor, w: Tensor | None, gamma: Tensor, K: int, mode: int, project: bool):
        x, y = x.contiguous(), y.contiguous()
        R, n = x.shape
        out, e = torch.empty_like(x), torch.empty(R, device=x.device, dtype=x.dtype)
        block_r, block_n = _settings(n, mode)
        w_arg = w.contiguous() if w is not None else x  # unused when mode != 2
        grid = (cdiv(R, block_r),)
        _kuramoto_step_fwd_kernel[grid](x, y, w_arg, gamma, out, e, R, K, N=n, BLOCK_R=block_r, BLOCK_N=block_n,
                                        OMEGA_MODE=mode, PROJECT=project)
        ctx.save_for_backward(x, y, w_arg, gamma)
        ctx.K, ctx.mode, ctx.project, ctx.has_w = K, mode, project, w is not None
        return out, e

    @staticmethod
    def backward(ctx, g_out: Tensor, g_e: Tensor):
        """Gradients for x, y, the per-channel frequencies and gamma (kernel + host reductions)."""
        x, y, w_arg, gamma = ctx.saved_tensors
        R, n = x.shape
        g_out = torch.zeros_like(x) if g_out is None else g_out.contiguous()
        g_e = torch.zeros(R, device=x.device, dtype=x.dtype) if g_e is None else g_e.contiguous()
        gx, gy = torch.empty_like(x), torch.empty_like(y)
        g_gamma = torch.empty(R, device=x.device, dtype=torch.float32)
        g_w = torch.empty(R, n, device=x.device, dtype=torch.float32) if ctx.mode == 2 else g_gamma
        block_r, block_n = _settings(n, ctx.mode)
        _kuramoto_step_bwd_kernel[(cdiv(R, block_r),)](
            x, y, w_arg, gamma, g_out, g_e, gx, gy, g_gamma, g_w, R, ctx.K, N=n, BLOCK_R=block_r, BLOCK_N=block_n,
            OMEGA_MODE=ctx.mode, PROJECT=ctx.project)
        grad_w = g_w.view(-1, ctx.K * n).sum(0).to(w_arg.dtype) if ctx.mode == 2 and ctx.has_w else None
        grad_gamma = g_gamma.sum().reshape(gamma.shape).to(gamma.dtype) if ctx.needs_input_grad[3] else None
        return gx, gy, grad_w, grad_gamma, None, None, None


def kuramoto_step_triton(x: Tensor, y: Tensor, *, n: int, gamma: Tensor | float, omega: Tensor | None = None,
                         omega_identity: bool = False, project: bool = True) -> tuple[Tensor, Tensor]:
    """Triton implementation of :func:`zoo_akorn.ops.kuramoto_step` (same arguments and results;
    inputs validated by its ``OP``)."""
    shape, C = x.shape, x.shape[-1]
    mode = 1 if omega_identity else (2 if omega is not None else 0)
    w = omega.repeat_interleave(2) if omega is not None else None  # per-channel frequency
    if not isinstance(gamma, Tensor):
        gamma = torch.tensor([float(gamma)], device=x.device, dtype=torch.float32)
    out, e = KuramotoStepFunction.apply(x.reshape(-1, n), y.reshape(-1, n), w, gamma.reshape(1), C // n, mode, project)
    return out.view(shape), e.view(*shape[:-1], C // n)


__all__ = ["KuramotoStepFunction", "kuramoto_step_triton"]

"""Launchers and the autograd Function for ``rotate_blocks`` (imports Triton: Triton path only).

``outer_offsets``, ``buffer_dtype`` and ``ACC_DTYPES`` are shared with the representation ops.
"""

from __future__ import annotations

import math

import torch
import triton.language as tl
from torch.autograd.function import once_differentiable

from zoo_core.ops.launch import cdiv, next_power_of_2, settings
from zoo_core.ops.rotate_blocks.kernels import _rotate_blocks_bwd_kernel, _rotate_blocks_fwd_kernel

__all__ = ["ACC_DTYPES", "RotateBlocksFunction", "buffer_dtype", "outer_offsets", "rotate_blocks_backward",
           "rotate_blocks_forward", "rotate_blocks_triton"]

_MAX_BLOCKS = 4096   # K (blocks per token) one program holds
_TILE = 1024         # elements (tokens x blocks) per program
ACC_DTYPES = {torch.float16: tl.float32, torch.bfloat16: tl.float32, torch.float32: tl.float32, torch.float64: tl.float64}


def outer_offsets(t: torch.Tensor, outer: torch.Size, n_inner: int) -> tuple[torch.Tensor, int]:
    """Element offset of each leading-dim index of ``t`` (contiguous) broadcast to ``outer`` = (*batch, T).

    Returns the int64 offset table over ``batch`` (flattened) and the token stride (0 if broadcast).
    Broadcast dims get stride 0, so nothing is materialised.
    """
    expanded = t.expand(*outer, *t.shape[t.ndim - n_inner:])
    strides = expanded.stride()
    batch = outer[:-1]
    offsets = torch.zeros(batch, dtype=torch.int64, device=t.device)
    for d, size in enumerate(batch):
        if size > 1 and strides[d]:
            offsets += torch.arange(size, device=t.device).view(size, *[1] * (len(batch) - d - 1)) * strides[d]
    return offsets.reshape(-1), strides[len(batch)]


def _plan(x: torch.Tensor, R: torch.Tensor):
    """Shapes and launch sizes shared by the forward and backward launchers."""
    b, K, T = R.shape[-1], R.shape[-3], x.shape[-2]
    batch = torch.broadcast_shapes(x.shape[:-2], R.shape[:-4])
    n_batch = math.prod(batch)
    block_k = settings(K, limit=_MAX_BLOCKS, what="rotate_blocks: blocks per token K").block
    block_t = max(1, min(next_power_of_2(T), _TILE // block_k))
    n_tblocks = cdiv(T, block_t)
    meta = dict(B=b, ACC=ACC_DTYPES[x.dtype], BLOCK_T=block_t, BLOCK_K=block_k, num_warps=settings(block_t * block_k).num_warps)
    return batch, n_batch, T, K, b, n_tblocks, meta


def buffer_dtype(t: torch.Tensor, full_shape: tuple[int, ...]) -> torch.dtype:
    """dtype of a full-size gradient buffer: float32 if it will be summed down to a half-precision ``t``."""
    reduced = tuple(full_shape) != tuple(t.shape)
    return torch.float32 if reduced and t.dtype in (torch.float16, torch.bfloat16) else t.dtype


def rotate_blocks_forward(x: torch.Tensor, R: torch.Tensor, *, transpose: bool = False) -> torch.Tensor:
    """Launch the forward kernel; returns y of shape (*broadcast leading dims, T, D)."""
    x, R = x.contiguous(), R.contiguous()
    batch, n_batch, T, K, b, n_tblocks, meta = _plan(x, R)
    y = torch.empty(*batch, T, K * b, dtype=x.dtype, device=x.device)
    if y.numel() == 0:
        return y
    x_off, x_st = outer_offsets(x, (*batch, T), 1)
    r_off, r_st = outer_offsets(R, (*batch, T), 3)
    _rotate_blocks_fwd_kernel[(n_batch * n_tblocks,)](x, R, y, x_off, r_off, x_st, r_st, T, K, n_tblocks,
                                                        TRANSPOSE=transpose, **meta)
    return y


def rotate_blocks_backward(
    grad_y: torch.Tensor, x: torch.Tensor, R: torch.Tensor, *, transpose: bool = False, need_dx: bool = True,
    need_dR: bool = True,
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Launch the backward kernel; returns (dx, dR) shaped like x and R (summed over broadcast dims)."""
    x, R, grad_y = x.contiguous(), R.contiguous(), grad_y.contiguous()
    batch, n_batch, T, K, b, n_tblocks, meta = _plan(x, R)
    alloc = torch.empty if grad_y.numel() else torch.zeros
    dx_shape, dR_shape = (*batch, T, K * b), (*batch, T, K, b, b)
    # Gradients summed over broadcast dims accumulate in float32 when the inputs are half precision.
    dx_full = alloc(dx_shape, dtype=buffer_dtype(x, dx_shape), device=x.device) if need_dx else None
    dR_full = alloc(dR_shape, dtype=buffer_dtype(R, dR_shape), device=R.device) if need_dR else None
    if grad_y.numel() and (need_dx or need_dR):
        x_off, x_st = outer_offsets(x, (*batch, T), 1)
        r_off, r_st = outer_offsets(R, (*batch, T), 3)
        _rotate_blocks_bwd_kernel[(n_batch * n_tblocks,)](
            grad_y, x, R, dx_full if need_dx else grad_y, dR_full if need_dR else grad_y, x_off, r_off,
            x_st, r_st, T, K, n_tblocks, TRANSPOSE=transpose, NEED_DX=need_dx, NEED_DR=need_dR, **meta,
        )
    dx = dx_full.sum_to_size(x.shape).to(x.dtype) if need_dx else None
    dR = dR_full.sum_to_size(R.shape).to(R.dtype) if need_dR else None
    return dx, dR


class RotateBlocksFunction(torch.autograd.Function):
    """``rotate_blocks`` with Triton forward and backward (gradients for x and R; not twice differentiable)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, R: torch.Tensor, transpose: bool) -> torch.Tensor:
        ctx.save_for_backward(x, R)
        ctx.transpose = transpose
        return rotate_blocks_forward(x, R, transpose=transpose)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_y: torch.Tensor):
        x, R = ctx.saved_tensors
        need_dx, need_dR = ctx.needs_input_grad[:2]
        dx, dR = rotate_blocks_backward(grad_y, x, R, transpose=ctx.transpose, need_dx=need_dx, need_dR=need_dR)
        return dx, dR, None


def rotate_blocks_triton(x: torch.Tensor, R: torch.Tensor, *, transpose: bool = False) -> torch.Tensor:
    """The Triton implementation of ``zoo_core.ops.rotate_blocks`` (inputs validated by its ``OP``)."""
    return RotateBlocksFunction.apply(x, R, transpose)

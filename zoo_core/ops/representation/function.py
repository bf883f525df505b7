"""Launchers and the autograd Function for ``apply_representation`` (imports Triton: Triton path only)."""

from __future__ import annotations

import functools
import math

import torch
from torch.autograd.function import once_differentiable

from zoo_core.ops.launch import cdiv, next_power_of_2, settings
from zoo_core.ops.representation import MAX_D
from zoo_core.ops.representation.kernels import _representation_apply_kernel, _representation_outer_kernel
from zoo_core.ops.representation.reference import segment_flags
from zoo_core.ops.rotate_blocks.function import ACC_DTYPES, buffer_dtype, outer_offsets

__all__ = ["Layout", "RepresentationFunction", "apply_representation_triton", "flip_layout", "layout_of",
           "layout_tables", "pack_blocks"]

_TILE = 1024       # elements (tokens x channels) per program
_TILE_P = 128      # packed block elements per program of the outer-product kernel

Layout = tuple[tuple[int, int, bool], ...]
"""Per segment (b, K, transpose): K blocks of b x b, or b = 0 for K identity channels."""


@functools.lru_cache(maxsize=128)
def layout_tables(layout: Layout, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The kernels' per-channel table ``[4, D]`` (SRC, NB, ROFF, RSTEP), the outer product's
    ``[2, NP]`` (GCH, XCH) and the largest block size, for one layout (cached per device)."""
    src, nb, roff, rstep, gch, xch = [], [], [], [], [], []
    c0 = p0 = 0
    for b, K, flag in layout:
        if b == 0:
            src += range(c0, c0 + K)
            nb += [1] * K
            roff += [-1] * K
            rstep += [0] * K
            c0 += K
            continue
        for k in range(K):
            start, base = c0 + k * b, p0 + k * b * b
            for i in range(b):      # output channel start + i reads row i of R (column i if transposed)
                src.append(start)
                nb.append(b)
                roff.append(base + (i if flag else i * b))
                rstep.append(b if flag else 1)
            for r in range(b):      # packed element R[r, s] pairs g[start + r] with x[start + s] (swapped if transposed)
                for s in range(b):
                    gch.append(start + (s if flag else r))
                    xch.append(start + (r if flag else s))
        c0, p0 = c0 + K * b, p0 + K * b * b
    table = torch.tensor([src, nb, roff, rstep], dtype=torch.int32, device=device)
    pairs = torch.tensor([gch, xch], dtype=torch.int32, device=device).reshape(2, len(gch))
    return table, pairs, max([1] + [b for b, _, _ in layout])


def layout_of(segments: tuple, transpose: bool | tuple[bool, ...]) -> Layout:
    """The hashable layout of (valid) segments and their transpose flags."""
    return tuple((s.shape[-1], s.shape[-3], f) if isinstance(s, torch.Tensor) else (0, s, False)
                 for s, f in zip(segments, segment_flags(transpose, len(segments))))


def flip_layout(layout: Layout) -> Layout:
    return tuple((b, K, not flag) for b, K, flag in layout)


def pack_blocks(x: torch.Tensor, blocks: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """All segments' blocks as one contiguous ``[*leading, T or 1, sum K*b*b]`` buffer (a dummy for none)."""
    if not blocks:
        return x.new_zeros(1, 1)
    lead = torch.broadcast_shapes(*(R.shape[:-4] for R in blocks))
    tokens = max(R.shape[-4] for R in blocks)
    return torch.cat([R.expand(*lead, tokens, *R.shape[-3:]).reshape(*lead, tokens, math.prod(R.shape[-3:]))
                      for R in blocks], -1)


def _apply(x: torch.Tensor, packed: torch.Tensor, layout: Layout, out_dtype: torch.dtype) -> torch.Tensor:
    """Launch the apply kernel on one row-covering grid; returns ``[*broadcast leading dims, T, D]``."""
    x = x.contiguous()
    T, D = x.shape[-2:]
    batch = torch.broadcast_shapes(x.shape[:-2], packed.shape[:-2])
    y = torch.empty(*batch, T, D, dtype=out_dtype, device=x.device)
    if y.numel() == 0:
        return y
    table, _, bmax = layout_tables(layout, x.device)
    block_d = settings(D, limit=MAX_D, what="apply_representation: channels D").block
    block_t = max(1, min(next_power_of_2(T), _TILE // block_d))
    n_tblocks = cdiv(T, block_t)
    x_off, x_st = outer_offsets(x, (*batch, T), 1)
    p_off, p_st = outer_offsets(packed, (*batch, T), 1)
    _representation_apply_kernel[(math.prod(batch) * n_tblocks,)](
        x, packed, y, x_off, p_off, table, x_st, p_st, T, D, n_tblocks,
        BMAX=bmax, ACC=ACC_DTYPES[x.dtype], BLOCK_T=block_t, BLOCK_D=block_d,
        num_warps=settings(block_t * block_d).num_warps,
    )
    return y


def _outer(g: torch.Tensor, x: torch.Tensor, layout: Layout, out_dtype: torch.dtype) -> torch.Tensor:
    """Launch the outer-product kernel: the packed blocks' gradient, full size ``[*batch, T, NP]``."""
    x = x.contiguous()
    _, pairs, _ = layout_tables(layout, x.device)
    T, D, n_p = g.shape[-2], g.shape[-1], pairs.shape[1]
    batch = g.shape[:-2]
    dp = torch.zeros(*batch, T, n_p, dtype=out_dtype, device=g.device)
    if g.numel() == 0 or n_p == 0:
        return dp
    block_p = min(next_power_of_2(n_p), _TILE_P)
    block_t = max(1, min(next_power_of_2(T), _TILE // block_p))
    n_tblocks = cdiv(T, block_t)
    x_off, x_st = outer_offsets(x, (*batch, T), 1)
    _representation_outer_kernel[(math.prod(batch) * n_tblocks, cdiv(n_p, block_p))](
        g, x, dp, x_off, pairs, x_st, T, D, n_p, n_tblocks,
        ACC=ACC_DTYPES[g.dtype], BLOCK_T=block_t, BLOCK_P=block_p, num_warps=settings(block_t * block_p).num_warps,
    )
    return dp


class RepresentationFunction(torch.autograd.Function):
    """``apply_representation`` with Triton forward and backward (gradients for x and every block
    tensor; not twice differentiable). The gradient for x is the same kernel with every segment's
    transpose flipped."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, layout: Layout, *blocks: torch.Tensor) -> torch.Tensor:
        packed = pack_blocks(x, blocks)
        ctx.save_for_backward(x, packed)
        ctx.layout, ctx.block_shapes = layout, [R.shape for R in blocks]
        return _apply(x, packed, layout, x.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_y: torch.Tensor):
        x, packed = ctx.saved_tensors
        grad_y = grad_y.contiguous()
        need_dx, need_blocks = ctx.needs_input_grad[0], ctx.needs_input_grad[2:]
        dx = dblocks = None
        if need_dx:
            dx = _apply(grad_y, packed, flip_layout(ctx.layout), buffer_dtype(x, grad_y.shape))
            dx = dx.sum_to_size(x.shape).to(x.dtype)
        if any(need_blocks):
            dp_full = _outer(grad_y, x, ctx.layout, buffer_dtype(packed, (*grad_y.shape[:-1], packed.shape[-1])))
            dp = dp_full.sum_to_size(packed.shape)
            sizes = [math.prod(shape[-3:]) for shape in ctx.block_shapes]
            dblocks = [d.reshape(*packed.shape[:-1], *shape[-3:]).sum_to_size(shape).to(x.dtype) if need else None
                       for d, shape, need in zip(dp.split(sizes, -1), ctx.block_shapes, need_blocks)]
        return dx, None, *(dblocks or [None] * len(ctx.block_shapes))


def apply_representation_triton(x: torch.Tensor, *segments: int | torch.Tensor,
                                transpose: bool | tuple[bool, ...] = False) -> torch.Tensor:
    """The Triton implementation of ``zoo_core.ops.apply_representation`` (inputs validated by its ``OP``)."""
    blocks = (s for s in segments if isinstance(s, torch.Tensor))
    return RepresentationFunction.apply(x, layout_of(segments, transpose), *blocks)

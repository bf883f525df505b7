"""Launcher for ``representation_attention`` (imports Triton: Triton path only). Forward only:
``OP.triton_unsupported`` sends calls that need gradients to the reference."""

from __future__ import annotations

import math

import torch
import triton.language as tl

from zoo_core.ops.dispatch import interpreter_enabled
from zoo_core.ops.launch import cdiv, next_power_of_2
from zoo_core.ops.representation.function import flip_layout, layout_of, layout_tables, pack_blocks
from zoo_core.ops.representation_attention.kernels import _representation_attention_fwd_kernel
from zoo_core.ops.representation_attention.reference import split_segments
from zoo_core.ops.rotate_blocks.function import outer_offsets

__all__ = ["representation_attention_triton"]

_BLOCK_M = 16
_BLOCK_N = 32


def _dot_dtype(dtype: torch.dtype):
    """Dot operand dtype: the input's (tensor cores), but float32 for bfloat16 under the interpreter,
    whose bfloat16 dot is wrong (it multiplies the raw bits)."""
    if dtype == torch.bfloat16:
        return tl.float32 if interpreter_enabled() else tl.bfloat16
    return tl.float16 if dtype == torch.float16 else tl.float32


def representation_attention_triton(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *segments: int | torch.Tensor,
                                    transpose: bool | tuple[bool, ...] = False, scale: float | None = None) -> torch.Tensor:
    """The Triton implementation of ``zoo_core.ops.representation_attention`` (inputs validated by its ``OP``)."""
    qs, ks, fq, fk = split_segments(segments, transpose)
    q_layout, k_layout = layout_of(qs, fq), layout_of(ks, fk)
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    batch, (Tq, D), Tk = q.shape[:-2], q.shape[-2:], k.shape[-2]
    o = torch.empty_like(q)
    if o.numel() == 0:
        return o
    pq = pack_blocks(q, tuple(s for s in qs if isinstance(s, torch.Tensor)))
    pk = pack_blocks(k, tuple(s for s in ks if isinstance(s, torch.Tensor)))
    table_q, _, bmax = layout_tables(q_layout, q.device)
    table_k, _, _ = layout_tables(k_layout, q.device)
    table_o, _, _ = layout_tables(flip_layout(q_layout), q.device)
    pq_off, pq_st = outer_offsets(pq, (*batch, Tq), 1)
    pk_off, pk_st = outer_offsets(pk, (*batch, Tk), 1)
    n_mblocks = cdiv(Tq, _BLOCK_M)
    _representation_attention_fwd_kernel[(math.prod(batch) * n_mblocks,)](
        q, k, v, o, pq, pk, pq_off, pk_off, table_q, table_k, table_o, pq_st, pk_st, Tq, Tk, D, n_mblocks,
        float(D ** -0.5 if scale is None else scale),
        BMAX=bmax, BLOCK_M=_BLOCK_M, BLOCK_N=_BLOCK_N, BLOCK_D=max(16, next_power_of_2(D)),
        PRECISION="ieee" if q.dtype == torch.float32 else None, DOT=_dot_dtype(q.dtype), num_warps=4,
    )
    return o

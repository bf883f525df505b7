"""Attention in relative frames (GTA, arXiv 2310.10375) in plain PyTorch: the spec. With
A = ``apply_representation``:

    q' = A(q, *query_segments, transpose=f_q)        k' = A(k, *key_segments, transpose=f_k)
    v' = A(v, *key_segments, transpose=f_k)          O  = A(softmax(q' k'^T * scale) v', *query_segments, transpose=not f_q)

``segments`` holds the query tokens' representation, then the key tokens' (equal halves with the
same channel layout); ``transpose`` is one bool or one per segment of both halves. The output
transform is the query's with every transpose flipped: GTA's ``rho(g_q)`` after ``rho(g_q)^T``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from zoo_core.ops.representation.reference import (apply_representation_reference, check_inputs as check_representation,
                                                   segment_flags)

__all__ = ["check_inputs", "representation_attention_reference", "split_segments"]


def split_segments(segments: tuple, transpose: bool | Sequence[bool]) -> tuple[tuple, tuple, tuple, tuple]:
    """(query segments, key segments, query flags, key flags) of valid arguments."""
    n = len(segments) // 2
    flags = segment_flags(transpose, len(segments))
    return segments[:n], segments[n:], flags[:n], flags[n:]


def check_inputs(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *segments: int | torch.Tensor,
                 transpose: bool | Sequence[bool] = False, scale: float | None = None) -> None:
    """Raise a clear ``TypeError`` / ``ValueError`` unless the arguments fit ``representation_attention``."""
    name = "representation_attention"
    if not all(isinstance(t, torch.Tensor) for t in (q, k, v)):
        raise TypeError(f"{name} expects tensors q, k, v.")
    if q.ndim < 2 or k.shape[:-2] != q.shape[:-2] or v.shape != k.shape or k.shape[-1] != q.shape[-1]:
        raise ValueError(f"{name} expects q [..., Tq, D] and k, v [..., Tk, D] with the same leading dims and D; got "
                         f"q {list(q.shape)}, k {list(k.shape)}, v {list(v.shape)}.")
    if k.shape[-2] == 0:
        raise ValueError(f"{name} needs at least one key token; got k {list(k.shape)}.")
    if len(segments) < 2 or len(segments) % 2:
        raise ValueError(f"{name} takes the query tokens' segments then the key tokens' (two equal halves); "
                         f"got {len(segments)} segments.")
    if not isinstance(transpose, bool) and (isinstance(transpose, (str, bytes)) or not isinstance(transpose, Sequence)
                                            or len(transpose) != len(segments)):
        raise TypeError(f"{name}: transpose must be a bool or a sequence of {len(segments)} bools (one per segment of "
                        f"both halves), got {transpose!r}.")
    qs, ks, fq, fk = split_segments(segments, transpose)
    for side, x, segs, flags in (("query", q, qs, fq), ("key", k, ks, fk)):
        try:
            check_representation(x, *segs, transpose=flags)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{name}, {side} segments: {exc}") from exc
        lead = torch.broadcast_shapes(x.shape[:-2], *(s.shape[:-4] for s in segs if isinstance(s, torch.Tensor)))
        if lead != x.shape[:-2]:
            raise ValueError(f"{name}: the {side} segments' leading dims broadcast {list(x.shape[:-2])} up to "
                             f"{list(lead)}; they must broadcast to the {side} tensor's.")
    for n, (a, b) in enumerate(zip(qs, ks)):
        shape = (lambda s: ("blocks", s.shape[-3], s.shape[-1]) if isinstance(s, torch.Tensor) else ("identity", s))
        if shape(a) != shape(b):
            raise ValueError(f"{name}: query segment {n} is {shape(a)} but key segment {n} is {shape(b)}; both halves "
                             "must have the same channel layout.")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, (int, float))):
        raise TypeError(f"{name}: scale must be a number or None, got {scale!r}.")


def representation_attention_reference(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *segments: int | torch.Tensor,
                                       transpose: bool | Sequence[bool] = False, scale: float | None = None) -> torch.Tensor:
    """Transform q, k, v, softmax attention, transform the output back (differentiable)."""
    qs, ks, fq, fk = split_segments(segments, transpose)
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    q2 = apply_representation_reference(q, *qs, transpose=fq)
    k2 = apply_representation_reference(k, *ks, transpose=fk)
    v2 = apply_representation_reference(v, *ks, transpose=fk)
    out = torch.softmax((q2 @ k2.mT) * scale, dim=-1) @ v2
    return apply_representation_reference(out, *qs, transpose=tuple(not f for f in fq))

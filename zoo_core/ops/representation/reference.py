"""A whole block-diagonal representation applied per token, in plain PyTorch: the spec.

x is ``[..., T, D]``; its channels are cut into consecutive segments, each given as

* an ``int`` n: n channels passed through unchanged (the trivial representation), or
* a tensor ``[..., T or 1, K, b, b]``: K consecutive b x b blocks (K*b channels), applied as
  ``zoo_core.ops.rotate_blocks`` does (R^T where that segment's ``transpose`` flag is set).

The segment sizes must sum to D. Leading dims of x and of every block tensor broadcast together.
The result is the composition of ``rotate_blocks`` per segment, concatenated along channels.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from zoo_core.ops.rotate_blocks.reference import MAX_B, rotate_blocks_reference

__all__ = ["apply_representation_reference", "check_inputs", "segment_flags", "segment_size"]

Segment = int | torch.Tensor


def segment_size(segment: Segment) -> int:
    """Channels a (valid) segment covers: n for an identity, K*b for blocks ``[..., K, b, b]``."""
    return segment.shape[-3] * segment.shape[-1] if isinstance(segment, torch.Tensor) else segment


def segment_flags(transpose: bool | Sequence[bool], n: int) -> tuple[bool, ...]:
    """The per-segment transpose flags: one bool for all ``n`` segments, or one per segment."""
    return (transpose,) * n if isinstance(transpose, bool) else tuple(transpose)


def _describe(segment: object) -> str:
    return f"blocks {list(segment.shape)}" if isinstance(segment, torch.Tensor) else repr(segment)


def check_inputs(x: torch.Tensor, *segments: Segment, transpose: bool | Sequence[bool] = False) -> None:
    """Raise a clear ``TypeError`` / ``ValueError`` unless the arguments fit ``apply_representation``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"apply_representation expects a tensor x, got {type(x).__name__}.")
    if x.ndim < 2 or not x.dtype.is_floating_point:
        raise ValueError(f"apply_representation expects a floating-point x as [..., T, D]; got {x.dtype}{list(x.shape)}.")
    if not segments:
        raise ValueError("apply_representation needs at least one segment (an int for identity channels, "
                         "or a block tensor [..., T or 1, K, b, b]).")
    T = x.shape[-2]
    for n, s in enumerate(segments):
        where = f"segment {n} ({_describe(s)})"
        if isinstance(s, bool) or not isinstance(s, (int, torch.Tensor)):
            raise TypeError(f"apply_representation: {where} must be an int (identity channels) or a block tensor "
                            f"[..., T or 1, K, b, b], got {type(s).__name__}.")
        if isinstance(s, int):
            if s < 0:
                raise ValueError(f"apply_representation: {where} is a negative channel count.")
            continue
        b = s.shape[-1] if s.ndim else 0
        if s.ndim < 4 or s.shape[-2] != b or not 1 <= b <= MAX_B:
            raise ValueError(f"apply_representation: {where} must be [..., T or 1, K, b, b] with square blocks, "
                             f"1 <= b <= {MAX_B}.")
        if s.shape[-4] not in (1, T):
            raise ValueError(f"apply_representation: {where} has token dim {s.shape[-4]}; it must be 1 or x's T={T}.")
        if s.dtype != x.dtype or s.device != x.device:
            raise ValueError(f"apply_representation: {where} is {s.dtype} on {s.device}; it must match x "
                             f"({x.dtype} on {x.device}).")
    sizes = [segment_size(s) for s in segments]
    if sum(sizes) != x.shape[-1]:
        raise ValueError(f"apply_representation: the segments cover {' + '.join(map(str, sizes))} = {sum(sizes)} "
                         f"channels, but x's last dim is {x.shape[-1]} (x {list(x.shape)}); sizes must sum to D.")
    try:
        torch.broadcast_shapes(x.shape[:-2], *(s.shape[:-4] for s in segments if isinstance(s, torch.Tensor)))
    except RuntimeError as exc:
        shapes = ", ".join(_describe(s) for s in segments if isinstance(s, torch.Tensor))
        raise ValueError(f"apply_representation: leading dims of x {list(x.shape)} and the segments' ({shapes}) "
                         "do not broadcast.") from exc
    if isinstance(transpose, bool):
        return
    if isinstance(transpose, (str, bytes)) or not isinstance(transpose, Sequence) or \
            len(transpose) != len(segments) or not all(isinstance(f, bool) for f in transpose):
        raise TypeError(f"apply_representation: transpose must be a bool or a sequence of {len(segments)} bools "
                        f"(one per segment), got {transpose!r}.")


def apply_representation_reference(x: torch.Tensor, *segments: Segment,
                                   transpose: bool | Sequence[bool] = False) -> torch.Tensor:
    """``rotate_blocks`` per segment, identity segments passed through, concatenated (differentiable)."""
    flags = segment_flags(transpose, len(segments))
    batch = torch.broadcast_shapes(x.shape[:-2], *(s.shape[:-4] for s in segments if isinstance(s, torch.Tensor)))
    parts = []
    for s, flag, xs in zip(segments, flags, x.split([segment_size(s) for s in segments], -1)):
        y = rotate_blocks_reference(xs, s, transpose=flag) if isinstance(s, torch.Tensor) else xs
        parts.append(y.expand(*batch, *y.shape[-2:]))
    return torch.cat(parts, -1)

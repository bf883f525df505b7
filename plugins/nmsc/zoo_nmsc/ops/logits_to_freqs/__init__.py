"""``logits_to_freqs``: the decode hot path's last step, logits -> the coder's integer frequencies.

    freqs = logits_to_freqs(logits)      # [..., q] float -> [..., q] int32, sums 2**16, each >= 1

reference.py states the integer algorithm (a 1/16-nat grid, an integer exp table, floor
division, the remainder to the first maximum); encoder and decoder get bit-identical tables
from it on any machine. The Triton kernel does the same per row in one launch (one program
per block of rows: grid, max, table gather, sum, divide, remainder), instead of the reference's
nine tensor passes; its output is integer, so it is compared with the reference for equality.
No backward: frequencies are not differentiable (training uses the float softmax).

Example:
    >>> import torch
    >>> from zoo_nmsc.ops.logits_to_freqs import logits_to_freqs
    >>> f = logits_to_freqs(torch.tensor([[0.0, 1.0, -30.0]]))
    >>> f.tolist(), int(f.sum())
    ([[17625, 47909, 2]], 65536)
"""

from __future__ import annotations

import torch

from zoo_core.ops import Op
from zoo_nmsc.ops.logits_to_freqs.reference import (DROP, PRECISION, SCALE, TABLE, check_inputs,
                                                     logits_to_freqs_reference)

__all__ = ["DROP", "MAX_Q", "OP", "PRECISION", "SCALE", "TABLE", "logits_to_freqs", "logits_to_freqs_reference"]

MAX_Q = 256
"""Largest alphabet the kernel holds in one row block."""


def _triton_unsupported(logits: torch.Tensor) -> str | None:
    if logits.shape[-1] > MAX_Q:
        return f"the kernel holds at most {MAX_Q} symbols per row, got {logits.shape[-1]}"
    if logits.dtype not in (torch.float16, torch.bfloat16, torch.float32):
        return f"the kernel reads float16, bfloat16 and float32 logits, not {logits.dtype}"
    return None


OP = Op("logits_to_freqs", reference=logits_to_freqs_reference,
        triton="zoo_nmsc.ops.logits_to_freqs.function:logits_to_freqs_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported,
        example=lambda: ((torch.randn(5, 7),), {}))


def logits_to_freqs(logits: torch.Tensor, *, impl: str | None = None) -> torch.Tensor:
    """Integer frequencies (int32, each >= 1, summing to 2**16 per row) from logits ``[..., q]``.

    Args:
        logits: floating tensor, the last dim the alphabet (2 <= q < 65536).
        impl: ``None`` (automatic: the kernel for CUDA tensors when Triton imports),
            ``"reference"`` or ``"triton"``.

    Raises:
        TypeError, ValueError: the logits do not fit (the message says how).
        zoo_core.ops.OpDispatchError: an unknown ``impl``, or the kernel forced where it cannot run.
    """
    return OP(logits, impl=impl)

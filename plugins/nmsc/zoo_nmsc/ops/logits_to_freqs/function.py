"""Launcher of the ``logits_to_freqs`` kernel (imports Triton: Triton path only).

No autograd Function: the output is integer and not differentiable (training uses the float
softmax of the same logits).
"""

from __future__ import annotations

import torch
import triton

from zoo_core.ops.launch import cdiv
from zoo_nmsc.ops.logits_to_freqs.kernels import _logits_to_freqs_kernel
from zoo_nmsc.ops.logits_to_freqs.reference import DROP, PRECISION, SCALE, table

__all__ = ["logits_to_freqs_triton"]


def logits_to_freqs_triton(logits: torch.Tensor) -> torch.Tensor:
    """The kernel's frequencies ``[..., q]`` int32 (equal to the reference's)."""
    q = logits.shape[-1]
    x = logits.detach().reshape(-1, q).contiguous()
    out = torch.empty(x.shape, dtype=torch.int32, device=x.device)
    if x.shape[0]:
        block_q = max(2, triton.next_power_of_2(q))
        block_r = max(1, min(64, 2048 // block_q))
        _logits_to_freqs_kernel[(cdiv(x.shape[0], block_r),)](
            x, table(x.device).to(torch.int64), out, x.shape[0], q, x.stride(0), out.stride(0),
            SCALE=SCALE, DROP=DROP, TOTAL=2 ** PRECISION, BLOCK_R=block_r, BLOCK_Q=block_q)
    return out.view(logits.shape)

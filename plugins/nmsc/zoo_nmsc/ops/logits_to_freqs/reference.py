"""The spec of ``logits_to_freqs``: context-model logits -> integer symbol frequencies.

Encoder and decoder must build bit-identical probability tables, or the range decoder
desynchronises (CompressAI #279, #309, #340). Float softmax is not bit-stable across devices
and thread counts, so the table is built in integer arithmetic from logits rounded to a
fixed grid; only that rounding sees floating point, and it is exact (a power-of-two scale):

    l_i = round(16 * logit_i)                       (1/16-nat grid, half to even)
    d_i = min(max_j l_j - l_i, DROP)                (DROP = 176: 11 nats below the top)
    w_i = TABLE[d_i],  TABLE[d] = round(2**15 * exp(-d / 16))   (integers, 32768 down to 1)
    f_i = 1 + floor(w_i * (2**16 - q) / sum_j w_j)  (every symbol >= 1 of 2**16)
    f_argmax += 2**16 - sum_j f_j                   (the rounding remainder to the first maximum)

so sum_i f_i = 2**16 and p_i = f_i / 2**16. Two logits vectors that agree on the grid give the
same table on any machine; one that differs by < 1/32 nat from a grid midpoint may round
differently, which the coder's round-trip tests check does not happen between the encoder and
decoder here (the same float32 network on the same inputs).
"""

from __future__ import annotations

import math

import torch

PRECISION = 16  # frequencies sum to 2**PRECISION
SCALE = 16  # logits grid: 1/SCALE nat
DROP = 176  # grid steps below the maximum where TABLE reaches 1
TABLE_BITS = 15
# exp table in integers; every entry's fraction is > 1e-3 away from .5 (tests check), so any
# libm rounds it the same way
TABLE = tuple(round(2 ** TABLE_BITS * math.exp(-d / SCALE)) for d in range(DROP + 1))
_TABLES: dict[torch.device, torch.Tensor] = {}


def table(device: torch.device | str = "cpu") -> torch.Tensor:
    """TABLE as an int64 tensor on ``device`` (cached)."""
    device = torch.device(device)
    if device not in _TABLES:
        _TABLES[device] = torch.tensor(TABLE, dtype=torch.int64, device=device)
    return _TABLES[device]


def check_inputs(logits: torch.Tensor) -> None:
    """``logits``: a floating tensor ``[..., q]`` with 2 <= q < 2**PRECISION."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"logits_to_freqs needs floating-point logits, got "
                        f"{logits.dtype if isinstance(logits, torch.Tensor) else type(logits).__name__}")
    if logits.dim() < 1 or not 2 <= logits.shape[-1] < 2 ** PRECISION:
        raise ValueError(f"logits_to_freqs needs logits [..., q] with 2 <= q < {2 ** PRECISION}, "
                         f"got shape {tuple(logits.shape)}")


def grid(logits: torch.Tensor) -> torch.Tensor:
    """Logits on the 1/SCALE grid as int64 (non-finite values clamped to the grid's range)."""
    x = torch.nan_to_num(logits.float(), nan=0.0, posinf=1e6, neginf=-1e6).clamp(-1e6, 1e6)
    return torch.round(x * SCALE).to(torch.int64)


def logits_to_freqs_reference(logits: torch.Tensor) -> torch.Tensor:
    """Integer frequencies ``[..., q]`` (int32, each >= 1, summing to 2**16) from ``logits [..., q]``."""
    q = logits.shape[-1]
    lg = grid(logits)
    d = (lg.amax(-1, keepdim=True) - lg).clamp(max=DROP)
    w = table(logits.device)[d]
    f = 1 + w * (2 ** PRECISION - q) // w.sum(-1, keepdim=True)
    top = torch.argmax(w, dim=-1, keepdim=True)  # the first maximum
    f.scatter_add_(-1, top, 2 ** PRECISION - f.sum(-1, keepdim=True))
    return f.to(torch.int32)

"""Kernel-vs-reference checks of ``logits_to_freqs`` (run under TRITON_INTERPRET=1 on the CPU).

The output is integer, so the check is equality, over odd row counts and alphabets, dtypes,
ties (the remainder goes to the first maximum), huge, tiny and non-finite logits.
"""

from __future__ import annotations

import torch

from zoo_nmsc.ops.logits_to_freqs import logits_to_freqs

CASES = [  # (rows, q, dtype, scale)
    (1, 2, torch.float32, 1.0), (7, 7, torch.float32, 3.0), (33, 5, torch.float16, 10.0),
    (130, 17, torch.float32, 100.0), (5, 256, torch.bfloat16, 2.0), (64, 3, torch.float32, 1e-3),
]


def inputs(rows: int, q: int, dtype: torch.dtype, scale: float, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(rows, q, generator=g) * scale
    x[0, : q // 2] = x[0, 0]  # ties
    if rows > 2:
        x[1, 0], x[2, -1] = float("nan"), float("inf")
        x[2, 0] = 0.5 / 16  # exactly on a rounding midpoint (half to even)
    return x.to(dtype)


def check(rows: int, q: int, dtype: torch.dtype, scale: float, device: str = "cpu") -> None:
    x = inputs(rows, q, dtype, scale).to(device)
    ref = logits_to_freqs(x, impl="reference")
    got = logits_to_freqs(x, impl="triton")
    assert got.dtype == torch.int32 and torch.equal(got.cpu(), ref.cpu()), (rows, q, dtype, scale)


def check_all() -> list[str]:
    """Every case; one line per case that matched (for ``zoo_core.ops.testing.run_interpreted``)."""
    lines = []
    for case in CASES:
        check(*case)
        lines.append(f"{case}: kernel == reference")
    return lines

"""Kernel-vs-reference checks of ``lstsq_transition``, run under ``TRITON_INTERPRET=1`` by
``zoo_core.ops.testing.run_interpreted`` (plugins/msp/tests/test_ops_lstsq_transition.py)."""

from __future__ import annotations

import torch

from zoo_core.ops.testing import check_op

SIZES = [(3, 37, 5, 7), (2, 32, 16, 4), (1, 70, 17, 33), (2, 9, 3, 1)]
"""(B, R, a, S): odd sizes, a below/at/above the 16-wide tile, R not a multiple of BLOCK_R."""


def check_lstsq_transition() -> list[str]:
    """M, P and the gradients of H0, H1, Z, with and without Z, contiguous and strided (the
    kernels compute in float32, so float64 gradcheck runs on the reference only)."""
    from zoo_msp.ops.lstsq_transition import OP

    g = torch.Generator().manual_seed(0)
    cases = []
    for B, R, A, S in SIZES:
        H0 = torch.randn(B, R, A, generator=g)
        H1 = H0 @ torch.randn(B, A, A, generator=g) + 0.1 * torch.randn(B, R, A, generator=g)
        cases += [(H0, H1, torch.randn(B, S, A, generator=g)), (H0, H1, None)]
    return check_op(OP, cases, tolerances={torch.float32: (1e-4, 1e-4)}, gradcheck=("reference",))

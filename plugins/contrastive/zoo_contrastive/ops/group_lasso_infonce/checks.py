"""Kernel-vs-reference checks of ``group_lasso_infonce``, run under ``TRITON_INTERPRET=1`` by
``zoo_core.ops.testing.run_interpreted`` (tests/test_ops_group_lasso_infonce.py)."""

from __future__ import annotations

import torch

from zoo_core.ops.testing import case, check_op

SIZES = [(1, 2, 1), (5, 6, 3), (37, 8, 4), (33, 12, 2), (70, 15, 5), (9, 3, 3), (20, 32, 2)]
"""(B, D, n_blocks): a single pair, odd batches, batches over several 32-row tiles, block sizes
1, 2, 3, 6 and 16 (BLOCK_K padding and the 16-row tiles)."""


def check_group_lasso_infonce() -> list[str]:
    """Loss and gradients of z1, z2 in float32 and bfloat16, contiguous and strided, with float64
    gradcheck of the reference (the kernel computes in float32, so no float64 gradcheck of it)."""
    from zoo_contrastive.ops.group_lasso_infonce import OP

    g = torch.Generator().manual_seed(0)
    cases = []
    for B, D, nb in SIZES:
        z1 = torch.randn(B, D, generator=g)
        cases.append(case(z1, z1 + 0.3 * torch.randn(B, D, generator=g), n_blocks=nb, temperature=0.7))
    return check_op(OP, cases, dtypes=(torch.float32, torch.bfloat16),
                    tolerances={torch.float32: (1e-5, 1e-4)}, gradcheck=("reference",))

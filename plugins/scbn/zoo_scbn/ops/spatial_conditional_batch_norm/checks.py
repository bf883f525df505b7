"""Kernel-vs-reference checks of ``spatial_conditional_batch_norm``, run under
``TRITON_INTERPRET=1`` by ``zoo_core.ops.testing.run_interpreted``
(plugins/scbn/tests/test_ops_spatial_conditional_batch_norm.py)."""

from __future__ import annotations

import torch

from zoo_core.ops.testing import case, check_op, constant

SIZES = [  # (B, C, K, H, W, training)
    (3, 5, 4, 7, 9, True),     # odd sizes
    (2, 3, 3, 33, 32, True),   # HW = 1056 > one 1024 block
    (4, 2, 10, 1, 1, True),    # 1x1 maps
    (3, 5, 4, 7, 9, False),    # running statistics
    (1, 4, 2, 3, 3, True),     # batch of one
]


def check_spatial_conditional_batch_norm() -> list[str]:
    """y and the gradients of x, the class maps and both tables, plus the running statistics,
    contiguous and strided; float64 gradcheck on the reference."""
    from zoo_scbn.ops.spatial_conditional_batch_norm import OP

    g = torch.Generator().manual_seed(0)
    cases = []
    for b, c, k, h, w, training in SIZES:
        x = torch.randn(b, c, h, w, generator=g) * 2 + 1
        maps = torch.rand(b, k, h, w, generator=g)
        gammas, betas = torch.randn(k, c, generator=g) + 1, torch.randn(k, c, generator=g)
        stats = constant(torch.randn(c, generator=g)), constant(torch.rand(c, generator=g) + 0.5)
        cases.append(case(x, maps, gammas, betas, *stats, training=training, momentum=0.1, eps=2e-5))
    cases.append(case(torch.randn(2, 3, 2, 3, generator=g), torch.rand(2, 4, 2, 3, generator=g),
                      torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g), None, None, training=True))
    return check_op(OP, cases, tolerances={torch.float32: (1e-4, 1e-4)}, gradcheck=("reference",))

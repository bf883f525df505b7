"""Kernel-vs-reference checks of ``conditional_batch_norm``, run under ``TRITON_INTERPRET=1`` by
``zoo_core.ops.testing.run_interpreted`` (plugins/sngan/tests/test_ops_conditional_batch_norm.py)."""

from __future__ import annotations

import os

import torch

from zoo_core.ops.testing import case, check_op, constant

SIZES = [  # (B, C, H, W, training)
    (3, 5, 7, 9, True),      # odd sizes
    (2, 3, 40, 41, True),    # HW = 1640 > one 1024 block: loops over blocks
    (5, 2, 1, 1, True),      # 1x1 maps (statistics over the batch only)
    (3, 5, 7, 9, False),     # running statistics
    (1, 4, 3, 3, True),      # batch of one
]


def check_conditional_batch_norm() -> list[str]:
    """y, the gradients of x, gamma and beta, and the running statistics after the call (updated
    in place in training), contiguous and strided; batch statistics alone (no running ones) too.
    The kernels compute statistics in float32, so float64 gradcheck runs on the reference only."""
    from zoo_sngan.ops.conditional_batch_norm import OP

    g = torch.Generator().manual_seed(0)
    cases = []
    for b, c, h, w, training in SIZES:
        x = torch.randn(b, c, h, w, generator=g) * 3 + 1
        gamma, beta = torch.randn(b, c, generator=g) + 1, torch.randn(b, c, generator=g)
        stats = constant(torch.randn(c, generator=g)), constant(torch.rand(c, generator=g) + 0.5)
        cases.append(case(x, gamma, beta, *stats, training=training, momentum=0.1, eps=2e-5))
    cases.append(case(torch.randn(2, 3, 2, 3, generator=g), torch.randn(2, 3, generator=g),
                      torch.randn(2, 3, generator=g), None, None, training=True))
    return check_op(OP, cases, tolerances={torch.float32: (1e-4, 1e-4)}, gradcheck=("reference",))


def check_conditional_bn_layer() -> str:
    """The CBN layer end to end (label lookup, tables' gradients) with ZOO_OPS_IMPL set to each path."""
    from zoo_sngan.layers import CategoricalConditionalBatchNorm2d

    results = {}
    for impl in ("reference", "triton"):
        os.environ["ZOO_OPS_IMPL"] = impl
        torch.manual_seed(0)
        bn = CategoricalConditionalBatchNorm2d(6, n_classes=4)
        with torch.no_grad():
            bn.gammas.normal_(), bn.betas.normal_()
        x = torch.randn(5, 6, 3, 7, requires_grad=True)
        y = bn(x, torch.tensor([0, 3, 3, 1, 0]))
        y.backward(torch.randn_like(y, generator=torch.Generator().manual_seed(1)))
        del os.environ["ZOO_OPS_IMPL"]
        results[impl] = {"y": y.detach(), "dx": x.grad, "dgammas": bn.gammas.grad, "dbetas": bn.betas.grad,
                         "running_var": bn.running_var}
    for name, want in results["reference"].items():
        torch.testing.assert_close(results["triton"][name], want, atol=1e-4, rtol=1e-4, msg=lambda m: f"{name}: {m}")
    return f"layer path: {', '.join(results['reference'])} match"

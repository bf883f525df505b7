"""Run by test_ops_conditional_batch_norm.py in a subprocess with TRITON_INTERPRET=1 set
before triton is imported: Triton kernels vs the PyTorch reference on the CPU.

Prints one JSON line per case with the largest absolute differences; exits non-zero on
mismatch.
"""

import json
import os
import sys

assert os.environ.get("TRITON_INTERPRET") == "1", "set TRITON_INTERPRET=1 before importing triton"

import torch  # noqa: E402

from zoo_sngan.ops.conditional_batch_norm import conditional_batch_norm  # noqa: E402

CASES = [  # (B, C, H, W, training)
    (3, 5, 7, 9, True),      # odd sizes
    (2, 3, 40, 41, True),    # HW = 1640 > one 1024 block: loops over blocks
    (5, 2, 1, 1, True),      # 1x1 maps (statistics over the batch only)
    (3, 5, 7, 9, False),     # running statistics
    (1, 4, 3, 3, True),      # batch of one
]


def run_case(b, c, h, w, training, impl, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.randn(b, c, h, w, generator=g) * 3 + 1).requires_grad_()
    gamma = (torch.randn(b, c, generator=g) + 1).requires_grad_()
    beta = torch.randn(b, c, generator=g).requires_grad_()
    running_mean = torch.randn(c, generator=g)
    running_var = torch.rand(c, generator=g) + 0.5
    dy = torch.randn(b, c, h, w, generator=g)
    y = conditional_batch_norm(x, gamma, beta, running_mean, running_var, training=training,
                               momentum=0.1, eps=2e-5, impl=impl)
    y.backward(dy)
    return {"y": y.detach(), "dx": x.grad, "dgamma": gamma.grad, "dbeta": beta.grad,
            "running_mean": running_mean, "running_var": running_var}


def run_module(impl):
    """The CBN layer end to end (label lookup, tables' gradients) with ZOO_OPS_IMPL=impl."""
    from zoo_sngan.layers import CategoricalConditionalBatchNorm2d

    os.environ["ZOO_OPS_IMPL"] = impl
    torch.manual_seed(0)
    bn = CategoricalConditionalBatchNorm2d(6, n_classes=4)
    with torch.no_grad():
        bn.gammas.normal_(), bn.betas.normal_()
    x = torch.randn(5, 6, 3, 7, requires_grad=True)
    y = bn(x, torch.tensor([0, 3, 3, 1, 0]))
    y.backward(torch.randn_like(y, generator=torch.Generator().manual_seed(1)))
    del os.environ["ZOO_OPS_IMPL"]
    return {"y": y.detach(), "dx": x.grad, "dgammas": bn.gammas.grad, "dbetas": bn.betas.grad,
            "running_var": bn.running_var}


def main() -> int:
    ok = True
    ref, tri = run_module("reference"), run_module("triton")
    diffs = {k: float((ref[k] - tri[k]).abs().max()) for k in ref}
    good = all(d <= 1e-4 for d in diffs.values())
    ok &= good
    print(json.dumps({"case": "CategoricalConditionalBatchNorm2d", "ok": good, "max_abs_diff": diffs}))
    for case in CASES:
        ref = run_case(*case, impl="reference")
        tri = run_case(*case, impl="triton")
        diffs = {k: float((ref[k] - tri[k]).abs().max()) for k in ref}
        scale = {k: float(ref[k].abs().max()) for k in ref}
        good = all(diffs[k] <= 1e-4 * max(1.0, scale[k]) for k in ref)
        ok &= good
        print(json.dumps({"case": case, "ok": good, "max_abs_diff": diffs}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

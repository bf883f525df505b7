"""Kernel-vs-reference checks run under TRITON_INTERPRET=1 (executed in a subprocess by
test_ops_kuramoto_step.py so that the variable is set before triton is imported)."""

import os
import sys

assert os.environ.get("TRITON_INTERPRET") == "1", "run with TRITON_INTERPRET=1"

import torch  # noqa: E402

from zoo_akorn.ops.kuramoto_step import kuramoto_step  # noqa: E402

CASES = [  # (shape, n, mode, project)
    ((2, 5, 12), 4, "identity", True),
    ((3, 7, 10), 2, "omega", True),
    ((1, 3, 3, 18), 6, "omega", False),
    ((4, 9), 3, "none", True),
    ((2, 11, 15), 5, "none", False),
    ((5, 8), 8, "identity", False),
]


def run(shape, n, mode, project, seed):
    g = torch.Generator().manual_seed(seed)
    C = shape[-1]
    x = torch.nn.functional.normalize(torch.randn(*shape, generator=g).unflatten(-1, (-1, n)), dim=-1).flatten(-2)
    y = torch.randn(*shape, generator=g)
    omega = torch.rand(C // 2, generator=g) if mode == "omega" else None
    gamma = torch.tensor([0.7])
    go, ge = torch.randn(*shape, generator=g), torch.randn(*shape[:-1], C // n, generator=g)
    results = {}
    for impl in ("reference", "triton"):
        xs, ys = x.clone().requires_grad_(), y.clone().requires_grad_()
        gm = gamma.clone().requires_grad_()
        om = omega.clone().requires_grad_() if omega is not None else None
        out, e = kuramoto_step(xs, ys, n=n, gamma=gm, omega=om, omega_identity=mode == "identity",
                               project=project, impl=impl)
        ((out * go).sum() + (e * ge).sum()).backward()
        results[impl] = [out, e, xs.grad, ys.grad, gm.grad] + ([om.grad] if om is not None else [])
    names = ["out", "energy", "grad_x", "grad_y", "grad_gamma", "grad_omega"]
    for name, a, b in zip(names, results["reference"], results["triton"]):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5, msg=lambda m: f"{name} {shape} n={n} {mode}: {m}")


def run_model():
    """A tiny Sudoku AKOrN (attention + GTA, learned global Omega, trainable gamma) through the
    kernel path (ZOO_OPS_IMPL=triton) and the reference path: same logits and gradients."""
    from zoo_akorn.models.sudoku import SudokuAKOrN

    torch.manual_seed(0)
    model = SudokuAKOrN(n=4, ch=16, T=2, heads=2, learn_omg=True)
    board = model.example_inputs(2)["board"]
    grads = {}
    for impl in ("reference", "triton"):
        os.environ["ZOO_OPS_IMPL"] = impl
        model.zero_grad()
        out = model(board, generator=torch.Generator().manual_seed(1))
        out.square().sum().backward()
        grads[impl] = [out.detach()] + [p.grad.clone() for p in model.parameters() if p.grad is not None]
    os.environ.pop("ZOO_OPS_IMPL")
    for a, b in zip(grads["reference"], grads["triton"]):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5)
    return len(grads["triton"])


if __name__ == "__main__":
    for i, case in enumerate(CASES):
        run(*case, seed=i)
    n = run_model()
    print(f"ok {len(CASES)} cases, model path with {n} tensors")
    sys.exit(0)

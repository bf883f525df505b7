"""Kernel-vs-reference checks of ``kuramoto_step``, run under ``TRITON_INTERPRET=1`` by
``zoo_core.ops.testing.run_interpreted`` (plugins/akorn/tests/test_ops_kuramoto_step.py)."""

from __future__ import annotations

import os

import torch

from zoo_core.ops.testing import case, check_op

CASES = [  # (shape, n, mode, project): odd sizes, every Omega mode, both projections, empty
    ((2, 5, 12), 4, "identity", True),
    ((3, 7, 10), 2, "omega", True),
    ((1, 3, 3, 18), 6, "omega", False),
    ((4, 9), 3, "none", True),
    ((2, 11, 15), 5, "none", False),
    ((5, 8), 8, "identity", False),
    ((0, 8), 4, "omega", True),
]


def _case(shape: tuple[int, ...], n: int, mode: str, project: bool, g: torch.Generator):
    x = torch.nn.functional.normalize(torch.randn(*shape, generator=g).unflatten(-1, (-1, n)), dim=-1).flatten(-2)
    omega = torch.rand(shape[-1] // 2, generator=g) if mode == "omega" else None
    return case(x, torch.randn(*shape, generator=g), n=n, gamma=torch.tensor([0.7]), omega=omega,
                omega_identity=mode == "identity", project=project)


def check_kuramoto_step() -> list[str]:
    """Outputs and the gradients of x, y, gamma and omega, contiguous and strided (the kernel
    computes in float32, so float64 gradcheck runs on the reference only)."""
    from zoo_akorn.ops.kuramoto_step import OP

    g = torch.Generator().manual_seed(0)
    return check_op(OP, [_case(*c, g) for c in CASES], gradcheck=("reference",))


def check_sudoku_model() -> str:
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
    return f"model path: logits and {len(grads['triton']) - 1} parameter gradients match"

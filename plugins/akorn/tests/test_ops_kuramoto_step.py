"""The fused Kuramoto step: reference semantics, dispatch, and Triton kernel vs reference
(forward and all gradients, odd sizes) under TRITON_INTERPRET=1 in a subprocess
(``zoo_core.ops.testing.run_interpreted`` running ``zoo_akorn.ops.kuramoto_step.checks``)."""

import os
import subprocess
import sys

import pytest
import torch

from zoo_core.ops import OpDispatchError, dispatch
from zoo_core.ops.testing import run_interpreted

from zoo_akorn.ops import kuramoto_step
from zoo_akorn.ops.kuramoto_step import MAX_N, OP, kuramoto_step_reference

CHECKS = "zoo_akorn.ops.kuramoto_step.checks"


def unit(shape, n, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(*shape, generator=g, dtype=dtype).unflatten(-1, (-1, n)),
                                         dim=-1).flatten(-2)


def test_triton_kernel_matches_reference_under_interpreter():
    results = run_interpreted(f"{CHECKS}:check_kuramoto_step", f"{CHECKS}:check_sudoku_model")
    lines = results[f"{CHECKS}:check_kuramoto_step"].detail.splitlines()
    # every case compared contiguous and strided (outputs + gradients), the empty one included
    assert sum(line.endswith("forward + grads match") for line in lines) == 7 * 2
    assert any("float32[0, 8]" in line for line in lines)
    assert any(line.startswith("gradcheck float64 reference") for line in lines)
    assert "parameter gradients match" in results[f"{CHECKS}:check_sudoku_model"].detail


def test_identity_quirk_is_half_step_without_rotation():
    x, y = unit((3, 8), 4), torch.randn(3, 8)
    out, e = kuramoto_step(x, y, n=4, gamma=1.0, omega_identity=True)
    xs, ys = x.view(3, 2, 4), y.view(3, 2, 4)
    proj = ys - (xs * ys).sum(-1, keepdim=True) * xs
    expected = torch.nn.functional.normalize(xs + 0.5 * proj, dim=-1).view(3, 8)  # (1+g)x + g p, g=1
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(e, -(xs * ys).sum(-1))


def test_output_on_unit_sphere_and_projection_is_tangent():
    x, y = unit((2, 5, 12), 4, seed=1), torch.randn(2, 5, 12)
    out, _ = kuramoto_step(x, y, n=4, gamma=0.3, omega=torch.rand(6))
    torch.testing.assert_close(out.unflatten(-1, (3, 4)).norm(dim=-1), torch.ones(2, 5, 3))
    # y parallel to x: the projected force vanishes, the state stays put
    out, _ = kuramoto_step(x, 2.5 * x, n=4, gamma=0.3)
    torch.testing.assert_close(out, x)


def test_omega_rotates_pairs():
    x = unit((1, 4), 4)
    out, _ = kuramoto_step(x, torch.zeros(1, 4), n=4, gamma=0.1, omega=torch.tensor([2.0, 3.0]))
    a = x + 0.1 * torch.stack([2.0 * x[:, 1], -2.0 * x[:, 0], 3.0 * x[:, 3], -3.0 * x[:, 2]], -1)
    torch.testing.assert_close(out, a / a.norm(dim=-1, keepdim=True))


@pytest.mark.parametrize("mode", ["identity", "omega", "none"])
@pytest.mark.parametrize("project", [True, False])
def test_reference_gradcheck_float64(mode, project):
    x = unit((2, 3, 6), 2, seed=2, dtype=torch.float64).requires_grad_()
    y = torch.randn(2, 3, 6, dtype=torch.float64, requires_grad=True)
    gamma = torch.tensor([0.6], dtype=torch.float64, requires_grad=True)
    omega = torch.rand(3, dtype=torch.float64, requires_grad=True)

    def f(x, y, gamma, omega):
        return kuramoto_step_reference(x, y, n=2, gamma=gamma, omega=omega if mode == "omega" else None,
                                       omega_identity=mode == "identity", project=project)

    assert torch.autograd.gradcheck(f, (x, y, gamma, omega))


def test_dispatch_and_errors(monkeypatch):
    x = unit((2, 8), 4)
    ref = kuramoto_step_reference(x, x, n=4, gamma=1.0)
    torch.testing.assert_close(kuramoto_step(x, x, n=4, gamma=1.0), ref)
    with pytest.raises(ValueError, match="kuramoto_step: impl='cuda'"):
        kuramoto_step(x, x, n=4, gamma=1.0, impl="cuda")
    monkeypatch.setenv("ZOO_OPS_IMPL", "bogus")
    with pytest.raises(ValueError, match="bogus"):
        kuramoto_step(x, x, n=4, gamma=1.0)
    monkeypatch.delenv("ZOO_OPS_IMPL")
    monkeypatch.setattr(dispatch, "_import_triton", lambda: None)   # as if Triton imported
    with pytest.raises(OpDispatchError, match="tensors are on cpu.*TRITON_INTERPRET=1"):
        kuramoto_step(x, x, n=4, gamma=1.0, impl="triton")
    with pytest.raises(ValueError, match="same shape"):
        kuramoto_step(x, x[:1], n=4, gamma=1.0)
    with pytest.raises(ValueError, match="multiple"):
        kuramoto_step(x, x, n=3, gamma=1.0)
    with pytest.raises(ValueError, match="even"):
        kuramoto_step(torch.zeros(2, 9), torch.zeros(2, 9), n=3, gamma=1.0, omega=torch.zeros(4))
    with pytest.raises(ValueError, match=r"shape \[4\]"):
        kuramoto_step(x, x, n=4, gamma=1.0, omega=torch.zeros(3))


def test_kernel_limit_on_oscillator_dimension(monkeypatch):
    """Past MAX_N the kernel is not eligible: a forced Triton call says so before launching."""
    monkeypatch.setattr(dispatch, "_import_triton", lambda: None)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    big = unit((1, 2 * MAX_N), 2 * MAX_N)
    assert OP.triton_unsupported(big, big, n=2 * MAX_N, gamma=1.0) is not None
    assert OP.triton_unsupported(big, big, n=MAX_N, gamma=1.0) is None
    with pytest.raises(OpDispatchError, match=f"up to n={MAX_N} channels, got n={2 * MAX_N}.*impl='reference'"):
        kuramoto_step(big, big, n=2 * MAX_N, gamma=1.0, impl="triton")


def test_cpu_model_forward_never_imports_triton():
    code = ("import sys, torch; from zoo_akorn.models.akorn import AKOrN; "
            "m = AKOrN(n=4, ch=16, L=1, T=1, psize=4, imsize=16, heads=2); m(torch.rand(1, 3, 16, 16)); "
            "assert 'triton' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))


def test_op_form_dispatches_and_benchmarks():
    """``OP`` (the core's Op form) runs the reference on CPU and works with the core's bench tool,
    keyword settings and two outputs included."""
    from zoo_core.ops.bench import bench_op

    from zoo_akorn.ops.kuramoto_step import OP, kuramoto_step

    x = torch.nn.functional.normalize(torch.randn(2, 5, 8).unflatten(-1, (-1, 4)), dim=-1).flatten(-2)
    y = torch.randn(2, 5, 8)
    a, b = OP(x, y, n=4, gamma=0.5, omega_identity=True), kuramoto_step(x, y, n=4, gamma=0.5, omega_identity=True)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    rows = bench_op(OP, {"tiny": lambda: (x, y)}, device="cpu", compile=False, warmup=1, runs=2,
                    kwargs=dict(n=4, gamma=0.5, omega_identity=True))
    assert [(r.mode, r.provider) for r in rows] == [("forward", "reference"), ("forward+backward", "reference")]
    assert all(r.error is None and r.median_ms > 0 for r in rows)

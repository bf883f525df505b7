"""lstsq_transition: Triton kernels vs the PyTorch reference under TRITON_INTERPRET=1 (in a
subprocess, ``zoo_core.ops.testing.run_interpreted`` running ``zoo_msp.ops.lstsq_transition.checks``),
gradcheck of the reference, and the kernel's limits in dispatch."""

import pytest
import torch

from zoo_core.ops import OpDispatchError, dispatch
from zoo_core.ops.testing import run_interpreted

from zoo_msp.ops.lstsq_transition import MAX_DIM_A, OP, lstsq_transition

CHECK = "zoo_msp.ops.lstsq_transition.checks:check_lstsq_transition"


def test_triton_kernels_match_reference_interpreted():
    lines = run_interpreted(CHECK)[CHECK].detail.splitlines()
    # 4 sizes x (with Z, without Z) x (contiguous, strided), outputs and gradients
    assert sum(line.endswith("forward + grads match") for line in lines) == 4 * 2 * 2
    assert any("None" in line and "strided" in line for line in lines)
    assert any(line.startswith("gradcheck float64 reference") for line in lines)


def test_reference_gradcheck_float64():
    g = torch.Generator().manual_seed(0)
    H0 = torch.randn(2, 7, 3, dtype=torch.float64, generator=g, requires_grad=True)
    H1 = torch.randn(2, 7, 3, dtype=torch.float64, generator=g, requires_grad=True)
    Z = torch.randn(2, 2, 3, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b, c: lstsq_transition(a, b, c, impl="reference"),
                                    (H0, H1, Z))


def test_dispatch(monkeypatch):
    x = torch.randn(2, 5, 3)
    monkeypatch.delenv("ZOO_OPS_IMPL", raising=False)
    assert OP.choose(x, x) == "reference"  # CPU tensors
    monkeypatch.setenv("ZOO_OPS_IMPL", "triton")
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    monkeypatch.setattr(dispatch, "_import_triton", lambda: None)   # as if Triton imported
    assert OP.choose(x, x) == "triton"
    assert OP.choose(x, x, impl="reference") == "reference"
    with pytest.raises(ValueError, match="lstsq_transition: impl='cuda' is not an op implementation"):
        lstsq_transition(x, x, impl="cuda")
    with pytest.raises(ValueError, match=r"\(B, R, a\)"):
        lstsq_transition(x, x[:, :4], impl="reference")
    with pytest.raises(ValueError, match="Z must be"):
        lstsq_transition(x, x, torch.randn(2, 1, 4), impl="reference")


def test_kernel_limits(monkeypatch):
    """float64 or dim_a > MAX_DIM_A: automatic dispatch keeps the reference, forcing the kernel
    says why (before launching anything)."""
    monkeypatch.setattr(dispatch, "_import_triton", lambda: None)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    x64, wide = torch.randn(2, 5, 3, dtype=torch.float64), torch.randn(1, 80, MAX_DIM_A + 1)
    with pytest.raises(OpDispatchError, match="computes in float32 and H0 is torch.float64: cast it.*impl='reference'"):
        lstsq_transition(x64, x64, impl="triton")
    with pytest.raises(OpDispatchError, match=f"dim_a <= {MAX_DIM_A}; got dim_a={MAX_DIM_A + 1}"):
        lstsq_transition(wide, wide, impl="triton")
    z = torch.randn(2, 1, 3, dtype=torch.float64)
    assert "Z is torch.float64" in OP.triton_unsupported(x64.float(), x64.float(), z)
    assert OP.triton_unsupported(wide[..., :MAX_DIM_A], wide[..., :MAX_DIM_A]) is None

"""lstsq_transition: Triton kernels vs the PyTorch reference under TRITON_INTERPRET=1 (run in
a subprocess so the variable is set before triton is imported), gradcheck of the reference,
and dispatch."""

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from zoo_msp.ops.lstsq_transition import lstsq_transition, resolve_impl

INTERPRETED = textwrap.dedent(r"""
    import torch
    from zoo_msp.ops.lstsq_transition import lstsq_transition
    torch.manual_seed(0)
    worst = {}
    # (B, R, a, S): odd sizes, a below/at/above the 16-wide tile, R not a multiple of BLOCK_R
    for B, R, A, S in [(3, 37, 5, 7), (2, 32, 16, 4), (1, 70, 17, 33), (2, 9, 3, 1)]:
        H0 = torch.randn(B, R, A, requires_grad=True)
        H1 = (H0.detach() @ torch.randn(B, A, A) + 0.1 * torch.randn(B, R, A)).requires_grad_()
        Z = torch.randn(B, S, A, requires_grad=True)
        gM, gP = torch.randn(B, A, A), torch.randn(B, S, A)
        outs = {}
        for impl in ("triton", "reference"):
            M, P = lstsq_transition(H0, H1, Z, impl=impl)
            grads = torch.autograd.grad((M * gM).sum() + (P * gP).sum(), [H0, H1, Z])
            outs[impl] = (M, P, *grads)
        for name, a, b in zip(["M", "P", "dH0", "dH1", "dZ"], outs["triton"], outs["reference"]):
            err = ((a - b).abs().max() / b.abs().max().clamp_min(1e-6)).item()
            worst[name] = max(worst.get(name, 0.0), err)
        # without Z: M only, gradient of M alone
        M, P = lstsq_transition(H0, H1, impl="triton")
        assert P is None
        g_t = torch.autograd.grad((M * gM).sum(), [H0, H1])
        g_r = torch.autograd.grad((lstsq_transition(H0, H1, impl="reference")[0] * gM).sum(), [H0, H1])
        for a, b in zip(g_t, g_r):
            worst["noZ"] = max(worst.get("noZ", 0.0), ((a - b).abs().max() / b.abs().max()).item())
    print(worst)
    assert all(v < 1e-4 for v in worst.values()), worst
    try:
        lstsq_transition(H0.double(), H1.double(), impl="triton")
    except TypeError as e:
        assert "float32" in str(e)
    else:
        raise AssertionError("float64 accepted by the Triton path")
    print("OK")
""")


def test_triton_kernels_match_reference_interpreted():
    pytest.importorskip("triton")
    env = dict(os.environ, TRITON_INTERPRET="1")
    out = subprocess.run([sys.executable, "-c", INTERPRETED], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("OK")


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
    assert resolve_impl(None, x, x) == "reference"  # CPU tensors
    monkeypatch.setenv("ZOO_OPS_IMPL", "triton")
    assert resolve_impl(None, x, x) == "triton"
    assert resolve_impl("reference", x, x) == "reference"
    with pytest.raises(ValueError, match="unknown impl"):
        resolve_impl("cuda", x, x)
    with pytest.raises(ValueError, match=r"\(B, R, a\)"):
        lstsq_transition(x, x[:, :4], impl="reference")
    with pytest.raises(ValueError, match="Z must be"):
        lstsq_transition(x, x, torch.randn(2, 1, 4), impl="reference")

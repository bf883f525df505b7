"""The conditional-batch-norm op: reference semantics, dispatch, and the Triton kernels vs
the reference under TRITON_INTERPRET=1 (in a subprocess, so the variable is set before
triton is imported: ``zoo_core.ops.testing.run_interpreted`` running
``zoo_sngan.ops.conditional_batch_norm.checks``)."""

import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from zoo_core.ops import OpDispatchError, dispatch
from zoo_core.ops.testing import run_interpreted

from zoo_sngan.ops import conditional_batch_norm
from zoo_sngan.ops.conditional_batch_norm import OP, conditional_batch_norm_reference

CHECKS = "zoo_sngan.ops.conditional_batch_norm.checks"


class TestReference:
    def test_gradcheck_float64(self):
        g = torch.Generator().manual_seed(0)
        x = torch.randn(3, 2, 3, 5, dtype=torch.float64, generator=g, requires_grad=True)
        gamma = torch.randn(3, 2, dtype=torch.float64, generator=g, requires_grad=True)
        beta = torch.randn(3, 2, dtype=torch.float64, generator=g, requires_grad=True)
        for training in (True, False):
            rm, rv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
            assert torch.autograd.gradcheck(
                lambda a, b, c: conditional_batch_norm_reference(a, b, c, rm, rv, training=training,
                                                                 momentum=0.0, eps=1e-3),
                (x, gamma, beta))

    def test_equals_affine_batchnorm_for_shared_parameters(self):
        torch.manual_seed(1)
        bn = nn.BatchNorm2d(4, eps=2e-5)
        with torch.no_grad():
            bn.weight.normal_(), bn.bias.normal_()
        x = torch.randn(3, 4, 5, 5)
        rm, rv = torch.zeros(4), torch.ones(4)
        y = conditional_batch_norm(x, bn.weight.expand(3, 4), bn.bias.expand(3, 4), rm, rv,
                                   training=True)
        torch.testing.assert_close(y, bn(x))
        torch.testing.assert_close(rv, bn.running_var)


def _inputs(b=2, c=3, gamma_dims=2):
    x = torch.randn(b, c, 4, 4)
    gamma = torch.ones(b, c) if gamma_dims == 2 else torch.ones(b, c, 4, 4)
    return x, gamma, torch.zeros_like(gamma), None, None


class TestDispatch:
    def test_cpu_defaults_to_reference(self, monkeypatch):
        monkeypatch.delenv("ZOO_OPS_IMPL", raising=False)
        assert OP.choose(*_inputs(), training=True) == "reference"

    def test_env_override(self, monkeypatch):
        monkeypatch.setattr(dispatch, "_import_triton", lambda: None)   # as if Triton imported
        monkeypatch.setenv("TRITON_INTERPRET", "1")
        monkeypatch.setenv("ZOO_OPS_IMPL", "triton")
        assert OP.choose(*_inputs(), training=True) == "triton"
        monkeypatch.setenv("ZOO_OPS_IMPL", "cuda")
        with pytest.raises(ValueError, match="ZOO_OPS_IMPL='cuda' is not an op implementation"):
            conditional_batch_norm(*_inputs(), training=True)

    def test_kernel_limits(self, monkeypatch):
        """Spatial maps and momentum=None run on the reference; forcing the kernel says why."""
        monkeypatch.setattr(dispatch, "_import_triton", lambda: None)
        monkeypatch.setenv("TRITON_INTERPRET", "1")
        spatial = _inputs(gamma_dims=4)
        assert OP.choose(*spatial, training=True) == "reference"
        with pytest.raises(OpDispatchError, match=r"per-pixel \(B, C, H, W\) gamma and beta maps.*impl='reference'"):
            conditional_batch_norm(*spatial, training=True, impl="triton")
        with pytest.raises(OpDispatchError, match="needs a float momentum"):
            conditional_batch_norm(*_inputs(), training=True, momentum=None, impl="triton")

    def test_forcing_triton_on_cpu_without_interpreter(self, monkeypatch):
        monkeypatch.setattr(dispatch, "_import_triton", lambda: None)
        monkeypatch.delenv("TRITON_INTERPRET", raising=False)
        with pytest.raises(OpDispatchError, match="tensors are on cpu.*TRITON_INTERPRET=1"):
            conditional_batch_norm(*_inputs(), training=True, impl="triton")

    def test_bad_shapes(self):
        with pytest.raises(ValueError, match="gamma and beta"):
            conditional_batch_norm(torch.zeros(2, 3, 4, 4), torch.ones(2, 4), torch.zeros(2, 4),
                                   None, None, training=True)
        with pytest.raises(ValueError, match=r"x must be \(B, C, H, W\)"):
            conditional_batch_norm(torch.zeros(2, 3), torch.ones(2, 3), torch.zeros(2, 3),
                                   None, None, training=True)
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            conditional_batch_norm(torch.zeros(1, 3, 1, 1), torch.ones(1, 3), torch.zeros(1, 3),
                                   None, None, training=True)

    def test_importing_the_op_does_not_import_triton(self):
        code = ("import sys, zoo_sngan.ops, zoo_sngan.models; "
                "assert 'triton' not in sys.modules, 'triton imported'")
        subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())


def test_triton_kernels_match_reference_under_interpreter():
    results = run_interpreted(f"{CHECKS}:check_conditional_batch_norm", f"{CHECKS}:check_conditional_bn_layer")
    lines = results[f"{CHECKS}:check_conditional_batch_norm"].detail.splitlines()
    # 6 cases x (contiguous, strided): y, gradients and running statistics
    assert sum(line.endswith("forward + grads match") for line in lines) == 6 * 2
    assert "running_var match" in results[f"{CHECKS}:check_conditional_bn_layer"].detail

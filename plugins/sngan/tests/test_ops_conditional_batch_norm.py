"""The conditional-batch-norm op: reference semantics, dispatch, and the Triton kernels vs
the reference under TRITON_INTERPRET=1 (in a subprocess, so the variable is set before
triton is imported)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from zoo_sngan.ops import conditional_batch_norm
from zoo_sngan.ops.conditional_batch_norm import _resolve_impl, conditional_batch_norm_reference

HERE = Path(__file__).resolve().parent


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


class TestDispatch:
    def test_cpu_defaults_to_reference(self, monkeypatch):
        monkeypatch.delenv("ZOO_OPS_IMPL", raising=False)
        assert _resolve_impl(None, (torch.zeros(1),)) == "reference"

    def test_env_override(self, monkeypatch):
        monkeypatch.setenv("ZOO_OPS_IMPL", "triton")
        assert _resolve_impl(None, (torch.zeros(1),)) == "triton"
        monkeypatch.setenv("ZOO_OPS_IMPL", "cuda")
        with pytest.raises(ValueError, match="Unknown impl 'cuda'"):
            _resolve_impl(None, (torch.zeros(1),))

    def test_bad_shapes(self):
        with pytest.raises(ValueError, match="gamma and beta"):
            conditional_batch_norm(torch.zeros(2, 3, 4, 4), torch.ones(2, 4), torch.zeros(2, 4),
                                   None, None, training=True)
        with pytest.raises(ValueError, match=r"x must be \(B, C, H, W\)"):
            conditional_batch_norm(torch.zeros(2, 3), torch.ones(2, 3), torch.zeros(2, 3),
                                   None, None, training=True)

    def test_importing_the_op_does_not_import_triton(self):
        code = ("import sys, zoo_sngan.ops, zoo_sngan.models; "
                "assert 'triton' not in sys.modules, 'triton imported'")
        subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())


def test_triton_kernels_match_reference_under_interpreter():
    pytest.importorskip("triton")
    env = {**os.environ, "TRITON_INTERPRET": "1"}
    proc = subprocess.run([sys.executable, str(HERE / "_cbn_triton_check.py")], env=env,
                          capture_output=True, text=True, timeout=300)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 6, f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    bad = [line for line in lines if not line["ok"]]
    assert proc.returncode == 0 and not bad, f"mismatches: {bad}\nstderr:\n{proc.stderr[-2000:]}"

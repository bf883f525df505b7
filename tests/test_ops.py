"""Tests for zoo_core.ops: dispatch, Op, launch sizes, the kernel checker, rotate_blocks, bench,
the dispatch rules of every op found (core and installed plugins), the op scaffold.

Kernel-vs-reference checks run in one subprocess under TRITON_INTERPRET=1 (see
zoo_core.ops.testing.run_interpreted); their check functions live in tests/ops_toy/checks.py.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import pkgutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import torch

from zoo_core.errors import ZooError
from zoo_core.ops import (ENV_VAR, Op, OpDispatchError, TritonUnavailableError, apply_representation, choose_impl,
                          representation_attention, rotate_blocks)
from zoo_core.ops import dispatch
from zoo_core.ops.bench import bench_op, format_table
from zoo_core.ops.launch import MAX_BLOCK, next_power_of_2, settings
from zoo_core.ops.rotate_blocks import OP as ROTATE_OP
from zoo_core.ops.rotate_blocks import rotate_blocks_reference
from zoo_core.ops.scaffold import OpScaffoldError, render_op, write_op
from zoo_core.ops.testing import (OpCheckError, _mismatch, case, check_dispatch, check_op, constant, non_contiguous,
                                  run_interpreted)

HERE = Path(__file__).resolve().parent


class _FakeCuda:
    """Stands in for a CUDA tensor in dispatch tests (no GPU here)."""

    is_cuda = True
    device = "cuda:0"


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    return monkeypatch


@pytest.fixture
def triton_ok(clean_env):
    clean_env.setattr(dispatch, "_import_triton", lambda: None)
    return clean_env


@pytest.fixture
def triton_missing(clean_env):
    clean_env.setattr(dispatch, "_import_triton", lambda: "ModuleNotFoundError: No module named 'triton'")
    return clean_env


class TestChooseImpl:
    def test_auto_cpu_is_reference(self, triton_ok):
        assert choose_impl(None, torch.ones(2), None) == "reference"

    def test_auto_without_tensors_is_reference(self, triton_ok):
        assert choose_impl(None) == "reference"

    def test_auto_cuda_with_triton_is_triton(self, triton_ok):
        assert choose_impl(None, _FakeCuda(), _FakeCuda()) == "triton"

    def test_auto_mixed_devices_is_reference(self, triton_ok):
        assert choose_impl(None, _FakeCuda(), torch.ones(1)) == "reference"

    def test_auto_cuda_without_triton_is_reference(self, triton_missing):
        assert choose_impl(None, _FakeCuda()) == "reference"

    def test_argument_forces_reference_on_cuda(self, triton_ok):
        assert choose_impl("reference", _FakeCuda()) == "reference"

    def test_env_var_forces_reference(self, triton_ok):
        triton_ok.setenv(ENV_VAR, "reference")
        assert choose_impl(None, _FakeCuda()) == "reference"

    def test_env_var_forces_triton(self, triton_ok):
        triton_ok.setenv(ENV_VAR, "triton")
        assert choose_impl(None, _FakeCuda()) == "triton"

    def test_argument_beats_env_var(self, triton_ok):
        triton_ok.setenv(ENV_VAR, "triton")
        assert choose_impl("reference", torch.ones(1)) == "reference"

    def test_empty_env_var_means_auto(self, triton_ok):
        triton_ok.setenv(ENV_VAR, "")
        assert choose_impl(None, _FakeCuda()) == "triton"

    @pytest.mark.parametrize("bad", ["cuda", "Triton", "auto", ""])
    def test_bad_argument_names_allowed_values(self, triton_ok, bad):
        with pytest.raises(ValueError, match=r"impl=.*allowed values: 'reference', 'triton'"):
            choose_impl(bad, torch.ones(1))

    def test_bad_env_var_names_variable_and_allowed_values(self, triton_ok):
        triton_ok.setenv(ENV_VAR, "fast")
        with pytest.raises(ValueError, match=rf"{ENV_VAR}='fast'.*'reference', 'triton'"):
            choose_impl(None, torch.ones(1))

    def test_forced_triton_without_triton(self, triton_missing):
        with pytest.raises(TritonUnavailableError, match="does not import.*impl='reference'"):
            choose_impl("triton", _FakeCuda())
        assert issubclass(TritonUnavailableError, ImportError)

    def test_forced_triton_on_cpu_needs_interpreter(self, triton_ok):
        with pytest.raises(ValueError, match="tensors are on cpu.*TRITON_INTERPRET=1"):
            choose_impl("triton", torch.ones(1))
        triton_ok.setenv(ENV_VAR, "triton")
        with pytest.raises(ValueError, match=f"{ENV_VAR}=triton forces"):
            choose_impl(None, torch.ones(1))

    def test_forced_triton_on_cpu_under_interpreter(self, triton_ok):
        triton_ok.setenv("TRITON_INTERPRET", "1")
        assert choose_impl("triton", torch.ones(1)) == "triton"

    def test_unsupported_arguments_run_the_reference_unless_forced(self, triton_ok):
        why = "the kernel computes in float32 and x is torch.float64"
        assert choose_impl(None, _FakeCuda(), unsupported=why) == "reference"
        with pytest.raises(OpDispatchError, match=rf"^myop: impl='triton' forces the Triton kernel, but {why}\. "
                                                  "For these arguments, use impl='reference'"):
            choose_impl("triton", _FakeCuda(), op="myop", unsupported=why)
        triton_ok.setenv(ENV_VAR, "triton")
        with pytest.raises(OpDispatchError, match=f"{why}.*set {ENV_VAR}=reference or unset it"):
            choose_impl(None, _FakeCuda(), unsupported=why)

    def test_messages_name_the_op(self, triton_missing):
        with pytest.raises(OpDispatchError, match="^myop: impl='gpu' is not an op implementation"):
            choose_impl("gpu", op="myop")
        with pytest.raises(TritonUnavailableError, match="^myop: impl='triton'"):
            choose_impl("triton", _FakeCuda(), op="myop")

    def test_errors_are_zoo_errors_and_builtins(self):
        assert issubclass(OpDispatchError, ZooError) and issubclass(OpDispatchError, ValueError)
        assert issubclass(TritonUnavailableError, ZooError) and issubclass(TritonUnavailableError, ImportError)


def _double(x, *, k=2.0):
    return x * k


class TestOp:
    def test_reference_path_never_imports_triton_side(self, clean_env):
        op = Op("double", reference=_double, triton="no_such_module_xyz:fn")
        torch.testing.assert_close(op(torch.ones(3), k=3.0), torch.full((3,), 3.0))

    def test_unimportable_triton_side_names_op_and_target(self):
        op = Op("double", reference=_double, triton="no_such_module_xyz:fn")
        with pytest.raises(ImportError, match="'double'.*no_such_module_xyz:fn"):
            op.resolve("triton")

    def test_resolve_loads_triton_side_by_name(self):
        op = Op("double", reference=_double, triton=f"{__name__}:_double")
        assert op.resolve("triton") is _double and op.resolve("reference") is _double

    def test_bad_impl(self):
        op = Op("double", reference=_double, triton=f"{__name__}:_double")
        with pytest.raises(ValueError, match="'reference', 'triton'"):
            op(torch.ones(1), impl="gpu")
        with pytest.raises(ValueError, match="'reference' or 'triton'"):
            op.resolve("gpu")

    def test_triton_target_must_be_module_colon_function(self):
        with pytest.raises(ValueError, match="'module:function'"):
            Op("x", reference=_double, triton="just_a_module")

    def test_validates_once_before_dispatch(self, clean_env):
        seen = []

        def validate(x, *, k=2.0):
            seen.append(k)
            if k < 0:
                raise ValueError("k must be >= 0")

        op = Op("double", reference=_double, triton="no_such_module_xyz:fn", validate=validate)
        torch.testing.assert_close(op(torch.ones(2), k=3.0), torch.full((2,), 3.0))
        with pytest.raises(ValueError, match="k must be >= 0"):    # the input error comes before the impl error
            op(torch.ones(2), k=-1.0, impl="gpu")
        assert seen == [3.0, -1.0]

    def test_choose_passes_arguments_to_triton_unsupported(self, triton_ok):
        op = Op("double", reference=_double, triton="no_such_module_xyz:fn",
                triton_unsupported=lambda x, *, k=2.0: None if k < 10 else f"k={k} is too large")
        assert op.choose(_FakeCuda(), k=3.0) == "triton"
        assert op.choose(_FakeCuda(), k=30.0) == "reference"
        with pytest.raises(OpDispatchError, match="double: impl='triton' forces the Triton kernel, but k=30.0 is too large"):
            op.choose(_FakeCuda(), k=30.0, impl="triton")


class TestLaunch:
    @pytest.mark.parametrize(("n", "block"), [(0, 1), (1, 1), (2, 2), (3, 4), (100, 128), (1024, 1024), (1025, 2048)])
    def test_block_is_next_power_of_two(self, n, block):
        assert settings(n).block == block == next_power_of_2(n)

    def test_warps_grow_with_block(self):
        warps = [settings(n).num_warps for n in (16, 2048, 8192, 32768)]
        assert warps == sorted(warps) and warps[0] == 4 and warps[-1] == 32

    def test_past_limit_raises_with_sizes(self):
        with pytest.raises(ValueError, match=rf"row length {MAX_BLOCK + 1} needs a block of {2 * MAX_BLOCK}.*limit of {MAX_BLOCK}"):
            settings(MAX_BLOCK + 1)
        with pytest.raises(ValueError, match="blocks K 9 .* limit of 8"):
            settings(9, limit=8, what="blocks K")

    def test_negative_raises(self):
        with pytest.raises(ValueError, match=">= 0"):
            settings(-1)


def test_import_costs():
    """zoo_core imports no torch; zoo_core.ops and a CPU rotate_blocks call import no Triton."""
    code = (
        "import sys, zoo_core; assert 'torch' not in sys.modules, 'zoo_core imported torch'\n"
        "import torch, zoo_core.ops as ops; assert 'triton' not in sys.modules, 'zoo_core.ops imported triton'\n"
        "ops.rotate_blocks(torch.ones(2, 4), torch.ones(2, 2, 2, 2))\n"
        "ops.apply_representation(torch.ones(2, 5), 1, torch.ones(2, 2, 2, 2))\n"
        "ops.representation_attention(*[torch.ones(2, 4)] * 3, 4, 4)\n"
        "assert 'triton' not in sys.modules, 'a CPU call imported triton'\n"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


# --- rotate_blocks reference (no Triton) --------------------------------------------------------------


def _rotate_loop(x, R):
    """The definition, element by element, for small inputs."""
    b = R.shape[-1]
    batch = torch.broadcast_shapes(x.shape[:-2], R.shape[:-4])
    T, D = x.shape[-2], x.shape[-1]
    xe = x.expand(*batch, T, D)
    Re = R.expand(*batch, T, *R.shape[-3:])
    y = torch.zeros(*batch, T, D, dtype=x.dtype)
    for idx in (torch.cartesian_prod(*[torch.arange(s) for s in batch]).reshape(-1, len(batch)).tolist() if batch else [[]]):
        for t in range(T):
            for k in range(D // b):
                for i in range(b):
                    y[(*idx, t, k * b + i)] = sum(Re[(*idx, t, k, i, j)] * xe[(*idx, t, k * b + j)] for j in range(b))
    return y


class TestRotateBlocksReference:
    @pytest.fixture(autouse=True)
    def _auto_dispatch(self, clean_env):
        """A ZOO_OPS_IMPL in the caller's shell must not change which path these tests take."""

    @pytest.mark.parametrize("b", [2, 3])
    @pytest.mark.parametrize(("x_shape", "R_lead"), [((5, 3), (5, 3)), ((2, 3, 1), (1,)), ((4,), (2, 4)), ((2, 1, 3), (3, 3))])
    def test_matches_definition(self, b, x_shape, R_lead):
        g = torch.Generator().manual_seed(b)
        x = torch.randn(*x_shape, 2 * b, generator=g, dtype=torch.float64)
        R = torch.randn(*R_lead, 2, b, b, generator=g, dtype=torch.float64)
        torch.testing.assert_close(rotate_blocks(x, R, impl="reference"), _rotate_loop(x, R))

    def test_rotations_keep_norms_and_compose(self):
        angle = torch.rand(6, 4, dtype=torch.float64) * 2 * math.pi
        c, s = torch.cos(angle), torch.sin(angle)
        R = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # [T=6, K=4, 2, 2]
        x = torch.randn(3, 6, 8, dtype=torch.float64)
        y = rotate_blocks(x, R)
        torch.testing.assert_close(y.unflatten(-1, (4, 2)).norm(dim=-1), x.unflatten(-1, (4, 2)).norm(dim=-1))
        torch.testing.assert_close(rotate_blocks(y, R.transpose(-1, -2)), x)

    @pytest.mark.parametrize("b", [2, 3])
    def test_gradcheck_float64(self, b):
        g = torch.Generator().manual_seed(0)
        x = torch.randn(2, 1, 3, 2 * b, generator=g, dtype=torch.float64, requires_grad=True)
        R = torch.randn(2, 3, 2, b, b, generator=g, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(rotate_blocks_reference, (x, R))
        assert torch.autograd.gradgradcheck(rotate_blocks_reference, (x, R))

    @pytest.mark.parametrize("b", [2, 3, 5])
    def test_transpose_applies_the_transposed_blocks(self, b):
        g = torch.Generator().manual_seed(b)
        x = torch.randn(2, 1, 3, 2 * b, generator=g, dtype=torch.float64)
        R = torch.randn(3, 2, b, b, generator=g, dtype=torch.float64)
        y = rotate_blocks(x, R, transpose=True)
        torch.testing.assert_close(y, _rotate_loop(x, R.mT.contiguous()))
        Q = torch.linalg.qr(R)[0]                      # orthogonal blocks: R^T undoes R
        torch.testing.assert_close(rotate_blocks(rotate_blocks(x, Q), Q, transpose=True), x.expand(2, 1, 3, 2 * b))
        R.requires_grad_(True)
        assert torch.autograd.gradcheck(lambda x, R: rotate_blocks_reference(x, R, transpose=True),
                                        (x.requires_grad_(True), R))

    def test_transpose_must_be_a_bool(self):
        with pytest.raises(TypeError, match="transpose must be True or False, got 'yes'"):
            rotate_blocks(torch.randn(5, 4), torch.randn(5, 2, 2, 2), transpose="yes")

    def test_empty_and_non_contiguous(self):
        assert rotate_blocks(torch.randn(0, 5, 4), torch.randn(5, 2, 2, 2)).shape == (0, 5, 4)
        assert rotate_blocks(torch.randn(3, 0, 6), torch.randn(0, 2, 3, 3)).shape == (3, 0, 6)
        x, R = torch.randn(4, 5, 6), torch.randn(5, 3, 2, 2)
        torch.testing.assert_close(rotate_blocks(non_contiguous(x), non_contiguous(R)), rotate_blocks(x, R))

    @pytest.mark.parametrize(
        ("x", "R", "message"),
        [
            (torch.randn(5, 6), torch.randn(5, 2, 2, 2), r"x's last dim must be K\*b = 2\*2 = 4"),
            (torch.randn(5, 6), torch.randn(5, 3, 2, 3), "square blocks"),
            (torch.randn(5, 18), torch.randn(5, 2, 9, 9), "square blocks b x b with 1 <= b <= 8"),
            (torch.randn(5, 4), torch.randn(4, 2, 2, 2), "token dim must be 1 or x's T=5"),
            (torch.randn(2, 5, 4), torch.randn(3, 5, 2, 2, 2), "do not broadcast"),
            (torch.randn(5, 4), torch.randn(5, 2, 2, 2, dtype=torch.float64), "share dtype and device"),
            (torch.ones(5, 4, dtype=torch.int64), torch.ones(5, 2, 2, 2, dtype=torch.int64), "floating-point"),
            (torch.randn(4), torch.randn(5, 2, 2, 2), r"x as \[..., T, D\]"),
        ],
    )
    def test_bad_inputs(self, x, R, message):
        with pytest.raises(ValueError, match=message):
            rotate_blocks(x, R)

    def test_not_tensors(self):
        with pytest.raises(TypeError, match="expects tensors"):
            rotate_blocks([[1.0, 2.0]], torch.randn(1, 1, 2, 2))

    def test_forcing_triton_on_cpu_without_interpreter(self, clean_env):
        clean_env.setattr(dispatch, "_import_triton", lambda: None)
        with pytest.raises(ValueError, match="TRITON_INTERPRET=1"):
            rotate_blocks(torch.randn(5, 4), torch.randn(5, 2, 2, 2), impl="triton")


# --- apply_representation reference (no Triton) --------------------------------------------------


def _dense(segments, flags, T, D):
    """Each token's whole D x D block-diagonal matrix (leading dims of the segments broadcast)."""
    tensors = [s for s in segments if isinstance(s, torch.Tensor)]
    lead = torch.broadcast_shapes(*(s.shape[:-4] for s in tensors))
    M = torch.zeros(*lead, T, D, D, dtype=torch.float64)
    c = 0
    for s, flag in zip(segments, flags):
        if not isinstance(s, torch.Tensor):
            M[..., range(c, c + s), range(c, c + s)] = 1.0
            c += s
            continue
        b = s.shape[-1]
        for k in range(s.shape[-3]):
            block = s[..., k, :, :].expand(*lead, T, b, b)
            M[..., c:c + b, c:c + b] = block.mT if flag else block
            c += b
    return M


class TestApplyRepresentationReference:
    @pytest.fixture(autouse=True)
    def _auto_dispatch(self, clean_env):
        """A ZOO_OPS_IMPL in the caller's shell must not change which path these tests take."""

    def _gta(self, g):
        """x [B=2, H=3, T=4, D=31] and GTA's [triv 3 | se3 2x4 | so3 (3, 5) x 2 | so2 2x2] with the query's transposes."""
        D1, D2 = (torch.randn(2, 1, 4, 1, b, b, generator=g, dtype=torch.float64) for b in (3, 5))
        segments = (3, torch.randn(2, 1, 4, 2, 4, 4, generator=g, dtype=torch.float64), D1, D2, D1, D2,
                    torch.randn(1, 2, 2, 2, generator=g, dtype=torch.float64))
        flags = (False, True, False, False, False, False, True)
        return torch.randn(2, 3, 4, 31, generator=g, dtype=torch.float64), segments, flags

    def test_matches_the_dense_block_diagonal_matrix(self):
        x, segments, flags = self._gta(torch.Generator().manual_seed(0))
        y = apply_representation(x, *segments, transpose=flags)
        want = (_dense(segments, flags, 4, 31) @ x.unsqueeze(-1)).squeeze(-1)
        torch.testing.assert_close(y, want)
        every = apply_representation(x, *segments, transpose=True)
        torch.testing.assert_close(every, (_dense(segments, (True,) * 7, 4, 31) @ x.unsqueeze(-1)).squeeze(-1))

    def test_transpose_undoes_orthogonal_blocks_and_gradcheck(self):
        g = torch.Generator().manual_seed(1)
        Q = torch.linalg.qr(torch.randn(5, 2, 3, 3, generator=g, dtype=torch.float64))[0]
        E = torch.linalg.qr(torch.randn(1, 1, 4, 4, generator=g, dtype=torch.float64))[0]
        x = torch.randn(2, 5, 12, generator=g, dtype=torch.float64)
        y = apply_representation(x, Q, 2, E)
        torch.testing.assert_close(apply_representation(y, Q, 2, E, transpose=True), x)
        torch.testing.assert_close(y[..., 6:8], x[..., 6:8])
        leaves = (x[:1, :3].clone().requires_grad_(), Q[:3].clone().requires_grad_(), E.clone().requires_grad_())
        assert torch.autograd.gradcheck(
            lambda x, Q, E: apply_representation(x, Q, 2, E, transpose=(True, False, False)), leaves)

    def test_broadcast_and_empty(self):
        x, R = torch.randn(5, 6), torch.randn(3, 5, 2, 2, 2)
        assert apply_representation(x, 2, R).shape == (3, 5, 6)
        assert apply_representation(torch.randn(2, 0, 7), 3, torch.randn(0, 1, 4, 4)).shape == (2, 0, 7)

    @pytest.mark.parametrize(
        ("args", "kwargs", "error", "message"),
        [
            ((torch.randn(5, 10), 2, torch.randn(5, 2, 3, 3)), {}, ValueError,
             r"segments cover 2 \+ 6 = 8 channels, but x's last dim is 10"),
            ((torch.randn(5, 8), 2.0, torch.randn(5, 2, 3, 3)), {}, TypeError, "segment 0 .* must be an int"),
            ((torch.randn(5, 8), True, torch.randn(5, 2, 3, 3)), {}, TypeError, "segment 0"),
            ((torch.randn(5, 8), -1, torch.randn(5, 3, 3, 3)), {}, ValueError, "negative channel count"),
            ((torch.randn(5, 8), 2, torch.randn(5, 2, 3, 2)), {}, ValueError, r"segment 1 \(blocks \[5, 2, 3, 2\]\)"),
            ((torch.randn(5, 18), torch.randn(5, 2, 9, 9)), {}, ValueError, "1 <= b <= 8"),
            ((torch.randn(5, 6), torch.randn(4, 2, 3, 3)), {}, ValueError, "token dim 4; it must be 1 or x's T=5"),
            ((torch.randn(5, 6), torch.randn(5, 2, 3, 3, dtype=torch.float64)), {}, ValueError, "must match x"),
            ((torch.randn(2, 5, 6), torch.randn(3, 5, 2, 3, 3)), {}, ValueError, "do not broadcast"),
            ((torch.randn(5, 6),), {}, ValueError, "at least one segment"),
            ((torch.randn(5, 6), 6), {"transpose": (True, False)}, TypeError, "sequence of 1 bools"),
            ((torch.ones(5, 6, dtype=torch.int64), 6), {}, ValueError, "floating-point x"),
        ],
    )
    def test_bad_inputs(self, args, kwargs, error, message):
        with pytest.raises(error, match=message):
            apply_representation(*args, **kwargs)


# --- representation_attention reference (no Triton) ------------------------------------------------


class TestRepresentationAttentionReference:
    @pytest.fixture(autouse=True)
    def _auto_dispatch(self, clean_env):
        """A ZOO_OPS_IMPL in the caller's shell must not change which path these tests take."""

    @staticmethod
    def _frames(g, T, *lead):
        """Per-token orthogonal 4x4, 3x3 and 2x2 frames: GTA's [triv 2 | se3 8 | so3-like 3 | so2 4] for D = 17."""
        return tuple(torch.linalg.qr(torch.randn(*lead, T, K, b, b, generator=g, dtype=torch.float64))[0]
                     for K, b in ((2, 4), (1, 3), (2, 2)))

    def test_identity_segments_give_plain_softmax_attention(self):
        g = torch.Generator().manual_seed(0)
        q, k, v = (torch.randn(2, 3, T, 8, generator=g, dtype=torch.float64) for T in (5, 7, 7))
        want = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=0.3)
        torch.testing.assert_close(representation_attention(q, k, v, 8, 8, scale=0.3), want)

    def test_relabelling_the_world_frame_changes_nothing(self):
        """Frames g -> g h for every query and key token: GTA's output only depends on relative frames."""
        g = torch.Generator().manual_seed(1)
        q, k, v = (torch.randn(2, 3, T, 17, generator=g, dtype=torch.float64) for T in (5, 7, 7))
        fq, fk = self._frames(g, 5, 2, 1), self._frames(g, 7, 2, 1)
        h = self._frames(g, 1)
        moved_q, moved_k = (tuple(f @ hh for f, hh in zip(frames, h)) for frames in (fq, fk))
        flags = (False, True, True, True) * 2           # q' = F^T q, k' = F^T k, o = F o'
        out = representation_attention(q, k, v, 2, *fq, 2, *fk, transpose=flags)
        torch.testing.assert_close(representation_attention(q, k, v, 2, *moved_q, 2, *moved_k, transpose=flags), out)
        absolute = representation_attention(q, k, v, 2, *moved_q, 2, *fk, transpose=flags)   # only the queries moved
        assert (absolute - out).abs().max() > 1e-3

    def test_the_kernel_takes_no_calls_that_need_gradients(self):
        from zoo_core.ops.representation_attention import OP

        args, kwargs = OP.example()
        assert OP.triton_unsupported(*args, **kwargs) is None
        q = args[0].clone().requires_grad_()
        assert "forward only" in OP.triton_unsupported(q, *args[1:], **kwargs)
        with torch.no_grad():
            assert OP.triton_unsupported(q, *args[1:], **kwargs) is None

    @pytest.mark.parametrize(
        ("segments", "kwargs", "error", "message"),
        [
            ((6,), {}, ValueError, "two equal halves"),
            ((6, 2, torch.randn(5, 1, 4, 4)), {}, ValueError, "two equal halves"),
            ((2, torch.randn(5, 1, 4, 4), 2, torch.randn(7, 2, 2, 2)), {}, ValueError,
             r"query segment 1 is \('blocks', 1, 4\) but key segment 1 is \('blocks', 2, 2\)"),
            ((2, torch.randn(5, 1, 3, 3), 2, torch.randn(7, 1, 3, 3)), {}, ValueError,
             "query segments: apply_representation: the segments cover 2 \\+ 3 = 5 channels"),
            ((6, 6), {"transpose": (True,)}, TypeError, "sequence of 2 bools"),
            ((2, torch.randn(3, 5, 1, 4, 4), 2, torch.randn(7, 1, 4, 4)), {}, ValueError,
             "must broadcast to the query tensor's"),
            ((6, 6), {"scale": "big"}, TypeError, "scale must be a number"),
        ],
    )
    def test_bad_inputs(self, segments, kwargs, error, message):
        with pytest.raises(error, match=message):
            representation_attention(torch.randn(5, 6), torch.randn(7, 6), torch.randn(7, 6), *segments, **kwargs)

    def test_needs_keys(self):
        with pytest.raises(ValueError, match="at least one key token"):
            representation_attention(torch.randn(5, 6), torch.randn(0, 6), torch.randn(0, 6), 6, 6)


# --- the checker itself (pure PyTorch "kernels": no Triton needed) -----------------------------


def _halve(x):
    return x / 2


def _double_wrong_k_grad(x, *, k=2.0):
    half = 0.5 * x.detach() * k
    return x * k.detach() + half - half.detach()   # the forward is right; dk is half what it should be


def _count_into(x, counter):
    counter.add_(1.0)          # an in-place side effect, like running statistics
    return x * 2


def _count_into_twice(x, counter):
    counter.add_(2.0)
    return x * 2


def _maybe_scale(x, z):
    return x * 3, (None if z is None else z * x)


def _halve_skip_last(x):
    y = x / 2
    return torch.cat([y[:-1], torch.zeros_like(y[-1:])]) if y.numel() else y


class TestCheckOp:
    def test_passes_and_reports_what_ran(self):
        op = Op("halve", reference=_halve, triton=f"{__name__}:_halve")
        passed = check_op(op, [(torch.randn(7),), (torch.randn(0),)])
        assert any("case 1" in p and "strided" in p for p in passed)
        assert any(p.startswith("gradcheck float64 triton") for p in passed)

    def test_fails_with_located_mismatch(self):
        op = Op("halve", reference=_halve, triton=f"{__name__}:_halve_skip_last")
        with pytest.raises(OpCheckError, match=r"case 0 .* forward: 1/7 elements off, worst at \(6,\)"):
            check_op(op, [(torch.randn(7),)], gradcheck=())

    def test_bad_arguments(self):
        op = Op("halve", reference=_halve, triton=f"{__name__}:_halve")
        with pytest.raises(ValueError, match="no tolerance for torch.int8"):
            check_op(op, [(torch.randn(3),)], dtypes=(torch.int8,))
        with pytest.raises(ValueError, match="gradcheck needs a case"):
            check_op(op, [(torch.randn(300),)], gradcheck=("reference",))
        with pytest.raises(ValueError, match="'reference' or 'triton'"):
            check_op(op, [(torch.randn(3),)], gradcheck=("cuda",))

    def test_keyword_tensors_get_gradients(self):
        op = Op("double", reference=_double, triton=f"{__name__}:_double_wrong_k_grad")
        with pytest.raises(OpCheckError, match=r"case 0 \(torch.float32\[5\], k=torch.float32\[1\]\).*grad of k") as err:
            check_op(op, [case(torch.randn(5), k=torch.tensor([1.5]))], gradcheck=())
        assert "grad of input 0" not in str(err.value) and "forward" not in str(err.value)
        passed = check_op(Op("double", reference=_double, triton=f"{__name__}:_double"),
                          [case(torch.randn(5), k=torch.tensor([1.5]))])
        assert any("gradcheck float64 triton (torch.float32[5], k=torch.float32[1])" in p for p in passed)

    def test_constants_get_no_gradient_and_are_compared_after_the_call(self):
        ok = Op("count", reference=_count_into, triton=f"{__name__}:_count_into")
        passed = check_op(ok, [(torch.randn(4), constant(torch.zeros(4)))])
        assert len(passed) == 2 + 2    # contiguous, strided; gradcheck of both impls over x alone
        bad = Op("count", reference=_count_into, triton=f"{__name__}:_count_into_twice")
        with pytest.raises(OpCheckError, match="input 1 after the call: 4/4 elements off"):
            check_op(bad, [(torch.randn(4), constant(torch.zeros(4)))], gradcheck=())

    def test_none_outputs_and_arguments(self):
        op = Op("maybe", reference=_maybe_scale, triton=f"{__name__}:_maybe_scale")
        passed = check_op(op, [(torch.randn(3), None), (torch.randn(3), torch.randn(3))])
        assert any("case 0 (torch.float32[3], None)" in p for p in passed)

    def test_low_precision_falls_back_to_float64_truth(self):
        truth = torch.tensor([0.2031, 1.0], dtype=torch.float64)
        reference = torch.tensor([0.2266, 1.0])                      # off by its own rounding
        assert _mismatch("g", truth.float(), reference, truth, 1e-2, 1.6e-2) is None
        assert "1/2 elements off" in _mismatch("g", torch.tensor([0.5, 1.0]), reference, truth, 1e-2, 1.6e-2)
        assert "1/2 elements off" in _mismatch("g", truth.float(), reference, None, 1e-2, 1.6e-2)


# --- kernels vs references under the Triton interpreter (one subprocess) -----------------------

TARGETS = [
    "check_environment",
    "check_scaled_add",
    "check_off_by_one",
    "check_wrong_backward",
    "check_ignores_strides",
    "check_rotate_blocks_b2",
    "check_rotate_blocks_b3",
    "check_rotate_blocks_other_b",
    "check_rotate_blocks_partial_grads",
    "check_rotate_blocks_transpose",
    "check_representation",
    "check_representation_float64_float16",
    "check_representation_shared_and_partial_grads",
    "check_representation_attention",
]


@pytest.fixture(scope="module")
def interpreted():
    results = run_interpreted(*[f"ops_toy.checks:{t}" for t in TARGETS], pythonpath=[str(HERE)], check=False)
    return {target.split(":")[1]: result for target, result in results.items()}


class TestInterpreted:
    def test_child_runs_under_interpreter(self, interpreted):
        assert interpreted["check_environment"].detail.splitlines() == ["TRITON_INTERPRET=1", "kernels_loaded=False"]

    def test_toy_kernel_passes(self, interpreted):
        result = interpreted["check_scaled_add"]
        assert result.ok, result.detail
        for must in ("case 4 (torch.float32[0]", "bfloat16 strided", "gradcheck float64 triton"):
            assert must in result.detail

    def test_off_by_one_kernel_fails_forward(self, interpreted):
        result = interpreted["check_off_by_one"]
        assert not result.ok
        assert "OpCheckError" in result.detail
        assert "forward: 1/7 elements off, worst at (6,)" in result.detail
        assert "forward: 1/130 elements off, worst at (129,)" in result.detail

    def test_wrong_backward_fails_gradients_only(self, interpreted):
        result = interpreted["check_wrong_backward"]
        assert not result.ok
        assert "grad of input 1" in result.detail and "gradcheck float64 triton" in result.detail
        assert "forward:" not in result.detail and "grad of input 0" not in result.detail

    def test_stride_bug_fails_strided_inputs_only(self, interpreted):
        result = interpreted["check_ignores_strides"]
        assert not result.ok
        assert "strided: forward" in result.detail and "contiguous: forward" not in result.detail

    @pytest.mark.parametrize("target", ["check_rotate_blocks_b2", "check_rotate_blocks_b3"])
    def test_rotate_blocks_kernels_match_reference(self, interpreted, target):
        result = interpreted[target]
        assert result.ok, result.detail
        lines = result.detail.splitlines()
        # every case x dtype x layout compared forward + grads; empties included; gradcheck ran on the kernel
        assert sum(line.endswith("forward + grads match") for line in lines) == 7 * 2 * 2
        assert any("[0, 2, " in line for line in lines) and any("[0, 3, " in line for line in lines)
        assert any(line.startswith("gradcheck float64 triton") for line in lines)

    def test_rotate_blocks_transpose_kernels_match_reference(self, interpreted):
        result = interpreted["check_rotate_blocks_transpose"]
        assert result.ok, result.detail
        lines = result.detail.splitlines()
        assert sum(line.endswith("forward + grads match") for line in lines) == 9 * 4   # 9 cases x 4 dtypes
        assert any(line.startswith("gradcheck float64 triton") for line in lines)

    def test_representation_kernels_match_reference(self, interpreted):
        result = interpreted["check_representation"]
        assert result.ok, result.detail
        lines = result.detail.splitlines()
        assert sum(line.endswith("forward + grads match") for line in lines) == 6 * 2 * 2   # cases x dtypes x layouts
        assert sum(line.startswith("gradcheck float64 triton") for line in lines) == 2

    @pytest.mark.parametrize("target", ["check_representation_float64_float16",
                                        "check_representation_shared_and_partial_grads"])
    def test_representation_other_dtypes_shared_tensors_partial_grads(self, interpreted, target):
        assert interpreted[target].ok, interpreted[target].detail

    def test_fused_representation_attention_matches_reference(self, interpreted):
        result = interpreted["check_representation_attention"]
        assert result.ok, result.detail
        assert sum(line.endswith("contiguous: forward match") for line in result.detail.splitlines()) == 2 * 3

    @pytest.mark.parametrize("target", ["check_rotate_blocks_other_b", "check_rotate_blocks_partial_grads"])
    def test_rotate_blocks_other_block_sizes_and_partial_grads(self, interpreted, target):
        assert interpreted[target].ok, interpreted[target].detail


def test_run_interpreted_raises_on_failure():
    with pytest.raises(OpCheckError, match="ops_toy.checks:no_such_check failed under TRITON_INTERPRET=1"):
        run_interpreted("ops_toy.checks:no_such_check", pythonpath=[str(HERE)])
    with pytest.raises(ValueError, match="'module:function'"):
        run_interpreted("ops_toy.checks")


# --- bench -------------------------------------------------------------------------------------


def _raises(*args):
    raise RuntimeError("boom")


class TestBench:
    def test_rows_and_table(self):
        cases = {"tiny": lambda: (torch.randn(3, 4), torch.randn(3, 2, 2, 2))}
        rows = bench_op(ROTATE_OP, cases, device="cpu", compile=False, warmup=1, runs=3)
        assert [(r.provider, r.mode) for r in rows] == [("reference", "forward"), ("reference", "forward+backward")]
        assert all(r.ratio == 1.0 and 0 < r.min_ms <= r.median_ms for r in rows)
        table = format_table(rows)
        assert "| tiny | forward | cpu | reference |" in table and "1.00x" in table

    def test_baselines_are_timed_beside_the_reference(self):
        cases = {"tiny": lambda: (torch.randn(3, 4), torch.randn(3, 2, 2, 2))}
        slow = lambda x, R: [rotate_blocks_reference(x, R) for _ in range(20)][0]   # noqa: E731
        rows = bench_op(ROTATE_OP, cases, device="cpu", compile=False, backward=False, warmup=1, runs=5,
                        baselines={"twenty times": slow})
        assert [r.provider for r in rows] == ["reference", "twenty times"]
        assert rows[1].ratio < 1 and "| tiny | forward | cpu | twenty times |" in format_table(rows)

    def test_failing_provider_is_reported_not_raised(self):
        op = Op("broken", reference=_raises, triton=f"{__name__}:_raises")
        rows = bench_op(op, {"tiny": lambda: (torch.randn(1),)}, device="cpu", compile=False, backward=False, runs=1)
        assert rows[0].median_ms is None and "RuntimeError: boom" in rows[0].error
        assert "failed: RuntimeError: boom" in format_table(rows)


# --- every op's dispatch rules (core and installed plugins) -------------------------------------


def _declared_ops() -> dict[str, Op]:
    """The ``OP`` of every op folder in ``zoo_core.ops`` and in each installed plugin's ``ops`` package."""
    tops = {"zoo_core"} | {ep.value.split(":")[0].split(".")[0] for ep in metadata.entry_points(group="zoo.plugins")}
    found: dict[str, Op] = {}
    for top in sorted(tops):
        if importlib.util.find_spec(top) is None or importlib.util.find_spec(f"{top}.ops") is None:
            continue
        package = importlib.import_module(f"{top}.ops")
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            if info.ispkg:
                op = getattr(importlib.import_module(info.name), "OP", None)
                assert isinstance(op, Op), f"op folder {info.name} declares no OP = Op(...)"
                found[op.name] = op
    return found


DECLARED_OPS = _declared_ops()


def test_ops_are_found_in_core_and_plugins():
    assert {"rotate_blocks", "apply_representation", "representation_attention"} <= set(DECLARED_OPS)
    plugin_tops = {ep.value.split(".")[0] for ep in metadata.entry_points(group="zoo.plugins")}
    for top, op in {"zoo_akorn": "kuramoto_step", "zoo_msp": "lstsq_transition", "zoo_sngan": "conditional_batch_norm"}.items():
        if top in plugin_tops:
            assert op in DECLARED_OPS, f"{top} is installed but its op {op} was not found"


@pytest.mark.parametrize("name", sorted(DECLARED_OPS))
def test_dispatch_rules_hold_for_every_op(name):
    """The core's rules (check_dispatch) on each op's example: positional-only (rotate_blocks), keyword
    settings and two outputs (kuramoto_step), an optional tensor and kernel limits (lstsq_transition),
    optional running statistics and shapes the kernel refuses (conditional_batch_norm)."""
    assert len(check_dispatch(DECLARED_OPS[name])) == 12


class TestCheckDispatch:
    def test_reports_a_kernel_never_chosen(self):
        op = Op("double", reference=_double, triton=f"{__name__}:_double", triton_unsupported=lambda x, **k: "never",
                example=lambda: ((torch.ones(2),), {}))
        with pytest.raises(OpCheckError, match=r"CUDA tensors run the kernel: chose 'reference' \(triton_unsupported: never\)"):
            check_dispatch(op)

    def test_reports_a_cpu_path_that_is_not_the_reference(self):
        op = Op("double", reference=_double, triton=f"{__name__}:_double",
                example=lambda: ((torch.ones(2),), {}), validate=lambda x, **k: x.mul_(2))
        with pytest.raises(OpCheckError, match="CPU tensors run the reference: the result differs"):
            check_dispatch(op)

    def test_needs_an_example(self):
        with pytest.raises(ValueError, match="declares no example="):
            check_dispatch(Op("double", reference=_double, triton=f"{__name__}:_double"))

    def test_restores_the_environment(self, clean_env):
        clean_env.setenv(ENV_VAR, "reference")
        real = dispatch._import_triton
        check_dispatch(ROTATE_OP)
        assert os.environ[ENV_VAR] == "reference" and "TRITON_INTERPRET" not in os.environ
        assert dispatch._import_triton is real


# --- the op scaffold ----------------------------------------------------------------------------


class TestScaffold:
    def test_renders_the_op_folder_test_and_benchmark(self):
        files = render_op("fused_gate", package="zoo_demo")
        assert sorted(files) == [
            "benchmarks/ops_fused_gate.py", "tests/test_ops_fused_gate.py",
            *(f"zoo_demo/ops/fused_gate/{f}.py" for f in ("__init__", "checks", "function", "kernels", "reference")),
        ]
        assert "class FusedGateFunction(torch.autograd.Function)" in files["zoo_demo/ops/fused_gate/function.py"]
        assert 'triton="zoo_demo.ops.fused_gate.function:fused_gate_triton"' in files["zoo_demo/ops/fused_gate/__init__.py"]
        assert all("${" not in text for text in files.values())
        for rel, text in files.items():
            compile(text, rel, "exec")

    @pytest.mark.parametrize(("name", "package"), [("FusedGate", "zoo_demo"), ("2x", "zoo_demo"), ("class", "zoo_demo"),
                                                    ("gate", "zoo-demo"), ("gate", "zoo_demo.")])
    def test_bad_names(self, name, package):
        with pytest.raises(OpScaffoldError, match="must be"):
            render_op(name, package=package)

    def test_write_refuses_to_overwrite(self, tmp_path):
        (tmp_path / "tests").mkdir()
        (tmp_path / "tests" / "test_ops_gate.py").write_text("# mine")
        with pytest.raises(OpScaffoldError, match="would overwrite .*test_ops_gate.py"):
            write_op(tmp_path, "gate", package="zoo_demo")
        assert (tmp_path / "tests" / "test_ops_gate.py").read_text() == "# mine"
        assert not (tmp_path / "zoo_demo").exists()

    def test_rendered_op_passes_its_own_tests_and_benchmark(self, tmp_path):
        """The rendered tests (interpreter run via run_interpreted, dispatch rules, reference, errors),
        its docstring example and its benchmark all run in a fresh process."""
        write_op(tmp_path, "fused_gate", package="zoo_demo")
        for init in ("zoo_demo/__init__.py", "zoo_demo/ops/__init__.py"):
            (tmp_path / init).write_text("")
        env = {k: v for k, v in os.environ.items() if k not in (ENV_VAR, "TRITON_INTERPRET")}
        env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), *(p for p in sys.path if p)])

        def run(*args):
            proc = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
            return proc.stdout

        assert "4 passed" in run("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_ops_fused_gate.py")
        run("-m", "doctest", "zoo_demo/ops/fused_gate/__init__.py")
        table = run("benchmarks/ops_fused_gate.py", "--runs", "1", "--warmup", "0", "--no-compile", "--device", "cpu")
        assert "| x[64,4096] | forward+backward | cpu | reference |" in table

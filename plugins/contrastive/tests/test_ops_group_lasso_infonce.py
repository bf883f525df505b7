"""``group_lasso_infonce``: the reference against its definition and against properties that hold
exactly, the core's dispatch rules, bad inputs, and the Triton kernels vs the reference under
TRITON_INTERPRET=1 (in a subprocess: ``zoo_core.ops.testing.run_interpreted``)."""

import pytest
import torch
import torch.nn.functional as F

from zoo_core.ops import OpDispatchError, dispatch
from zoo_core.ops.testing import check_dispatch, run_interpreted

from zoo_contrastive.ops.group_lasso_infonce import MAX_BLOCK_DIM, OP, group_lasso_distances, group_lasso_infonce
from zoo_contrastive.ops.group_lasso_infonce.checks import SIZES

CHECK = "zoo_contrastive.ops.group_lasso_infonce.checks:check_group_lasso_infonce"


def test_kernel_matches_reference_under_interpreter():
    lines = run_interpreted(CHECK, timeout=900)[CHECK].detail.splitlines()
    assert sum(line.endswith("forward + grads match") for line in lines) == len(SIZES) * 2 * 2   # cases x dtypes x layouts
    assert any(line.startswith("gradcheck float64 reference") for line in lines)


def test_reference_is_the_stated_formula():
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(6, 6, generator=g, dtype=torch.float64), torch.randn(6, 6, generator=g, dtype=torch.float64)
    D = torch.tensor([[sum(float((z1[i, 2 * b:2 * b + 2] - z2[j, 2 * b:2 * b + 2]).norm()) for b in range(3))
                       for j in range(6)] for i in range(6)], dtype=torch.float64)
    torch.testing.assert_close(group_lasso_distances(z1, z2, 3), D)
    lse_rows, lse_cols = torch.logsumexp(-D / 0.5, 1), torch.logsumexp(-D / 0.5, 0)
    want = 0.5 * ((D.diag() / 0.5 + lse_rows).mean() + (D.diag() / 0.5 + lse_cols).mean())
    torch.testing.assert_close(group_lasso_infonce(z1, z2, n_blocks=3, temperature=0.5), want)


def test_one_block_is_euclidean_and_d_blocks_is_l1():
    z1, z2 = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, 4, dtype=torch.float64)
    torch.testing.assert_close(group_lasso_distances(z1, z2, 1), torch.cdist(z1, z2))
    torch.testing.assert_close(group_lasso_distances(z1, z2, 4), torch.cdist(z1, z2, p=1))


def test_invariant_to_block_rotations_and_permutations_not_to_mixing_rotations():
    """The group-lasso distance is unchanged by an orthogonal map within each block and by a
    permutation of blocks (the ambiguity the paper allows: mixing within components), but not by
    a rotation that mixes blocks (which cosine and squared Euclidean do not see)."""
    g = torch.Generator().manual_seed(2)
    z1, z2 = torch.randn(7, 6, generator=g, dtype=torch.float64), torch.randn(7, 6, generator=g, dtype=torch.float64)
    Q = torch.block_diag(*[torch.linalg.qr(torch.randn(2, 2, generator=g, dtype=torch.float64))[0] for _ in range(3)])
    P = torch.eye(6, dtype=torch.float64)[[4, 5, 0, 1, 2, 3]]
    base = group_lasso_infonce(z1, z2, n_blocks=3)
    torch.testing.assert_close(group_lasso_infonce(z1 @ Q @ P, z2 @ Q @ P, n_blocks=3), base)
    R = torch.linalg.qr(torch.randn(6, 6, generator=g, dtype=torch.float64))[0]
    assert abs(float(group_lasso_infonce(z1 @ R, z2 @ R, n_blocks=3) - base)) > 1e-3
    torch.testing.assert_close(torch.cdist(z1 @ R, z2 @ R), torch.cdist(z1, z2))


def test_loss_limits():
    """Identical views far apart from each other: loss -> 0; all embeddings equal: loss = log B."""
    z = 10 * torch.eye(6, dtype=torch.float64)
    assert float(group_lasso_infonce(z, z, n_blocks=2, temperature=0.1)) < 1e-10
    same = torch.ones(9, 4, dtype=torch.float64)
    torch.testing.assert_close(group_lasso_infonce(same, same, n_blocks=2), torch.tensor(9.0, dtype=torch.float64).log())


def test_gradient_at_zero_difference_is_finite():
    z = torch.randn(4, 4, dtype=torch.float64, requires_grad=True)
    (gz,) = torch.autograd.grad(group_lasso_infonce(z, z.detach().clone(), n_blocks=2), (z,))
    assert torch.isfinite(gz).all()


def test_dispatch_rules():
    check_dispatch(OP)


def test_kernel_limits(monkeypatch):
    monkeypatch.setattr(dispatch, "_import_triton", lambda: None)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    x64 = torch.randn(3, 4, dtype=torch.float64)
    with pytest.raises(OpDispatchError, match="not torch.float64"):
        group_lasso_infonce(x64, x64, n_blocks=2, impl="triton")
    wide = torch.randn(2, 2 * MAX_BLOCK_DIM + 2)
    with pytest.raises(OpDispatchError, match=f"at most {MAX_BLOCK_DIM} coordinates"):
        group_lasso_infonce(wide, wide, n_blocks=2, impl="triton")


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((torch.randn(3, 4), torch.randn(3, 5)), {"n_blocks": 2}, ValueError, "equal shapes"),
    ((torch.randn(3, 4), torch.randn(3, 4)), {"n_blocks": 3}, ValueError, "dividing the embedding size 4"),
    ((torch.randn(0, 4), torch.randn(0, 4)), {"n_blocks": 2}, ValueError, "batch is empty"),
    ((torch.ones(3, 4, dtype=torch.int64),) * 2, {"n_blocks": 2}, TypeError, "floating-point"),
    ((torch.randn(3, 4), torch.randn(3, 4)), {"n_blocks": 2, "temperature": 0.0}, ValueError, "temperature"),
    ((torch.randn(3, 4), torch.randn(3, 4).double()), {"n_blocks": 2}, ValueError, "share dtype"),
])
def test_bad_inputs(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        group_lasso_infonce(*args, **kwargs)

"""geometric_transform_attention: Eq. (5) by dense matrices, invariance to the world frame,
the QK-only and Euclidean variants, plain attention as the trivial case, input errors."""

import pytest
import torch

from zoo_gta.gta import GTAInputError, GTAReps, geometric_transform_attention, gta_reps, scale_translation

DT = torch.float64
CLEVR = {"se3": 32, "so2": 32}
MSN = {"se3": 48, "so3": 24, "so2": 24}
ALL = {"triv": 4, "se3": 16, "so3": 16, "so2": 8, "t2": 6}          # C = 50


def random_rigid(shape, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    n = int(torch.tensor(shape).prod())
    Q, Rr = torch.linalg.qr(torch.randn(n, 3, 3, generator=gen, dtype=DT))
    Q = Q * torch.sign(torch.diagonal(Rr, dim1=-2, dim2=-1))[:, None, :]
    Q[torch.linalg.det(Q) < 0, :, 0] *= -1
    E = torch.eye(4, dtype=DT).repeat(n, 1, 1)
    E[:, :3, :3], E[:, :3, 3] = Q, 2 * torch.randn(n, 3, generator=gen, dtype=DT)
    return E.reshape(*shape, 4, 4)


def setup(f_dims, B=2, H=3, V=3, Tv=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    C = sum(f_dims.values())
    q, k, v = torch.randn(3, B, H, V * Tv, C, generator=gen, dtype=DT).unbind(0)
    E = random_rigid((B, V), seed + 1)
    coords = torch.rand(B, V * Tv, 2, generator=gen, dtype=DT)
    return q, k, v, E, coords


def dense_rho(reps: GTAReps, f_dims, T: int, trans_coeff) -> torch.Tensor:
    """[B, T, C, C]: each token's full block-diagonal rho, built block by block."""
    B = next(t for t in (reps.se3, reps.so3, reps.so2, reps.t2) if t is not None).shape[0]
    per_token = []
    for b in range(B):
        for t in range(T):
            blocks = [torch.eye(f_dims.get("triv", 0), dtype=DT)]
            if f_dims.get("se3"):
                E = scale_translation(reps.se3, trans_coeff)
                E = E[b, t // (T // E.shape[1])]
                blocks += [E] * (f_dims["se3"] // 4)
            if f_dims.get("so3"):
                blocks += [reps.so3[b, t // (T // reps.so3.shape[1])]] * (f_dims["so3"] // 8)
            if f_dims.get("so2"):
                blocks += list(reps.so2[b, t])
            if f_dims.get("t2"):
                blocks += [reps.t2[b, t]] * (f_dims["t2"] // 3)
            per_token.append(torch.block_diag(*blocks))
    return torch.stack(per_token).reshape(B, T, *per_token[0].shape)


def eq5_reference(q, k, v, rho_q, rho_k, v_transform=True):
    """Eq. (5): O_i = sum_j softmax_j(q_i^T rho_i rho_j^-1 k_j) rho_i rho_j^-1 v_j, pair by pair."""
    rel = rho_q[:, :, None] @ torch.linalg.inv(rho_k)[:, None]              # [B, Tq, Tk, C, C]
    rel_k = torch.einsum("bijcd,bhjd->bhijc", rel, k)
    logits = torch.einsum("bhic,bhijc->bhij", q, rel_k) * q.shape[-1] ** -0.5
    attn = logits.softmax(-1)
    if not v_transform:
        return attn @ v
    return torch.einsum("bhij,bhijc->bhic", attn, torch.einsum("bijcd,bhjd->bhijc", rel, v))


@pytest.mark.parametrize("f_dims", [CLEVR, MSN, ALL], ids=["clevrtr", "msn", "all-kinds"])
@pytest.mark.parametrize("v_transform", [True, False])
def test_matches_eq5_with_dense_relative_matrices(f_dims, v_transform):
    q, k, v, E, coords = setup(f_dims)
    reps = gta_reps(f_dims, extrinsics=E, coords=coords)
    c = torch.tensor([0.3], dtype=DT)
    out = geometric_transform_attention(q, k, v, reps, reps, f_dims, trans_coeff=c, v_transform=v_transform)
    rho = dense_rho(reps, f_dims, q.shape[2], c)
    assert torch.allclose(out, eq5_reference(q, k, v, rho, rho, v_transform), atol=1e-10)


def test_cross_attention_matches_eq5():
    f_dims = MSN
    q, _, _, Eq, cq = setup(f_dims, V=2, Tv=4, seed=3)
    _, k, v, Ek, ck = setup(f_dims, V=3, Tv=5, seed=4)
    rq, rk = gta_reps(f_dims, extrinsics=Eq, coords=cq), gta_reps(f_dims, extrinsics=Ek, coords=ck)
    out = geometric_transform_attention(q, k, v, rq, rk, f_dims, trans_coeff=0.5)
    ref = eq5_reference(q, k, v, dense_rho(rq, f_dims, 8, 0.5), dense_rho(rk, f_dims, 15, 0.5))
    assert torch.allclose(out, ref, atol=1e-10)


def relabel_world(E: torch.Tensor, seed: int) -> torch.Tensor:
    """Right-multiply every world->camera extrinsic by the same rigid G (a new world frame)."""
    return E @ random_rigid((1, 1), seed)


@pytest.mark.parametrize("f_dims,euclid", [(CLEVR, False), (MSN, False), (ALL, False),
                                           ({"triv": 2, "se3": 30, "so2": 32}, True)],
                         ids=["clevrtr", "msn", "all-kinds", "euclid"])
def test_world_relabelling_leaves_gta_unchanged(f_dims, euclid):
    """The issue's 'Must show': a global rigid motion of all cameras does not change GTA."""
    q, k, v, E, coords = setup(f_dims)
    Eg = relabel_world(E, seed=11)
    assert (Eg - E).abs().max() > 0.5                                       # the cameras really moved
    run = lambda E_: geometric_transform_attention(  # noqa: E731
        q, k, v, gta_reps(f_dims, extrinsics=E_, coords=coords), gta_reps(f_dims, extrinsics=E_, coords=coords),
        f_dims, trans_coeff=torch.tensor([0.7], dtype=DT), euclid_sim=euclid)
    out = run(E)
    assert torch.allclose(run(Eg), out, atol=1e-9)
    # ...while moving one camera relative to the others does change it (the geometry is used)
    E_moved = E.clone()
    E_moved[:, 1] = E[:, 1] @ random_rigid((1,), 12)[0]
    assert (run(E_moved) - out).abs().max() > 1e-2


def test_world_relabelling_changes_an_absolute_pose_embedding_baseline():
    """Same attention, but the raw camera pose (flattened extrinsic) added to the tokens through a
    linear map (an absolute embedding, like the official 'ape'): relabelling the world changes it."""
    f_dims = CLEVR
    q, k, v, E, coords = setup(f_dims)
    B, H, T, C = q.shape
    gen = torch.Generator().manual_seed(13)
    W = torch.randn(16, C, generator=gen, dtype=DT) * 0.5
    triv = {"triv": C}

    def absolute(E_):
        emb = (E_.flatten(-2) @ W).repeat_interleave(T // E_.shape[1], 1)[:, None]   # [B, 1, T, C]
        reps = gta_reps({})
        return geometric_transform_attention(q + emb, k + emb, v + emb, reps, reps, triv)

    change = (absolute(relabel_world(E, seed=11)) - absolute(E)).abs().max()
    assert change > 0.1


def test_v_transform_false_is_qk_only():
    f_dims = MSN
    q, k, v, E, coords = setup(f_dims)
    reps = gta_reps(f_dims, extrinsics=E, coords=coords)
    out = geometric_transform_attention(q, k, v, reps, reps, f_dims, v_transform=False)
    # values come out untransformed: the result is a convex combination of the raw v rows
    rho = dense_rho(reps, f_dims, q.shape[2], 1.0)
    qt = torch.einsum("btdc,bhtd->bhtc", rho, q)                              # rho^T q
    kt = torch.einsum("btcd,bhtd->bhtc", torch.linalg.inv(rho), k)            # rho^-1 k
    attn = (qt @ kt.mT * q.shape[-1] ** -0.5).softmax(-1)
    assert torch.allclose(out, attn @ v, atol=1e-10)


def test_euclid_sim_is_minus_half_squared_distance():
    f_dims = {"triv": 4, "se3": 12, "so2": 8}
    q, k, v, E, coords = setup(f_dims)
    reps = gta_reps(f_dims, extrinsics=E, coords=coords)
    c = 0.4
    out = geometric_transform_attention(q, k, v, reps, reps, f_dims, trans_coeff=c, euclid_sim=True)

    B, H, T, C = q.shape
    Einv = scale_translation(reps.se3_inv, c).repeat_interleave(T // E.shape[1], 1)    # [B, T, 4, 4]
    Eq = scale_translation(reps.se3, c).repeat_interleave(T // E.shape[1], 1)
    so2 = reps.so2                                                                     # rho = R^T

    def homog(x, M):   # x [B,H,T,12] as 3-d points, M [B,T,4,4]: dehomog(M [x;1])
        pts = torch.cat([x.unflatten(-1, (4, 3)), torch.ones(B, H, T, 4, 1, dtype=DT)], -1)
        return torch.einsum("btij,bhtcj->bhtci", M, pts)[..., :3].flatten(-2)

    def rot(x, R):
        return torch.einsum("btpij,bhtpj->bhtpi", R, x.unflatten(-1, (-1, 2))).flatten(-2)

    def fwd(x):
        return torch.cat([x[..., :4], homog(x[..., 4:16], Einv), rot(x[..., 16:], so2.mT)], -1)

    qt, kt, vt = fwd(q), fwd(k), fwd(v)
    logits = -0.5 * torch.cdist(qt, kt).pow(2) * C ** -0.5                             # -1/2 ||q - k||^2
    o = logits.softmax(-1) @ vt
    ref = torch.cat([o[..., :4], homog(o[..., 4:16], Eq), rot(o[..., 16:], so2)], -1)
    assert torch.allclose(out, ref, atol=1e-9)


def test_trivial_only_is_plain_softmax_attention():
    gen = torch.Generator().manual_seed(8)
    q, k, v = torch.randn(3, 2, 4, 9, 16, generator=gen, dtype=DT).unbind(0)
    reps = GTAReps()
    out = geometric_transform_attention(q, k, v, reps, reps, {"triv": 16})
    assert torch.allclose(out, (q @ k.mT / 4).softmax(-1) @ v, atol=1e-12)
    mask = torch.rand(9, 9, generator=gen) > 0.3
    mask[:, 0] = True
    masked = geometric_transform_attention(q, k, v, reps, reps, {"triv": 16}, attn_mask=mask)
    logits = (q @ k.mT / 4).masked_fill(~mask, float("-inf"))
    assert torch.allclose(masked, logits.softmax(-1) @ v, atol=1e-12)


def test_bad_inputs_raise_value_errors_naming_the_sizes():
    q, k, v, E, coords = setup(CLEVR)
    reps = gta_reps(CLEVR, extrinsics=E, coords=coords)
    with pytest.raises(GTAInputError, match=r"sum to 60 but the head dim is C=64"):
        geometric_transform_attention(q, k, v, reps, reps, {"se3": 28, "so2": 32})
    with pytest.raises(ValueError, match=r"unknown keys \['se2'\]"):
        geometric_transform_attention(q, k, v, reps, reps, {"se2": 32, "so2": 32})
    with pytest.raises(ValueError, match=r"f_dims\['se3'\]=30 must be a multiple of 4"):
        geometric_transform_attention(q, k, v, reps, reps, {"triv": 2, "se3": 30, "so2": 32})
    with pytest.raises(ValueError, match=r"reps_q.so2 must be \[B, T=15, P=16, 2, 2\] for f_dims so2=32; got \[2, 15, 8, 2, 2\]"):
        small = gta_reps({"so2": 16}, coords=coords)
        geometric_transform_attention(q, k, v, GTAReps(se3=reps.se3, se3_inv=reps.se3_inv, so2=small.so2), reps, CLEVR)
    with pytest.raises(ValueError, match=r"\[B, V, 4, 4\] with V dividing T=15"):
        bad = gta_reps(CLEVR, extrinsics=random_rigid((2, 4), 0), coords=coords)
        geometric_transform_attention(q, k, v, reps, bad, CLEVR)
    with pytest.raises(ValueError, match=r"k and v must be \[B=2, H=3, Tk, C=64\]"):
        geometric_transform_attention(q, k[..., :32], v, reps, reps, CLEVR)
    with pytest.raises(ValueError, match=r"q must be \[B, H, T, C\]"):
        geometric_transform_attention(q[0], k, v, reps, reps, CLEVR)


def test_kernel_path_equals_the_cpu_path_under_the_interpreter():
    """On CUDA each transform is one zoo_core apply_representation kernel; checked here on the CPU."""
    from pathlib import Path

    from zoo_core.ops.testing import run_interpreted

    result = run_interpreted("gta_kernel_checks:check_kernel_path_equals_cpu_path",
                             pythonpath=[str(Path(__file__).parent)], timeout=900)
    (checked,) = result.values()
    assert checked.ok and checked.detail.count("v_transform=") == 8, checked.detail

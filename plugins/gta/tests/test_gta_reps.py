"""GTA representations: rho(g1 g2) = rho(g1) rho(g2), inverses, orthogonality, the official laws."""

import math

import pytest
import torch

from zoo_gta.gta import gta_reps, image_coords, scale_translation, se3_reps, so2_reps, so3_reps, t2_reps

DT = torch.float64


def random_rigid(n: int, seed: int) -> torch.Tensor:
    """n random world->camera extrinsics [n, 4, 4] (rotation from QR, translation ~ N(0, 2))."""
    gen = torch.Generator().manual_seed(seed)
    Q, Rr = torch.linalg.qr(torch.randn(n, 3, 3, generator=gen, dtype=DT))
    Q = Q * torch.sign(torch.diagonal(Rr, dim1=-2, dim2=-1))[:, None, :]
    Q[torch.linalg.det(Q) < 0, :, 0] *= -1
    E = torch.eye(4, dtype=DT).repeat(n, 1, 1)
    E[:, :3, :3], E[:, :3, 3] = Q, 2 * torch.randn(n, 3, generator=gen, dtype=DT)
    return E


def test_se3_homomorphism_with_trans_coeff():
    E1, E2 = random_rigid(20, 0), random_rigid(20, 1)
    for c in (1.0, 0.01, torch.tensor([0.37], dtype=DT)):
        rho = lambda E: scale_translation(se3_reps(E)[0], c)  # noqa: E731
        assert torch.allclose(rho(E1 @ E2), rho(E1) @ rho(E2), atol=1e-12)          # rho(g1 g2) = rho(g1) rho(g2)
        rho_inv = scale_translation(se3_reps(E1)[1], c)
        assert torch.allclose(rho(E1) @ rho_inv, torch.eye(4, dtype=DT).expand(20, 4, 4), atol=1e-12)
    # trans_coeff scales the translation only; the rotation block stays orthogonal
    scaled = scale_translation(E1, 0.5)
    assert torch.allclose(scaled[:, :3, 3], 0.5 * E1[:, :3, 3]) and torch.equal(scaled[:, :3, :3], E1[:, :3, :3])
    R = scaled[:, :3, :3]
    assert torch.allclose(R @ R.mT, torch.eye(3, dtype=DT).expand(20, 3, 3), atol=1e-12)


def test_scale_translation_passes_gradients_to_trans_coeff():
    c = torch.tensor([0.2], dtype=DT, requires_grad=True)
    scale_translation(random_rigid(3, 2), c).sum().backward()
    assert c.grad is not None and c.grad.abs().item() > 0


def test_so3_homomorphism_and_orthogonality():
    E1, E2 = random_rigid(20, 3), random_rigid(20, 4)
    rho1, rho2 = so3_reps(E1), so3_reps(E2)
    assert rho1.shape == (20, 8, 8)
    assert torch.allclose(so3_reps(E1 @ E2), rho1 @ rho2, atol=1e-10)
    assert torch.allclose(rho1 @ rho1.mT, torch.eye(8, dtype=DT).expand(20, 8, 8), atol=1e-12)
    assert torch.equal(rho1[:, :3, 3:], torch.zeros(20, 3, 5, dtype=DT))           # block-diagonal [3 | 5]
    assert not so3_reps(E1.requires_grad_()).requires_grad                         # detached, as the official


@pytest.mark.parametrize("shared", [False, True])
def test_so2_homomorphism_orthogonality_and_frequency_law(shared):
    gen = torch.Generator().manual_seed(5)
    x1, x2 = torch.rand(2, 10, 2, generator=gen, dtype=DT).unbind(0)
    F = 3
    rho = lambda x: so2_reps(x, F, max_freqs=(0.5, 2.0), shared_freqs=shared)  # noqa: E731
    assert rho(x1).shape == (10, 2 * F, 2, 2)
    assert torch.allclose(rho(x1 + x2), rho(x1) @ rho(x2), atol=1e-12)
    assert torch.allclose(rho(x1) @ rho(x1).mT, torch.eye(2, dtype=DT).expand(10, 2 * F, 2, 2), atol=1e-12)
    # pair k*2 + d turns by -(max_freq_d * 2 pi * coord_d * f_k), f_k = 2^k / 2^F (k = 1..F) or 1
    m = rho(x1)
    for k in range(1, F + 1):
        f = 1.0 if shared else 2.0 ** k / 2.0 ** F
        for d, mf in enumerate((0.5, 2.0)):
            theta = mf * 2 * math.pi * x1[:, d] * f
            block = m[:, (k - 1) * 2 + d]
            assert torch.allclose(block[:, 0, 0], torch.cos(theta)) and torch.allclose(block[:, 0, 1], torch.sin(theta))


def test_t2_homomorphism_and_inverse():
    gen = torch.Generator().manual_seed(6)
    x1, x2 = torch.randn(2, 7, 2, generator=gen, dtype=DT).unbind(0)
    (r1, r1_inv), (r2, _), (r12, _) = t2_reps(x1), t2_reps(x2), t2_reps(x1 + x2)
    assert torch.allclose(r12, r1 @ r2, atol=1e-12)
    assert torch.allclose(r1 @ r1_inv, torch.eye(3, dtype=DT).expand(7, 3, 3), atol=1e-12)
    # the official layout: T(x) = [[1,0,0],[0,1,0],[x0,x1,1]] is rho^-1
    assert torch.equal(r1_inv[:, 2, :2], x1) and torch.equal(r1_inv[:, :2, :2], torch.eye(2, dtype=DT).expand(7, 2, 2))


def test_image_coords_official_grid():
    c = image_coords(4, 6)
    assert c.shape == (4, 6, 2)
    assert torch.allclose(c[2, 3], torch.tensor([2 / 4, 3 / 6]))
    d = image_coords(16, 24, downsample=3)                         # stride 8, offset 4
    assert d.shape == (2, 3, 2) and torch.allclose(d[1, 2], torch.tensor([12 / 16, 20 / 24]))


def test_gta_reps_builds_what_f_dims_needs():
    E = random_rigid(4, 7).float().reshape(2, 2, 4, 4)
    coords = torch.rand(2, 10, 2)
    reps = gta_reps({"se3": 16, "so3": 8, "so2": 8, "t2": 3}, extrinsics=E, coords=coords)
    assert reps.se3.shape == (2, 2, 4, 4) and reps.so3.shape == (2, 2, 8, 8)
    assert reps.so2.shape == (2, 10, 4, 2, 2) and reps.t2.shape == (2, 10, 3, 3)
    assert gta_reps({"so2": 8}, coords=coords).se3 is None
    with pytest.raises(ValueError, match="extrinsics"):
        gta_reps({"se3": 16}, coords=coords)
    with pytest.raises(ValueError, match="4 \\* n_freqs"):
        gta_reps({"so2": 6}, coords=coords)

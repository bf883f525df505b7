"""zoo_core.groups: SO(2) rotations and the general-degree real Wigner-D.

The Wigner-D is checked against properties that pin it down (homomorphism, orthogonality,
transpose = inverse, Y(Rx) = D Y(x)), against zoo-gta's closed forms for degrees 1 and 2, and
against the official constants: ``tests/data/official_wigner_J_0_8.json`` holds the ``J_l``
of se3-transformer-pytorch 0.9.0's ``J_dense.pt`` (degrees 0..8, the ones the NFT SO(3)
configs use), with which the official code builds ``D_l = Z(a) J Z(b) J Z(c)`` from ZYZ angles.
"""

import json
import math
from pathlib import Path

import pytest
import torch

from zoo_core import groups as G

J_OFFICIAL = {int(k): torch.tensor(v, dtype=torch.float64)
              for k, v in json.loads((Path(__file__).parent / "data" / "official_wigner_J_0_8.json").read_text())["J"].items()}
DEGREES = range(0, 9)


def _rotations(n, seed=0):
    return G.random_rotations(n, generator=torch.Generator().manual_seed(seed))


def _official_z(angle, l):
    """The official Z_l(angle): rows for frequencies l..-l, cos on the diagonal, sin on the anti-diagonal."""
    o = 2 * l + 1
    f = torch.arange(l, -l - 1, -1, dtype=torch.float64)
    m = torch.zeros(*angle.shape, o, o, dtype=torch.float64)
    i, r = torch.arange(o), torch.arange(o - 1, -1, -1)
    m[..., i, r] = torch.sin(angle[..., None] * f)
    m[..., i, i] = torch.cos(angle[..., None] * f)
    return m


def _axis(angle, axis):
    c, s = torch.cos(angle), torch.sin(angle)
    R = torch.eye(3, dtype=torch.float64).repeat(*angle.shape, 1, 1)
    i, j = {"z": (0, 1), "y": (2, 0)}[axis]
    R[..., i, i], R[..., i, j], R[..., j, i], R[..., j, j] = c, -s, s, c
    return R


@pytest.mark.parametrize("l", DEGREES)
def test_wigner_J_equals_official_constants(l):
    assert torch.allclose(G.wigner_J(l), J_OFFICIAL[l], atol=1e-12)


@pytest.mark.parametrize("l", [1, 2, 3, 5, 8])
def test_wigner_d_equals_official_zyz_product(l):
    g = torch.Generator().manual_seed(l)
    a, b, c = (torch.rand(6, generator=g, dtype=torch.float64) * s for s in (2 * math.pi, math.pi, 2 * math.pi))
    official = _official_z(a, l) @ J_OFFICIAL[l] @ _official_z(b, l) @ J_OFFICIAL[l] @ _official_z(c, l)
    R = _axis(a, "z") @ _axis(b, "y") @ _axis(c, "z")
    assert torch.allclose(G.wigner_d(R, l), official, atol=1e-12)
    assert torch.allclose(G.z_rotation(a, l), _official_z(a, l), atol=1e-12)


@pytest.mark.parametrize("l", [1, 2])
def test_wigner_d_equals_zoo_gta(l):
    wigner = pytest.importorskip("zoo_gta.wigner")
    R = _rotations(8)
    assert torch.allclose(G.wigner_d(R, l), wigner.wigner_d(R, l), atol=1e-12)


@pytest.mark.parametrize("l", DEGREES)
def test_wigner_d_homomorphism_orthogonal_inverse(l):
    R1, R2 = _rotations(5, 1), _rotations(5, 2)
    D1, D2 = G.wigner_d(R1, l), G.wigner_d(R2, l)
    eye = torch.eye(2 * l + 1, dtype=torch.float64)
    assert torch.allclose(G.wigner_d(R1 @ R2, l), D1 @ D2, atol=1e-11)
    assert torch.allclose(D1 @ D1.mT, eye.expand_as(D1), atol=1e-11)
    assert torch.allclose(G.wigner_d(R1.mT, l), D1.mT, atol=1e-11)
    assert torch.allclose(G.wigner_d(torch.eye(3, dtype=torch.float64), l), eye, atol=1e-12)


@pytest.mark.parametrize("l", [0, 1, 4, 7])
def test_harmonics_rotate_by_wigner_d_and_are_orthonormal(l):
    R = _rotations(3, 3)
    x = torch.nn.functional.normalize(torch.randn(50, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64), dim=-1)
    lhs = G.real_spherical_harmonics(l, torch.einsum("bij,nj->bni", R, x))
    rhs = torch.einsum("bij,nj->bni", G.wigner_d(R, l), G.real_spherical_harmonics(l, x))
    assert torch.allclose(lhs, rhs, atol=1e-11)
    # Monte-Carlo free orthonormality: a quadrature exact for degree <= 2l (Gauss-Legendre in z x uniform phi).
    zq, wq = (torch.tensor(a, dtype=torch.float64) for a in __import__("numpy").polynomial.legendre.leggauss(l + 2))
    phi = torch.arange(2 * l + 3, dtype=torch.float64) * 2 * math.pi / (2 * l + 3)
    zz, pp = torch.meshgrid(zq, phi, indexing="ij")
    rr = torch.sqrt(1 - zz ** 2)
    pts = torch.stack([rr * torch.cos(pp), rr * torch.sin(pp), zz], -1).reshape(-1, 3)
    w = (wq[:, None] * torch.full_like(phi, 2 * math.pi / len(phi))).reshape(-1)
    Y = G.real_spherical_harmonics(l, pts)
    assert torch.allclose((Y * w[:, None]).T @ Y, torch.eye(2 * l + 1, dtype=torch.float64), atol=1e-11)


def test_low_degree_bases_are_the_documented_polynomials():
    x = torch.nn.functional.normalize(torch.tensor([[0.3, -0.5, 0.8]], dtype=torch.float64), dim=-1)[0]
    Y1 = G.real_spherical_harmonics(1, x)
    assert torch.allclose(Y1 / Y1.norm(), torch.stack([x[1], x[2], x[0]]), atol=1e-12)
    X, Yc, Z = x
    quad = torch.stack([X * Yc, Yc * Z, (3 * Z * Z - 1) / (2 * math.sqrt(3)), X * Z, (X * X - Yc * Yc) / 2])
    Y2 = G.real_spherical_harmonics(2, x)
    assert torch.allclose(Y2 / Y2.norm(), quad / quad.norm(), atol=1e-12)


def test_so2_rotation_is_a_homomorphism_in_the_angle():
    t1, t2 = torch.tensor([0.3, 2.0]), torch.tensor([1.1, -0.4])
    for k in (0, 1, 3):
        assert torch.allclose(G.so2_rotation(t1 + t2, k), G.so2_rotation(t1, k) @ G.so2_rotation(t2, k), atol=1e-6)
    assert torch.allclose(G.so2_rotation(torch.tensor(math.pi / 2)), torch.tensor([[0.0, -1.0], [1.0, 0.0]]), atol=1e-7)


def test_quaternion_to_matrix_is_a_rotation_and_matches_the_axis_angle_formula():
    R = G.quaternion_to_matrix(torch.tensor([math.cos(0.35), 0.0, 0.0, math.sin(0.35)], dtype=torch.float64))
    assert torch.allclose(R, _axis(torch.tensor(0.7, dtype=torch.float64), "z"), atol=1e-12)
    Rs = _rotations(10)
    assert torch.allclose(Rs @ Rs.mT, torch.eye(3, dtype=torch.float64).expand(10, 3, 3), atol=1e-12)
    assert torch.allclose(torch.linalg.det(Rs), torch.ones(10, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_bad_degree_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="degree"):
        G.wigner_d(torch.eye(3), bad)


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match=r"\[\.\.\., 3, 3\]"):
        G.wigner_d(torch.eye(4), 2)
    with pytest.raises(ValueError, match="w, x, y, z"):
        G.quaternion_to_matrix(torch.zeros(3))

"""Real Wigner-D (degrees 1, 2): the official basis, homomorphism, orthogonality.

``data/official_wigner_J.json`` holds the official J_1, J_2 (constants taken once from the
official ``J_dense.pt``). With env ``ZOO_GTA_OFFICIAL=<exported official main checkout>`` whose
root has ``J_dense.pt``, the official ``rotmat_to_wigner_d_matrices`` itself is compared too.
"""

import importlib.util
import json
import math
import os
from pathlib import Path

import pytest
import torch

from zoo_gta.wigner import wigner_J, wigner_d

OFFICIAL_J = {int(l): torch.tensor(m, dtype=torch.float64)
              for l, m in json.loads((Path(__file__).parent / "data" / "official_wigner_J.json").read_text())["J"].items()}


def random_rotations(n: int, seed: int = 0) -> torch.Tensor:
    q = torch.randn(n, 4, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    w, x, y, z = (q / q.norm(dim=-1, keepdim=True)).unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1).reshape(n, 3, 3)


def z_rot(angle: torch.Tensor, l: int) -> torch.Tensor:
    """The official real-basis z-rotation: [i, i] = cos(f_i a), [i, 2l-i] = sin(f_i a), f_i = l - i."""
    m = torch.zeros(angle.shape[0], 2 * l + 1, 2 * l + 1, dtype=angle.dtype)
    for i in range(2 * l + 1):
        f = l - i
        m[:, i, 2 * l - i] = torch.sin(f * angle)
        m[:, i, i] = torch.cos(f * angle)
    return m


def rot(axis: str, a: torch.Tensor) -> torch.Tensor:
    c, s, o, z = torch.cos(a), torch.sin(a), torch.ones_like(a), torch.zeros_like(a)
    rows = {"z": [[c, -s, z], [s, c, z], [z, z, o]], "y": [[c, z, s], [z, o, z], [-s, z, c]]}[axis]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


@pytest.mark.parametrize("l", [1, 2])
def test_J_equals_the_official_constants(l):
    assert torch.allclose(wigner_J(l), OFFICIAL_J[l], atol=1e-12)


@pytest.mark.parametrize("l", [1, 2])
def test_wigner_d_equals_the_official_zyz_product(l):
    """D_l(Rz(g) Ry(b) Rz(a)) == Z(g) J Z(b) J Z(a) with the official J (the official formula)."""
    gen = torch.Generator().manual_seed(l)
    a, b, g = (torch.rand(64, generator=gen, dtype=torch.float64) * 2 * math.pi for _ in range(3))
    b = b / 2                                                   # beta in [0, pi]
    R = rot("z", g) @ rot("y", b) @ rot("z", a)
    J = OFFICIAL_J[l]
    official = z_rot(g, l) @ J @ z_rot(b, l) @ J @ z_rot(a, l)
    assert torch.allclose(wigner_d(R, l), official, atol=1e-12)


@pytest.mark.parametrize("l", [1, 2])
def test_wigner_d_is_an_orthogonal_homomorphism(l):
    R1, R2 = random_rotations(50, seed=1), random_rotations(50, seed=2)
    D1, D2 = wigner_d(R1, l), wigner_d(R2, l)
    eye = torch.eye(2 * l + 1, dtype=torch.float64)
    assert torch.allclose(wigner_d(R1 @ R2, l), D1 @ D2, atol=1e-12)          # rho(g1 g2) = rho(g1) rho(g2)
    assert torch.allclose(D1 @ D1.mT, eye.expand_as(D1), atol=1e-12)           # orthogonal
    assert torch.allclose(wigner_d(R1.mT, l), D1.mT, atol=1e-12)               # rho(g^-1) = rho(g)^T
    assert torch.allclose(wigner_d(torch.eye(3, dtype=torch.float64), l), eye, atol=1e-15)
    assert torch.allclose(torch.linalg.det(D1), torch.ones(50, dtype=torch.float64), atol=1e-10)


def test_wigner_d_rejects_other_degrees_and_shapes():
    with pytest.raises(ValueError, match="degrees"):
        wigner_d(torch.eye(3), 3)
    with pytest.raises(ValueError, match=r"\[\.\.\., 3, 3\]"):
        wigner_d(torch.eye(4), 1)


OFFICIAL = os.environ.get("ZOO_GTA_OFFICIAL")
if OFFICIAL and (Path(OFFICIAL) / "J_dense.pt").is_file():     # defined only when the official code is given

    def test_official_rotmat_to_wigner_d_matrices(monkeypatch):
        J = torch.load(Path(OFFICIAL) / "J_dense.pt", weights_only=True)
        for l in (1, 2):
            assert torch.equal(J[l].to(torch.float64), OFFICIAL_J[l])
        monkeypatch.chdir(OFFICIAL)                                  # the module loads ./J_dense.pt on import
        spec = importlib.util.spec_from_file_location("official_wigner_d", Path(OFFICIAL) / "source/utils/wigner_d.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        R = random_rotations(100, seed=3)
        R = torch.cat([R, torch.eye(3, dtype=torch.float64)[None]])  # include the degenerate beta = 0
        official = module.rotmat_to_wigner_d_matrices(2, R)
        for l in (1, 2):
            assert torch.allclose(wigner_d(R, l), official[l], atol=1e-10)

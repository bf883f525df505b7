"""Real Wigner-D matrices of degrees 1 and 2 in the basis of the official GTA code.

The official code (``source/utils/wigner_d.py``, after lucidrains' se3-transformer and
lie_learn) builds ``D_l = Z_l(gamma) J_l Z_l(beta) J_l Z_l(alpha)`` from ZYZ Euler angles and
the constant matrices ``J_l`` stored in ``J_dense.pt``. Its real basis is, for l = 1, the
vector components in the order (y, z, x), and for l = 2 the real quadratic harmonics in the
order (xy, yz, 3z^2 - r^2, xz, x^2 - y^2), unit-normalised. In that basis

    D_1(R) = P R P^T                       (P: the permutation (x, y, z) -> (y, z, x))
    D_2(R)[m, n] = <B_m, R B_n R^T>_F      (B_m: orthonormal symmetric traceless 3x3 matrices)

which needs no Euler angles (so no gimbal-lock special cases) and no stored tables.
``tests/test_gta_wigner.py`` proves these equal the official ``Z J Z J Z`` product with the
official ``J_1``, ``J_2`` (committed there as a small asset of constants) and that
``wigner_J(l)`` reproduces those constants.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["DEGREES", "wigner_J", "wigner_d"]

DEGREES = (1, 2)
"""Degrees supported (GTA's SO(3) part uses 1 and 2: 3 + 5 = 8 dims per copy)."""

_PERM_YZX = (1, 2, 0)


def _quadratic_basis(dtype: torch.dtype, device: torch.device) -> Tensor:
    """[5, 3, 3] orthonormal symmetric traceless matrices for xy, yz, 3z^2-r^2, xz, x^2-y^2."""
    B = torch.zeros(5, 3, 3, dtype=dtype, device=device)
    s = 1 / math.sqrt(2)
    for m, (i, j) in ((0, (0, 1)), (1, (1, 2)), (3, (0, 2))):
        B[m, i, j] = B[m, j, i] = s
    B[2] = torch.diag(torch.tensor([-1.0, -1.0, 2.0], dtype=dtype, device=device)) / math.sqrt(6)
    B[4, 0, 0], B[4, 1, 1] = s, -s
    return B


def wigner_d(R: Tensor, degree: int) -> Tensor:
    """Real Wigner-D matrix of ``degree`` (1 or 2) for rotation matrices ``R`` ([..., 3, 3]).

    Returns ``[..., 2l+1, 2l+1]``, a homomorphism ``D(R1 R2) = D(R1) D(R2)`` with
    ``D(R^T) = D(R)^T``, equal to the official ``rotmat_to_wigner_d_matrices(2, R)[degree]``.
    Also defined (and still a homomorphism) for improper orthogonal matrices.
    """
    if degree not in DEGREES:
        raise ValueError(f"wigner_d supports degrees {DEGREES}, got {degree}.")
    if R.shape[-2:] != (3, 3):
        raise ValueError(f"wigner_d expects rotation matrices [..., 3, 3], got {list(R.shape)}.")
    if degree == 1:
        p = list(_PERM_YZX)
        return R[..., p, :][..., :, p]                          # P R P^T
    B = _quadratic_basis(R.dtype, R.device)
    RB = torch.einsum("...ia,nab->...nib", R, B)                # R B_n
    RBRt = torch.einsum("...nib,...jb->...nij", RB, R)          # R B_n R^T
    return torch.einsum("mij,...nij->...mn", B, RBRt)           # <B_m, R B_n R^T>


def wigner_J(degree: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """The official constant ``J_l``: D_l of the axis swap (x, y, z) -> (x, -z, -y).

    With it ``Z_l(gamma) J_l Z_l(beta) J_l Z_l(alpha)`` is ``D_l`` of the ZYZ rotation
    ``Rz(gamma) Ry(beta) Rz(alpha)`` (J conjugates a z-rotation into a y-rotation).
    """
    swap = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, -1.0, 0.0]], dtype=dtype)
    return wigner_d(swap, degree)

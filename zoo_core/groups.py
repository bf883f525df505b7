"""Irreducible representations of SO(2) and SO(3) as torch matrices (imported on first use, never by ``zoo list``).

* ``so2_rotation(theta, freq)``: the 2x2 rotation ``[[cos k t, -sin k t], [sin k t, cos k t]]``.
* ``real_spherical_harmonics(degree, xyz)``: the real spherical harmonics ``Y_{l,m}``, m = -l..l,
  orthonormal on the unit sphere, without the Condon-Shortley sign (so ``Y_{1,*} ~ (y, z, x)``
  and ``Y_{2,*} ~ (xy, yz, 3z^2 - r^2, xz, x^2 - y^2)``, all with positive coefficients).
* ``wigner_d(R, degree)``: the real Wigner-D matrix of any degree in that basis, defined by
  ``Y(R x) = D(R) Y(x)``: a homomorphism ``D(R1 R2) = D(R1) D(R2)``, orthogonal, ``D(R^T) = D(R)^T``.
  It is found by least squares on a fixed set of points of the sphere (exact to float64
  rounding, since the harmonics of one degree span a space closed under rotation), so there
  are no Euler angles (no gimbal-lock cases) and no stored tables. This basis is the one of
  lucidrains' se3-transformer ``J_dense.pt`` (used by the official GTA and NFT code):
  ``wigner_J(l)`` reproduces its constants, proven in tests/test_groups.py.
* ``quaternion_to_matrix(q)``: unit quaternions (w, x, y, z) to rotation matrices.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import Tensor

__all__ = ["so2_rotation", "real_spherical_harmonics", "wigner_d", "wigner_J", "z_rotation",
           "quaternion_to_matrix", "random_rotations"]


def so2_rotation(theta: Tensor, freq: int = 1) -> Tensor:
    """``[..., 2, 2]`` rotation matrices by ``freq * theta`` (radians)."""
    c, s = torch.cos(freq * theta), torch.sin(freq * theta)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def _check_degree(degree: int) -> int:
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 0:
        raise ValueError(f"degree must be an integer >= 0, got {degree!r}.")
    return degree


def real_spherical_harmonics(degree: int, xyz: Tensor) -> Tensor:
    """``[..., 2l+1]`` real spherical harmonics of ``degree`` l at unit vectors ``xyz`` ([..., 3]).

    Written as polynomials in x, y, z (``P~_l^m(z) Re/Im (x + i y)^m``), so the poles need no
    special case.
    """
    l = _check_degree(degree)
    if xyz.shape[-1] != 3:
        raise ValueError(f"real_spherical_harmonics expects unit vectors [..., 3], got {list(xyz.shape)}.")
    x, y, z = xyz.unbind(-1)
    out = [None] * (2 * l + 1)
    re, im = torch.ones_like(x), torch.zeros_like(x)           # (x + i y)^m, m = 0
    for m in range(l + 1):
        # P~_l^m(z) = P_l^m(z) / (1 - z^2)^(m/2): start at P~_m^m = (2m-1)!!, recur upward in l.
        p_prev, p = torch.zeros_like(z), torch.full_like(z, float(math.prod(range(1, 2 * m, 2))))
        for k in range(m + 1, l + 1):
            p_prev, p = p, ((2 * k - 1) * z * p - (k + m - 1) * p_prev) / (k - m)
        norm = math.sqrt((2 * l + 1) / (4 * math.pi) * math.factorial(l - m) / math.factorial(l + m))
        if m == 0:
            out[l] = norm * p
        else:
            out[l + m] = math.sqrt(2) * norm * p * re
            out[l - m] = math.sqrt(2) * norm * p * im
        re, im = re * x - im * y, re * y + im * x
    return torch.stack(out, -1)


@lru_cache(maxsize=None)
def _fit(degree: int) -> tuple[Tensor, Tensor]:
    """Fixed sample points ``[N, 3]`` (a Fibonacci lattice) and ``pinv(Y(points))`` ``[2l+1, N]`` in float64."""
    n = 4 * (2 * degree + 1) + 8
    i = torch.arange(n, dtype=torch.float64) + 0.5
    z = 1 - 2 * i / n
    phi = math.pi * (3 - math.sqrt(5)) * i
    r = torch.sqrt(1 - z * z)
    pts = torch.stack([r * torch.cos(phi), r * torch.sin(phi), z], -1)
    return pts, torch.linalg.pinv(real_spherical_harmonics(degree, pts))


def wigner_d(R: Tensor, degree: int) -> Tensor:
    """Real Wigner-D matrices ``[..., 2l+1, 2l+1]`` of ``degree`` for rotation matrices ``R`` ([..., 3, 3]).

    ``D(R) Y(x) = Y(R x)`` (see the module doc); degree 0 gives ones ``[..., 1, 1]``, degree 1
    ``P R P^T`` with P the permutation (x, y, z) -> (y, z, x). Computed in float64 and returned
    in ``R``'s dtype.
    """
    l = _check_degree(degree)
    if R.shape[-2:] != (3, 3):
        raise ValueError(f"wigner_d expects rotation matrices [..., 3, 3], got {list(R.shape)}.")
    if l == 0:
        return R.new_ones(*R.shape[:-2], 1, 1)
    pts, pinv = _fit(l)
    pts, pinv = pts.to(R.device), pinv.to(R.device)
    Y_rot = real_spherical_harmonics(l, torch.einsum("...ij,nj->...ni", R.double(), pts))  # Y(R x_n): [..., N, 2l+1]
    return torch.einsum("an,...nb->...ba", pinv, Y_rot).to(R.dtype)                   # D = (pinv Y(RX))^T


def wigner_J(degree: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """The constant ``J_l`` of se3-transformer's ``J_dense.pt``: D_l of the axis swap (x, y, z) -> (x, -z, -y).

    With it ``z_rotation(a) J z_rotation(b) J z_rotation(c)`` is ``D_l(Rz(a) Ry(b) Rz(c))``
    (J conjugates a z-rotation into a y-rotation).
    """
    swap = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, -1.0, 0.0]], dtype=torch.float64)
    return wigner_d(swap, degree).to(dtype)


def z_rotation(angle: Tensor, degree: int) -> Tensor:
    """``[..., 2l+1, 2l+1]``: D_l of the rotation about z by ``angle`` (m and -m mix by a 2x2 rotation by m angle)."""
    l = _check_degree(degree)
    eye = torch.eye(3, dtype=angle.dtype, device=angle.device)
    Rz = eye.expand(*angle.shape, 3, 3).clone()
    c, s = torch.cos(angle), torch.sin(angle)
    Rz[..., 0, 0], Rz[..., 0, 1], Rz[..., 1, 0], Rz[..., 1, 1] = c, -s, s, c
    return wigner_d(Rz, l)


def quaternion_to_matrix(q: Tensor) -> Tensor:
    """Rotation matrices ``[..., 3, 3]`` of quaternions ``[..., 4]`` (w, x, y, z; normalised here)."""
    if q.shape[-1] != 4:
        raise ValueError(f"quaternion_to_matrix expects quaternions [..., 4] (w, x, y, z), got {list(q.shape)}.")
    w, x, y, z = torch.nn.functional.normalize(q, dim=-1).unbind(-1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1).unflatten(-1, (3, 3))


def random_rotations(n: int, *, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64) -> Tensor:
    """``[n, 3, 3]`` rotations drawn uniformly (Haar) from normalised Gaussian quaternions."""
    return quaternion_to_matrix(torch.randn(n, 4, generator=generator, dtype=dtype))

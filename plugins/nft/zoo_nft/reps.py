"""g-NFT's fixed representation M(g) = (+)_k rho_k(g): SO(2) frequencies and SO(3) Wigner-D degrees.

The official ``ActionList`` (``image_experiments/src/model/eae.py`` with ``action.py``) builds
the latent's column blocks in this order: frequency/degree 0 (the 1-D identity, when
``include_identity``), then 1..K. SO(2) frequency k acts by the 2x2 rotation
``[[cos k t, -sin k t], [sin k t, cos k t]]``; SO(3) degree l by the real Wigner-D of
``zoo_core.groups`` (the official ``Z J Z J Z`` from ZYZ angles of the quaternion, proven
equal in tests/test_groups.py). The latent ``z`` (``[B, latent_dim, dim]``) is acted on from
the RIGHT: ``trans(z, g) = z M(g)``.

Parameters ``g``: SO(2) angles in radians ``[B]``; SO(3) unit quaternions (w, x, y, z) ``[B, 4]``.

The whole block-diagonal product is one call of the core's op
``zoo_core.ops.apply_representation`` (with ``transpose=True``: ``z M`` is ``M^T`` applied to
each latent row) when every block is at most ``MAX_B`` wide (SO(2); SO(3) up to degree 3);
larger Wigner-D blocks are multiplied block by block with ``einsum``.
"""

from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo_core import groups
from zoo_core.errors import ZooError

__all__ = ["ActionList", "RepresentationError", "GROUPS", "matrix_to_quaternion"]

GROUPS = ("so2", "so3")
_MAX_B = 8  # the widest block zoo_core.ops.apply_representation takes


class RepresentationError(ZooError, ValueError):
    """A representation config or group parameters that do not fit."""


def matrix_to_quaternion(R: Tensor) -> Tensor:
    """Unit quaternions (w, x, y, z) ``[..., 4]`` of rotation matrices ``[..., 3, 3]`` (w >= 0)."""
    m = R
    t = torch.stack([1 + m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2], 1 + m[..., 0, 0] - m[..., 1, 1] - m[..., 2, 2],
                     1 - m[..., 0, 0] + m[..., 1, 1] - m[..., 2, 2], 1 - m[..., 0, 0] - m[..., 1, 1] + m[..., 2, 2]], -1)
    mag = 0.5 * torch.sqrt(t.clamp_min(0))
    sign = torch.stack([torch.ones_like(mag[..., 0]), torch.sign(m[..., 2, 1] - m[..., 1, 2]),
                        torch.sign(m[..., 0, 2] - m[..., 2, 0]), torch.sign(m[..., 1, 0] - m[..., 0, 1])], -1)
    sign = torch.where(sign == 0, torch.ones_like(sign), sign)
    return F.normalize(mag * sign, dim=-1)


@dataclasses.dataclass(frozen=True)
class ActionList:
    """The irreps of M(g), in latent column order.

    Args:
        group: ``"so2"`` or ``"so3"``.
        num_basis: the highest frequency (SO(2)) or degree (SO(3)) K.
        include_identity: start with the 1-D trivial block (frequency/degree 0).
    """

    group: str = "so2"
    num_basis: int = 8
    include_identity: bool = True

    def __post_init__(self):
        if self.group not in GROUPS:
            raise RepresentationError(f"group must be one of {GROUPS}, got {self.group!r}")
        if isinstance(self.num_basis, bool) or not isinstance(self.num_basis, int) or self.num_basis < 0:
            raise RepresentationError(f"num_basis must be an integer >= 0, got {self.num_basis!r}")
        if not self.freqs:
            raise RepresentationError("the representation is empty: use num_basis >= 1 or include_identity=True")

    @property
    def freqs(self) -> tuple[int, ...]:
        """Frequency (SO(2)) or degree (SO(3)) of each block, in order."""
        return tuple(range(0 if self.include_identity else 1, self.num_basis + 1))

    def block_dim(self, k: int) -> int:
        return 1 if k == 0 else (2 if self.group == "so2" else 2 * k + 1)

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(self.block_dim(k) for k in self.freqs)

    @property
    def dim(self) -> int:
        """``action_dim``: the latent's number of columns."""
        return sum(self.dims)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return () if self.group == "so2" else (4,)

    # --- group parameters -------------------------------------------------------------------

    def check_params(self, g: Tensor, batch: int | None = None) -> Tensor:
        if not isinstance(g, Tensor) or not g.dtype.is_floating_point:
            raise RepresentationError(f"group parameters must be a float tensor, got {type(g).__name__}"
                                      f"{'' if not isinstance(g, Tensor) else ' of ' + str(g.dtype)}")
        want = "angles [B] (radians)" if self.group == "so2" else "quaternions [B, 4] (w, x, y, z)"
        if tuple(g.shape[1:]) != self.param_shape or g.ndim != 1 + len(self.param_shape) or \
                (batch is not None and g.shape[0] != batch):
            raise RepresentationError(f"{self.group.upper()} parameters must be {want}"
                                      f"{'' if batch is None else f' with B = {batch}'}, got shape {list(g.shape)}")
        return g

    def invert(self, g: Tensor) -> Tensor:
        """Parameters of g^-1 (official ``invert_param``)."""
        return -g if self.group == "so2" else g * g.new_tensor([1.0, -1.0, -1.0, -1.0])

    def random(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``n`` uniformly drawn group parameters."""
        if self.group == "so2":
            return torch.rand(n, generator=generator) * 2 * math.pi
        return F.normalize(torch.randn(n, 4, generator=generator), dim=-1)

    # --- the representation -----------------------------------------------------------------

    def blocks(self, g: Tensor) -> list[Tensor]:
        """rho_k(g) for each non-trivial block, ``[B, d_k, d_k]``, in column order."""
        if self.group == "so2":
            return [groups.so2_rotation(g, k) for k in self.freqs if k]
        R = groups.quaternion_to_matrix(g)
        return [groups.wigner_d(R, k) for k in self.freqs if k]

    def matrix(self, g: Tensor) -> Tensor:
        """The full block-diagonal ``M(g)`` ``[B, dim, dim]``."""
        self.check_params(g)
        mats = ([g.new_ones(g.shape[0], 1, 1)] if self.include_identity else []) + self.blocks(g)
        return torch.stack([torch.block_diag(*[m[b] for m in mats]) for b in range(g.shape[0])])

    def trans(self, z: Tensor, g: Tensor) -> Tensor:
        """``z M(g)`` for latents ``[B, latent_dim, dim]``."""
        if z.ndim != 3 or z.shape[-1] != self.dim:
            raise RepresentationError(f"latents must be [B, latent_dim, {self.dim}], got {list(z.shape)}")
        self.check_params(g, z.shape[0])
        blocks = [b.to(z.dtype) for b in self.blocks(g)]
        n_id = 1 if self.include_identity else 0
        if max(self.dims) <= _MAX_B:
            from zoo_core.ops import apply_representation

            if self.group == "so2":
                segments = [torch.stack(blocks, 1)[:, None]] if blocks else []   # [B, 1, K, 2, 2]
            else:
                segments = [b[:, None, None] for b in blocks]                    # [B, 1, 1, d, d] per degree
            segments = ([n_id] if n_id else []) + segments
            return apply_representation(z, *segments, transpose=True)
        out = [z[..., :n_id]] if n_id else []
        start = n_id
        for b in blocks:
            d = b.shape[-1]
            out.append(torch.einsum("bhi,bij->bhj", z[..., start:start + d], b))
            start += d
        return torch.cat(out, -1)

    # --- reading the latent -----------------------------------------------------------------

    def chunks(self, z: Tensor) -> list[Tensor]:
        return list(torch.split(z, list(self.dims), dim=-1))

    def amplitudes(self, z: Tensor) -> Tensor:
        """Per-block norms ``[B, latent_dim, n_blocks]``: the invariant "amplitude" spectrum."""
        return torch.stack([c.norm(dim=-1) for c in self.chunks(z)], -1)

    def normalize(self, z: Tensor) -> Tensor:
        return torch.cat([F.normalize(c, dim=-1) for c in self.chunks(z)], -1)

    def identify(self, z1: Tensor, z2: Tensor, freq: int = 1) -> Tensor:
        """Estimate g with ``z2 ~ z1 M(g)`` from block ``freq`` (official ``identify``, target_freq 1).

        SO(2): ``theta = atan2(sum (z2_0 z1_1 - z2_1 z1_0), sum (z2 . z1))`` over the rows of the
        per-row normalised frequency block. SO(3): the Wahba/SVD rotation of the degree-1 block,
        as a quaternion.
        """
        if freq not in self.freqs or freq == 0:
            raise RepresentationError(f"identify needs a non-trivial block; freq {freq} is not among {self.freqs}")
        i = self.freqs.index(freq)
        a, b = self.normalize(z1).split(list(self.dims), -1)[i], self.normalize(z2).split(list(self.dims), -1)[i]
        if self.group == "so2":
            zz = torch.einsum("bhi,bhj->bij", b, a)
            theta = torch.atan2(zz[:, 0, 1] - zz[:, 1, 0], zz[:, 0, 0] + zz[:, 1, 1])
            return theta / freq
        if freq != 1:
            raise RepresentationError("SO(3) identify reads the degree-1 block (freq=1)")
        zz = torch.einsum("bhi,bhj->bij", b, a).float()              # z2^T z1 = D^T z1^T z1
        U, _, Vt = torch.linalg.svd(zz)
        vol = torch.linalg.det(U) * torch.linalg.det(Vt)
        m = torch.stack([torch.ones_like(vol), torch.ones_like(vol), vol], -1)
        D = ((U * m[:, None, :]) @ Vt).mT                             # the degree-1 Wigner-D: P R P^T
        p = [2, 0, 1]
        return matrix_to_quaternion(D[:, p][:, :, p])

    def param_error(self, g: Tensor, g_hat: Tensor) -> Tensor:
        """Official ``param_loss``: ``1 - cos(t - t_hat)`` (SO(2)) or ``1 - |<q, q_hat>|`` (SO(3)), mean."""
        if self.group == "so2":
            return (1 - torch.cos(g - g_hat)).mean()
        return (1 - (F.normalize(g, dim=-1) * g_hat).sum(-1).abs()).mean()

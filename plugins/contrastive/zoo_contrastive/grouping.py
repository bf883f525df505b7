"""The two-stage form of lasso-type contrastive learning used by the entries (our choice, README
"Choices"): train with blocks of ONE coordinate, then group the coordinates into blocks by which
augmentation families move them, without labels of the true factors.

Why: with learned blocks of 2 the group-lasso InfoNCE ends in a measured local minimum (two
co-moving components split crosswise over two blocks; README "Why the blocks stop banded"). With
blocks of 1 the group-lasso distance is the L1 distance, and rotating two coordinates of different
components toward the truth meets no barrier; every coordinate then belongs to one component.
Coordinates of one component are moved by the same families, so the family-by-coordinate
movement pattern tells which coordinates belong together:

    pattern[i, k] = E_{pairs of family k} |z_i - z~_i|  /  E_{random pairs} |z_i - z'_i|
    blocks         = greedy pairing: repeatedly the two remaining coordinates whose patterns are
                     closest (squared Euclidean), until all are paired

* ``coordinate_patterns`` and ``group_coordinates``: the two steps on given embeddings;
* ``GroupedEncoder``: a ``BlockEncoder`` whose output is its coordinates reordered so that each
  group is one consecutive block (buffer ``order``). Its recipe loss (``contrastive-latents``)
  trains the coordinates as blocks of 1 and feeds every batch to ``observe``, which keeps
  exponential moving averages of the pattern's numerator and denominator (buffers, like
  BatchNorm's running statistics) and regroups; the saved weights carry the grouping, so
  ``zoo eval`` scores the grouped blocks.
"""

from __future__ import annotations

import numpy as np
import torch

from zoo_contrastive.lasso import BlockEncoder

__all__ = ["GroupedEncoder", "coordinate_patterns", "group_coordinates"]


def coordinate_patterns(z: torch.Tensor, z_pos: torch.Tensor, family: torch.Tensor, n_families: int) -> torch.Tensor:
    """``[D, K]``: per coordinate, the mean positive-pair distance under each family over the mean
    random-pair distance (random pairs: ``(z_i, z_pos_{i+1})``). ``family [n]``: the family of each pair."""
    if z.shape != z_pos.shape or z.dim() != 2 or len(z) < 2 or family.shape != (len(z),):
        raise ValueError(f"coordinate_patterns needs z, z_pos [n >= 2, D] and family [n], got {tuple(z.shape)}, "
                         f"{tuple(z_pos.shape)}, {tuple(family.shape)}")
    pos, neg = _moves(z, z_pos, family, n_families)
    missing = [k for k in range(n_families) if not pos[1][k] > 0]
    if missing:
        raise ValueError(f"coordinate_patterns: no pair of families {missing}; every family needs pairs")
    return (pos[0] / pos[1][:, None]).T / neg.clamp_min(1e-12)[:, None]


def _moves(z, z_pos, family, n_families):
    """Per family: summed ``|z - z_pos|`` [K, D] and pair counts [K]; mean random-pair distance [D]."""
    onehot = torch.nn.functional.one_hot(family.long(), n_families).to(z.dtype)
    return (onehot.T @ (z - z_pos).abs(), onehot.sum(0)), (z - z_pos.roll(1, 0)).abs().mean(0)


def group_coordinates(patterns, block_dim: int = 2) -> list[int]:
    """The coordinates ordered so that consecutive runs of ``block_dim`` form the groups
    (``block_dim`` 1: unchanged; 2: the greedy pairing of the closest patterns, ``patterns [D, K]``)."""
    p = np.asarray(patterns, dtype=np.float64)
    if block_dim == 1:
        return list(range(len(p)))
    if block_dim != 2 or len(p) % 2:
        raise ValueError(f"group_coordinates pairs coordinates: block_dim must be 1 or 2 and the number of "
                         f"coordinates even, got block_dim={block_dim} with {len(p)} coordinates")
    left, order = list(range(len(p))), []
    while left:
        _, i, j = min((float(((p[i] - p[j]) ** 2).sum()), i, j) for i in left for j in left if i < j)
        order += [i, j]
        left = [k for k in left if k not in (i, j)]
    return order


class GroupedEncoder(BlockEncoder):
    """``x -> z [B, n_blocks * block_dim]``: the MLP's coordinates, grouped by movement pattern into
    ``n_blocks`` blocks of ``block_dim`` (buffer ``order``; identity until ``observe`` has run).

    ``n_families``: how many augmentation families ``observe`` sees; ``momentum``: weight of each
    batch in the running pattern statistics. The constructor's arguments are the entry's ``config``.
    """

    def __init__(self, *, obs_dim: int = 8, hidden: int = 64, depth: int = 2, n_blocks: int = 4, block_dim: int = 2,
                 n_families: int = 4, momentum: float = 0.01):
        super().__init__(obs_dim=obs_dim, hidden=hidden, depth=depth, n_blocks=n_blocks, block_dim=block_dim)
        if isinstance(n_families, bool) or not isinstance(n_families, int) or n_families < 1:
            raise ValueError(f"GroupedEncoder: n_families must be an int >= 1, got {n_families!r}")
        if not 0 < momentum <= 1:
            raise ValueError(f"GroupedEncoder: momentum must be in (0, 1], got {momentum!r}")
        D = self.latent_dim
        self.n_families, self.momentum = n_families, float(momentum)
        self.register_buffer("pos_moves", torch.zeros(n_families, D))   # running mean |z - z~| per family
        self.register_buffer("neg_moves", torch.zeros(D))               # running mean |z - z'| (random pairs)
        self.register_buffer("order", torch.arange(D))

    @property
    def loss_blocks(self) -> int:
        """The contrastive loss sees blocks of one coordinate (group lasso = L1)."""
        return self.latent_dim

    def coordinates(self, x: torch.Tensor) -> torch.Tensor:
        """The MLP's output before grouping."""
        return super().forward(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.coordinates(x)[:, self.order]

    def patterns(self) -> torch.Tensor:
        """``[D, K]`` running movement pattern of each coordinate (``coordinate_patterns``'s formula)."""
        return self.pos_moves.T / self.neg_moves.clamp_min(1e-12)[:, None]

    @torch.no_grad()
    def observe(self, z: torch.Tensor, z_pos: torch.Tensor, family: torch.Tensor) -> None:
        """Update the running pattern statistics with a batch of coordinates of positive pairs
        (``coordinates`` of both views, ``family [B]``) and regroup."""
        (pos, count), neg = _moves(z.detach(), z_pos.detach(), family, self.n_families)
        seen = count > 0
        m = 1.0 if not bool(self.neg_moves.any()) else self.momentum   # the first batch starts the averages
        self.pos_moves[seen] = m * pos[seen] / count[seen, None] + (1 - m) * self.pos_moves[seen]
        self.neg_moves.mul_(1 - m).add_(m * neg)
        self.order.copy_(torch.as_tensor(group_coordinates(self.patterns().cpu(), self.block_dim)))

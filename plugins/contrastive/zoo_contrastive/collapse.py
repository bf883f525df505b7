"""Collapse measures of a representation: effective rank, alignment and uniformity.

* Effective rank (Roy & Vetterli 2007): ``exp(H(p))`` with ``p`` the singular values of the centred
  embedding matrix divided by their sum; 1 for embeddings on a line, ``d`` for isotropic ones. A
  collapsed representation (arXiv:2111.07679: unrelated images clustered together) has a low one.
* Alignment and uniformity (Wang & Isola 2020, eqs. 4-5, their defaults alpha = 2, t = 2) on
  L2-normalised embeddings: ``alignment = E ||f(x) - f(x')||^2`` over positive pairs (two
  augmentations of one image; 0 when the views map to the same point) and
  ``uniformity = log E exp(-2 ||f(x) - f(y)||^2)`` over all pairs of distinct images (0, its
  maximum, when everything maps to one point; lower is more uniform).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["alignment", "effective_rank", "uniformity"]


def effective_rank(z: torch.Tensor, eps: float = 1e-12) -> float:
    """Effective rank of ``z [n, d]`` (rows centred first)."""
    if z.ndim != 2 or z.shape[0] < 2:
        raise ValueError(f"effective_rank needs embeddings [n >= 2, d], got {tuple(z.shape)}")
    sv = torch.linalg.svdvals((z - z.mean(0)).double())
    if sv.sum() <= eps:
        return 1.0  # every row equal: a point, rank one by convention (exp(0))
    p = sv / sv.sum()
    p = p[p > eps]
    return float(torch.exp(-(p * p.log()).sum()))


def alignment(z1: torch.Tensor, z2: torch.Tensor, alpha: float = 2.0) -> float:
    """``E ||z1_i - z2_i||^alpha`` of the L2-normalised positive pairs ``(z1_i, z2_i)``."""
    if z1.shape != z2.shape or z1.ndim != 2:
        raise ValueError(f"alignment needs two [n, d] views of the same images, got {tuple(z1.shape)}, {tuple(z2.shape)}")
    z1, z2 = F.normalize(z1.double(), dim=1), F.normalize(z2.double(), dim=1)
    return float((z1 - z2).norm(dim=1).pow(alpha).mean())


def uniformity(z: torch.Tensor, t: float = 2.0) -> float:
    """``log E_{i != j} exp(-t ||z_i - z_j||^2)`` of the L2-normalised rows of ``z [n, d]``."""
    if z.ndim != 2 or z.shape[0] < 2:
        raise ValueError(f"uniformity needs embeddings [n >= 2, d], got {tuple(z.shape)}")
    z = F.normalize(z.double(), dim=1)
    sq = torch.pdist(z).pow(2)
    return float(torch.logsumexp(-t * sq, 0) - torch.log(torch.tensor(float(sq.numel()), dtype=torch.float64)))

"""InfoNCE with the three similarities compared in lasso-type contrastive learning (arXiv:2210.07413).

    s(z, z') = -sum_b ||z_b - z'_b||_2          "group_lasso": the lasso-type metric [abstract]
    s(z, z') = <z, z'> / (|z| |z'|)             "cosine": SimCLR's (Chen et al. 2020), the control
    s(z, z') = -||z - z'||_2^2                  "sqeuclidean": the other control

    loss = 1/2 ( mean_i CE(S_i. / T, i) + mean_j CE(S_.j / T, j) ),   S_ij = s(z1_i, z2_j)

(symmetric InfoNCE, the other view's batch as negatives; our choice of the InfoNCE form, the
abstract names none). The group-lasso case runs through the fused op
``zoo_contrastive.ops.group_lasso_infonce`` (its reference on the CPU); with blocks of one
coordinate (the two-stage ``GroupedEncoder``) it is the L1 distance, computed by
``torch.cdist(p=1)`` (the same values, 4x faster on one CPU thread).

Cosine and squared Euclidean are invariant to every orthogonal map of z, so nothing in them
prefers one split of z into blocks; the group-lasso distance is invariant only to orthogonal maps
within each block and to permutations of blocks (tests/test_losses.py checks all three).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo_contrastive.ops.group_lasso_infonce import group_lasso_infonce
from zoo_contrastive.ops.group_lasso_infonce.reference import group_lasso_distances, symmetric_infonce

__all__ = ["METRICS", "info_nce", "similarity"]

METRICS = ("group_lasso", "cosine", "sqeuclidean")


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")


def similarity(z1: torch.Tensor, z2: torch.Tensor, metric: str, *, n_blocks: int = 1) -> torch.Tensor:
    """``S [B1, B2]``: ``metric``'s similarity of every row of ``z1`` with every row of ``z2``."""
    _check_metric(metric)
    if metric == "group_lasso":
        return -group_lasso_distances(z1, z2, n_blocks)
    if metric == "cosine":
        return F.normalize(z1, dim=-1) @ F.normalize(z2, dim=-1).T
    return -torch.cdist(z1, z2).square()


def info_nce(z1: torch.Tensor, z2: torch.Tensor, *, metric: str, temperature: float, n_blocks: int = 1) -> torch.Tensor:
    """Symmetric InfoNCE of positive pairs ``(z1_i, z2_i)`` with ``metric``'s similarity over ``temperature``."""
    _check_metric(metric)
    if metric == "group_lasso" and not (n_blocks == z1.shape[-1] and z1.dim() == 2 and z1.shape == z2.shape):
        return group_lasso_infonce(z1, z2, n_blocks=n_blocks, temperature=temperature)
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    if metric == "group_lasso":   # blocks of one coordinate: the L1 distance
        return symmetric_infonce(-torch.cdist(z1, z2, p=1) / temperature)
    return symmetric_infonce(similarity(z1, z2, metric) / temperature)

"""Evaluation of learned latent blocks against the known components (arXiv:2210.07413).

The paper claims the lasso-type metric "recovers the invariance-adapted latent space ... up to
mixing within each component" [abstract]. Mixing within a component is any invertible, possibly
nonlinear, map of it, so a component is *recovered by* a learned block when a nonlinear regressor
predicts the component from that block alone. Three readings:

* ``r2_matrix``: ``R2[i, j]`` = test R^2 (scikit-learn ``r2_score``, averaged over the
  component's coordinates, clipped at 0) of a kernel ridge regression (RBF kernel) predicting
  true component j from learned block i, fitted on one half of the samples and scored on the
  other half. Recovery is a block-diagonal matrix up to a permutation of its rows.
* ``recovery_scores``: the permutation-invariant summary: the assignment of learned blocks to
  components that maximises the summed R^2 (``scipy.optimize.linear_sum_assignment``, the
  Hungarian method); ``matched_r2`` = mean R^2 of the matched pairs (1 when every component is
  recovered), ``block_purity`` = matched R^2 / all R^2 (1 when nothing leaks off the matched
  pairs, 1/n for an even mix of n components).
* ``movement``: for each augmentation family and learned block, how far positive pairs are
  apart in that block relative to random pairs (mean ``||z_b - z~_b|| / ||z_b - z'_b||`` over
  pairs), and ``moved_fraction``: how often a positive pair moves a block by more than
  ``MOVED`` of the random-pair distance. The lasso claim: each family moves only the blocks
  that hold the components it moves.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["MOVED", "movement", "r2_matrix", "recovery_scores"]

MOVED = 0.25
"""A positive pair moves a block when its distance there exceeds this fraction of a random pair's."""


def _as_numpy(x) -> np.ndarray:
    return x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)


def r2_matrix(z_blocks: list, components: list, *, regressor: str = "kernel", alpha: float = 1e-2) -> np.ndarray:
    """``[n_blocks, n_components]`` test R^2 of predicting each component from each learned block.

    Args:
        z_blocks: the learned blocks, each ``[n, d_i]`` (same samples, same order).
        components: the true components, each ``[n, c_j]``.
        regressor: ``"kernel"`` (kernel ridge, RBF, gamma = 1/d on standardized inputs) or
            ``"linear"`` (least squares, for a linear mixing).
        alpha: ridge penalty of the kernel regressor.
    """
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import r2_score
    from sklearn.preprocessing import StandardScaler

    if regressor not in ("kernel", "linear"):
        raise ValueError(f"regressor must be 'kernel' or 'linear', got {regressor!r}")
    zs, cs = [_as_numpy(z) for z in z_blocks], [_as_numpy(c) for c in components]
    n = len(zs[0]) if zs else 0
    if not zs or not cs or any(len(a) != n for a in (*zs, *cs)):
        raise ValueError("r2_matrix needs at least one block and one component, all with the same number of samples")
    if n < 4:
        raise ValueError(f"r2_matrix needs at least 4 samples (half to fit, half to score), got {n}")
    half = n // 2
    out = np.zeros((len(zs), len(cs)))
    for i, z in enumerate(zs):
        z = StandardScaler().fit(z[:half]).transform(z)
        for j, c in enumerate(cs):
            model = (KernelRidge(kernel="rbf", alpha=alpha, gamma=1.0 / z.shape[1]) if regressor == "kernel"
                     else LinearRegression())
            model.fit(z[:half], c[:half])
            out[i, j] = max(0.0, r2_score(c[half:], model.predict(z[half:])))
    return out


def recovery_scores(r2: np.ndarray) -> dict[str, float | list[int]]:
    """``matched_r2``, ``block_purity`` and ``assignment`` (component matched to each learned block,
    -1 for a block left over when there are more blocks than components)."""
    from scipy.optimize import linear_sum_assignment

    r2 = np.asarray(r2, dtype=np.float64)
    rows, cols = linear_sum_assignment(-r2)
    matched = r2[rows, cols]
    assignment = [-1] * r2.shape[0]
    for r, c in zip(rows, cols):
        assignment[r] = int(c)
    total = r2.sum()
    return {"matched_r2": float(matched.mean()), "block_purity": float(matched.sum() / total) if total > 0 else 0.0,
            "assignment": assignment}


def movement(z: torch.Tensor, z_pos: torch.Tensor, n_blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """For positive pairs ``(z, z_pos)`` ``[n, D]``: per block, the mean distance ratio to random
    pairs and the fraction of pairs moved by more than ``MOVED`` (both ``[n_blocks]``).

    Random pairs are ``(z_i, z_pos_{i+1})`` (the next sample's partner, cyclically)."""
    if z.shape != z_pos.shape or z.dim() != 2 or len(z) < 2:
        raise ValueError(f"movement needs two [n >= 2, D] tensors of equal shape, got {tuple(z.shape)} and {tuple(z_pos.shape)}")
    zb, pb = z.reshape(len(z), n_blocks, -1), z_pos.reshape(len(z), n_blocks, -1)
    pos = (zb - pb).norm(dim=-1)
    neg = (zb - pb.roll(1, 0)).norm(dim=-1).mean(0).clamp_min(1e-12)
    ratio = pos / neg
    return _as_numpy(ratio.mean(0)), _as_numpy((ratio > MOVED).double().mean(0))

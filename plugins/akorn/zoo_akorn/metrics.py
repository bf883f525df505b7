"""Object-discovery metrics of the official evaluation (``source/evals/objs``): FG-ARI and MBO.

Both take per-image integer label maps: ground truth (0 = background, -1 = ignore) and
predicted cluster ids. torchmetrics-compatible ``update / compute / reset``; ARI itself is
scikit-learn's ``adjusted_rand_score``.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import adjusted_rand_score


def _np(a) -> np.ndarray:
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


def fg_ari(gt, pred) -> float:
    """Adjusted Rand index over the foreground pixels (gt > 0) of one image.

    As in the official code, an image without foreground scores scikit-learn's value for
    empty labelings (1.0) and counts in the mean.
    """
    gt, pred = _np(gt).reshape(-1), _np(pred).reshape(-1)
    fg = gt > 0
    return float(adjusted_rand_score(gt[fg], pred[fg]))


def mean_best_overlap(gt, pred) -> float:
    """MBO of one image: mean over gt objects (label not in {0, -1}) of the best IoU with any
    predicted segment; pixels with gt = -1 are removed from the predictions. NaN without objects."""
    gt, pred = _np(gt).reshape(-1), _np(pred).reshape(-1).copy()
    pred[gt == -1] = -1
    objects = [o for o in np.unique(gt) if o not in (0, -1)]
    if not objects:
        return float("nan")
    segs = [p for p in np.unique(pred) if p != -1]
    best = []
    for o in objects:
        m = gt == o
        best.append(max((np.logical_and(m, pred == p).sum() / (np.logical_or(m, pred == p).sum() + 1e-9)
                         for p in segs), default=0.0))
    return float(np.mean(best))


class _PerImageMean:
    _fn = staticmethod(fg_ari)

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget all images seen so far."""
        self._scores: list[float] = []

    def update(self, gt, pred) -> None:
        """Add a batch of label maps ``[B, H, W]`` (or one ``[H, W]``)."""
        gt, pred = _np(gt), _np(pred)
        if gt.shape != pred.shape:
            raise ValueError(f"ground truth {gt.shape} and prediction {pred.shape} label maps differ in shape")
        if gt.ndim == 2:
            gt, pred = gt[None], pred[None]
        self._scores += [self._fn(g, p) for g, p in zip(gt, pred)]

    def compute(self) -> float:
        """Mean over the images (MBO: over images with at least one object; 0.0 if none)."""
        valid = [s for s in self._scores if not np.isnan(s)]
        return float(np.mean(valid)) if valid else 0.0


class FGARI(_PerImageMean):
    """Foreground adjusted Rand index averaged over images (official ``calc_fgari_score``)."""

    _fn = staticmethod(fg_ari)


class MBO(_PerImageMean):
    """Mean best overlap averaged over images with at least one object (official ``calc_mean_best_overlap``)."""

    _fn = staticmethod(mean_best_overlap)


__all__ = ["FGARI", "MBO", "fg_ari", "mean_best_overlap"]

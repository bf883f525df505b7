"""Linear-probe accuracy of frozen features: the representation-learning protocol several papers share.

The protocol of the NFT and MSP image experiments (and of most contrastive-learning papers):
standardise the training features, fit scikit-learn's ``LogisticRegression`` on them, report
the accuracy on the test features standardised with the training statistics. scikit-learn is
imported on first use (plugins that call this declare ``scikit-learn`` in their dependencies).

Example::

    from zoo_core.probe import linear_probe
    acc = linear_probe(train_features, train_labels, test_features, test_labels)  # in [0, 1]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zoo_core.errors import ZooError

__all__ = ["linear_probe", "ProbeInputError"]


class ProbeInputError(ZooError, ValueError):
    """Features or labels that a linear probe cannot be fitted on."""


def _as_matrix(x: Any, what: str) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor, without importing torch here
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=np.float64)
    if a.ndim < 2 or a.shape[0] == 0:
        raise ProbeInputError(f"{what}: expected features of shape (n, ...) with n >= 1, got shape {a.shape}; "
                              f"pass one feature vector (or tensor, flattened here) per example")
    a = a.reshape(a.shape[0], -1)
    if not np.isfinite(a).all():
        raise ProbeInputError(f"{what}: {int((~np.isfinite(a)).sum())} entries are NaN or infinite; "
                              f"check the encoder's outputs before probing")
    return a


def _as_labels(y: Any, n: int, what: str) -> np.ndarray:
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    a = np.asarray(y).reshape(-1)
    if a.shape[0] != n:
        raise ProbeInputError(f"{what}: {a.shape[0]} labels for {n} feature vectors; pass one label per example")
    return a


def linear_probe(train_features: Any, train_labels: Any, test_features: Any, test_labels: Any, *,
                 C: float = 0.1, max_iter: int = 1000, seed: int = 0) -> float:
    """Test accuracy (in [0, 1]) of a logistic regression fitted on standardised training features.

    Defaults are the NFT/MSP protocol: ``StandardScaler`` then ``LogisticRegression(C=0.1,
    max_iter=1000)``. Features may be arrays or tensors of any shape ``(n, ...)`` (flattened).

    Raises:
        ProbeInputError: empty or non-finite features, label counts that do not match, mismatched
            feature sizes, or fewer than two classes in the training labels.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    Xtr, Xte = _as_matrix(train_features, "train_features"), _as_matrix(test_features, "test_features")
    if Xtr.shape[1] != Xte.shape[1]:
        raise ProbeInputError(f"train features have {Xtr.shape[1]} dimensions, test features {Xte.shape[1]}; "
                              f"encode both splits with the same model")
    ytr = _as_labels(train_labels, len(Xtr), "train_labels")
    yte = _as_labels(test_labels, len(Xte), "test_labels")
    if len(np.unique(ytr)) < 2:
        raise ProbeInputError(f"train_labels hold {len(np.unique(ytr))} class(es); a probe needs at least two")
    scaler = StandardScaler().fit(Xtr)
    clf = LogisticRegression(C=C, max_iter=max_iter, random_state=seed).fit(scaler.transform(Xtr), ytr)
    return float((clf.predict(scaler.transform(Xte)) == yte).mean())

"""zoo_core.probe: the linear-probe protocol (StandardScaler + LogisticRegression)."""

import numpy as np
import pytest

from zoo_core.probe import ProbeInputError, linear_probe


def _blobs(n, d, sep, rng):
    y = rng.integers(0, 3, n)
    centres = rng.normal(size=(3, d)) * sep
    return centres[y] + rng.normal(size=(n, d)), y


def test_separable_features_probe_near_one_and_noise_near_chance():
    rng = np.random.default_rng(0)
    Xtr, ytr = _blobs(300, 8, 5.0, rng)
    Xte, yte = Xtr[:100] + 0.01, ytr[:100]
    assert linear_probe(Xtr, ytr, Xte, yte) > 0.95
    noise_tr, noise_te = rng.normal(size=(300, 8)), rng.normal(size=(300, 8))
    chance = linear_probe(noise_tr, ytr, noise_te, rng.integers(0, 3, 300))
    assert 0.2 < chance < 0.5


def test_standardisation_makes_the_probe_scale_invariant():
    rng = np.random.default_rng(1)
    Xtr, ytr = _blobs(200, 5, 1.0, rng)
    Xte, yte = _blobs(200, 5, 1.0, rng)
    scale = np.array([1e-3, 1.0, 1e3, 10.0, 0.1])
    assert linear_probe(Xtr, ytr, Xte, yte) == pytest.approx(linear_probe(Xtr * scale, ytr, Xte * scale, yte))


def test_tensors_and_multi_dimensional_features_are_flattened():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    Xtr, ytr = _blobs(120, 6, 4.0, rng)
    acc = linear_probe(torch.tensor(Xtr).reshape(120, 2, 3), torch.tensor(ytr), Xtr.reshape(120, 3, 2), ytr)
    assert acc > 0.9


@pytest.mark.parametrize("bad, match", [
    (dict(train_features=np.zeros((0, 3))), "n >= 1"),
    (dict(train_features=np.full((10, 3), np.nan)), "NaN"),
    (dict(train_labels=np.zeros(9)), "9 labels for 10"),
    (dict(test_features=np.zeros((10, 4))), "same model"),
    (dict(train_labels=np.zeros(10)), "at least two"),
])
def test_bad_inputs_get_clear_errors(bad, match):
    args = dict(train_features=np.random.default_rng(0).normal(size=(10, 3)), train_labels=np.arange(10) % 2,
                test_features=np.zeros((10, 3)), test_labels=np.zeros(10))
    args.update(bad)
    with pytest.raises(ProbeInputError, match=match):
        linear_probe(**args)

"""The evaluation: R^2 matrix, permutation-invariant recovery scores and block movement, on
embeddings whose answer is known exactly (the true latents, permuted, mixed within blocks, or
rotated across blocks)."""

import numpy as np
import pytest
import torch

from zoo_contrastive.evaluation import movement, r2_matrix, recovery_scores
from zoo_contrastive.latents import LatentModel


def _blocks(z):
    return list(z.reshape(len(z), 4, 2).unbind(1))


def _latents(n=800):
    return torch.randn(n, 8, generator=torch.Generator().manual_seed(0))


def test_recovered_blocks_up_to_permutation_and_nonlinear_mixing_score_one():
    c = _latents()
    comps = _blocks(c)
    within = [torch.stack([b[:, 0] + 0.5 * b[:, 1] ** 3, torch.tanh(b[:, 1])], 1) for b in comps]   # invertible per block
    z = torch.cat([within[i] for i in (2, 0, 3, 1)], 1)                                               # blocks permuted
    r2 = r2_matrix(_blocks(z), comps)
    s = recovery_scores(r2)
    assert s["assignment"] == [2, 0, 3, 1]
    assert s["matched_r2"] > 0.9 and s["block_purity"] > 0.9
    assert np.all(r2[np.arange(4), s["assignment"]] > 0.85)


def test_blocks_mixed_across_components_score_low():
    c = _latents()
    R = torch.linalg.qr(torch.randn(8, 8, generator=torch.Generator().manual_seed(1)))[0]
    s = recovery_scores(r2_matrix(_blocks(c @ R), _blocks(c)))
    assert s["matched_r2"] < 0.5 and s["block_purity"] < 0.6


def test_recovery_scores_exact_values():
    r2 = np.array([[0.0, 0.9], [0.6, 0.3]])
    s = recovery_scores(r2)
    assert s["assignment"] == [1, 0]
    assert s["matched_r2"] == pytest.approx(0.75) and s["block_purity"] == pytest.approx(1.5 / 1.8)
    assert recovery_scores(np.eye(3) * 0.5 + 0.5 / 3)["block_purity"] == pytest.approx((0.5 + 0.5 / 3) * 3 / 3.0)
    wide = recovery_scores(np.array([[0.2], [0.8], [0.1]]))
    assert wide["assignment"] == [-1, 0, -1]


def test_linear_regressor_and_bad_input():
    c = _latents(200)
    assert r2_matrix(_blocks(c), _blocks(c), regressor="linear").diagonal().min() > 0.999
    with pytest.raises(ValueError, match="regressor"):
        r2_matrix(_blocks(c), _blocks(c), regressor="forest")
    with pytest.raises(ValueError, match="same number of samples"):
        r2_matrix(_blocks(c), _blocks(c[:10]))
    with pytest.raises(ValueError, match="at least 4 samples"):
        r2_matrix(_blocks(c[:3]), _blocks(c[:3]))


def test_movement_finds_the_moved_blocks():
    lm = LatentModel()
    g = torch.Generator().manual_seed(0)
    c = lm.sample(1000, g)
    ratio, moved = movement(c, lm.augment(c, 1, g), 4)         # family 1 moves blocks 1 and 2
    assert np.all(ratio[[1, 2]] > 0.2) and np.all(ratio[[0, 3]] < 0.05)
    assert moved.tolist()[0] == 0 and moved.tolist()[3] == 0 and moved[1] > 0.5 and moved[2] > 0.5
    with pytest.raises(ValueError, match="equal shape"):
        movement(c, c[:5], 4)

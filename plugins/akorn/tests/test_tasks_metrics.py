"""Metrics against scikit-learn on fixed cases; tasks return their documented keys on tiny models."""

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

from zoo_akorn.metrics import FGARI, MBO, fg_ari, mean_best_overlap


def test_fg_ari_ignores_background_and_matches_sklearn():
    gt = np.array([[0, 0, 1, 1], [2, 2, 1, 1], [-1, 2, 0, 0]])
    pred = np.array([[5, 6, 3, 3], [4, 4, 3, 9], [7, 4, 8, 8]])
    fg = gt > 0
    assert fg_ari(gt, pred) == pytest.approx(adjusted_rand_score(gt[fg], pred[fg]))
    perfect = np.where(gt > 0, gt + 10, 99)
    assert fg_ari(gt, perfect) == pytest.approx(1.0)


def test_mbo_cases():
    gt = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [0, 0, 0, -1]])
    assert mean_best_overlap(gt, gt) == pytest.approx(1.0)
    pred = np.array([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]])
    assert mean_best_overlap(gt, pred) == pytest.approx(0.5)  # each object: IoU 4/8
    assert np.isnan(mean_best_overlap(np.zeros((2, 2)), pred[:2, :2]))


def test_metric_accumulators():
    gt = torch.tensor([[[1, 1], [2, 2]], [[0, 0], [0, 0]]])
    pred = torch.tensor([[[3, 3], [4, 4]], [[1, 2], [1, 2]]])
    m, f = MBO(), FGARI()
    m.update(gt, pred)
    f.update(gt, pred)
    assert m.compute() == pytest.approx(1.0)  # the object-free image is skipped
    assert f.compute() == pytest.approx(1.0)  # sklearn scores empty labelings 1.0, as officially
    m.reset()
    assert m.compute() == 0.0
    with pytest.raises(ValueError, match="shape"):
        m.update(gt, pred[:, :1])


def test_object_discovery_task_on_tiny_model():
    from zoo_akorn.models.akorn import AKOrN
    from zoo_akorn.tasks.object_discovery import ObjectDiscoveryTetrominoes, pca, uptiled_features

    model = AKOrN(n=4, ch=16, L=1, T=1, psize=4, imsize=32, heads=2, c_norm="none", autorescale=False)
    task = ObjectDiscoveryTetrominoes()
    scores = task.evaluate(model, limit=4, batch_size=4)
    assert set(scores) == {"fg_ari", "mbo"} and all(-1 <= v <= 1 for v in scores.values())
    feats = uptiled_features(model, torch.rand(2, 3, 32, 32), r=2, generator=torch.Generator().manual_seed(0))
    assert feats.shape == (2, 16, 16, 16)
    torch.testing.assert_close(feats.norm(dim=1), torch.ones(2, 16, 16))
    assert pca(torch.randn(1, 8, 4, 4), 3).shape == (1, 3, 4, 4)
    both = task.evaluate(model, limit=4, batch_size=4, uptiled_r=2)  # plain and "+ up-tiling x2" columns
    assert {k: both[k] for k in scores} == scores  # the plain columns do not change
    assert both["fg_ari_up2"] == task.evaluate(model, limit=4, batch_size=4, saccade_r=2)["fg_ari"]
    with pytest.raises(ValueError, match="divides the patch size 4"):
        task.evaluate(model, limit=4, uptiled_r=3)


def test_sudoku_task_on_tiny_model():
    from zoo_akorn.models.sudoku import SudokuAKOrN
    from zoo_akorn.tasks.sudoku import SudokuGenerated, board_accuracy

    model = SudokuAKOrN(n=4, ch=16, T=1, heads=2)
    out = SudokuGenerated().evaluate(model, limit=2, T=2, K=2)
    assert set(out) == {"board_accuracy", "cell_accuracy", "board_accuracy_any_of_k"}
    assert all(0 <= v <= 1 for v in out.values()) and out["board_accuracy_any_of_k"] >= out["board_accuracy"]
    assert set(SudokuGenerated().evaluate(model, limit=2, T=2)) == {"board_accuracy", "cell_accuracy"}
    assert out == SudokuGenerated().evaluate(model, limit=2, T=2, K=2)  # seeded: reproducible
    board, solution = SudokuGenerated().dataset("test")[0]
    assert board_accuracy(solution[None] * 5, board[None], solution[None]).item()

"""Metrics (prediction error, equivariance error, block structure) and the digits tasks."""

import pytest
import torch

from zoo_msp import models as Z
from zoo_msp.metrics import (BlockStructure, EquivarianceError, PredictionError, copy_last_frame,
                             equivariance_predictions, shift_transition)
from zoo_msp.tasks import AcceleratedSequentialDigitsTask, SequentialDigitsTask


@pytest.mark.filterwarnings("ignore:The ``compute`` method")
def test_prediction_error_per_step():
    m = PredictionError()
    target = torch.zeros(4, 2, 1, 2, 2)
    pred = torch.ones(4, 2, 1, 2, 2)
    pred[:, 1] = 2.0
    m.update(pred[:2], target[:2])
    m.update(pred[2:], target[2:])
    assert torch.allclose(m.compute(), torch.tensor([4.0, 16.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="changed between updates"):
        m.update(pred[:, :1], target[:, :1])
    m.reset()
    with pytest.raises(RuntimeError, match="before any update"):
        m.compute()


def test_copy_last_frame():
    xs = torch.rand(2, 3, 1, 4, 4)
    c = copy_last_frame(xs, 4)
    assert c.shape == (2, 4, 1, 4, 4) and torch.equal(c[:, 3], xs[:, 2])


def test_shift_transition_matches_official_cyclic_shift():
    M = torch.arange(4.0)[:, None, None].expand(4, 2, 2)
    assert shift_transition(M)[:, 0, 0].tolist() == [3.0, 0.0, 1.0, 2.0]  # M[arange(-1, N-1)]
    top, Ms = shift_transition((M, [M[:, None]]))
    assert top[0, 0, 0] == 3 and Ms[0][0, 0, 0, 0] == 3


def test_equivariance_error_exact_for_a_content_free_transition(tiny):
    model = Z.MSP(**tiny).eval()
    xs = torch.rand(3, 2, 3, 32, 32).expand(3, 2, 3, 32, 32).clone()
    xs[:] = xs[0]  # identical sequences -> identical M* -> borrowed == own
    own, borrowed = equivariance_predictions(model, xs, 2)
    assert torch.allclose(own, borrowed, atol=1e-5)
    e = EquivarianceError()
    target = torch.rand(3, 2, 3, 32, 32)
    e.update(own, borrowed, target)
    r = e.compute()
    assert torch.allclose(r["own"], r["borrowed"], atol=1e-3)
    with pytest.raises(TypeError, match="no explicit transition"):
        equivariance_predictions(Z.NeuralTransition(**tiny), xs, 1)


def test_block_structure_metric():
    g = torch.Generator().manual_seed(0)
    M = torch.zeros(64, 4, 4)
    M[:, :2, :2] = torch.randn(64, 2, 2, generator=g)
    M[:, 2:, 2:] = torch.randn(64, 2, 2, generator=g)
    metric = BlockStructure(n_epochs=20)
    metric.update(M[:32])
    metric.update(M[32:])
    r = metric.compute()
    assert r["n_blocks"] >= 2 and r["off_block_energy"] < 1e-2
    assert metric.U.shape == (4, 4) and sum(len(b) for b in metric.blocks) == 4


@pytest.mark.parametrize("task_cls, model_cls, tc", [(SequentialDigitsTask, Z.MSP, 2),
                                                     (AcceleratedSequentialDigitsTask, Z.MSPHigherOrder, 5)])
def test_task_evaluate_returns_documented_keys(task_cls, model_cls, tc, tiny):
    task = task_cls()
    assert task.T_cond == tc
    train = task.dataset("train")
    assert train[0].shape[0] == task.train_T
    model = model_cls(**tiny)
    r = task.evaluate(model, n_sequences=4, T=tc + 2, batch_size=4, sbd_epochs=2)
    for k in ["pred_sse_step1", "pred_sse_step2", "copy_last_sse_step2", "pred_sse_mean", "black_frame_sse_step1",
              "equiv_own_step1", "equiv_borrowed_step2", "sbd_n_blocks", "sbd_off_block_energy"]:
        assert k in r and isinstance(r[k], float), k
    assert model.training  # restored
    with pytest.raises(ValueError, match="no frame to predict"):
        task.evaluate(model, T=tc)


def test_task_evaluate_without_transition(tiny):
    r = SequentialDigitsTask().evaluate(Z.NeuralTransition(**tiny), n_sequences=2, T=3, batch_size=2)
    assert "pred_sse_step1" in r and not any(k.startswith(("equiv", "sbd")) for k in r)


def test_task_limit_caps_sequences_and_seed_is_reproducible(tiny):
    task = SequentialDigitsTask()
    model = Z.MSP(**tiny)
    kw = dict(T=4, block_structure=False)
    a = task.evaluate(model, limit=3, **kw)
    assert a == task.evaluate(model, limit=3, seed=0, **kw)  # seed 0 is the default
    assert a != task.evaluate(model, limit=3, seed=1, **kw)
    assert a != task.evaluate(model, limit=4, **kw)
    assert a == task.evaluate(model, n_sequences=3, **kw)  # limit caps n_sequences
    one = task.evaluate(model, limit=1, **kw)  # one sequence: no pair to borrow M* from
    assert "pred_sse_step1" in one and not any(k.startswith("equiv") for k in one)
    with pytest.raises(ValueError, match="positive"):
        task.evaluate(model, limit=0)

"""Training recipes against the core contract: ``fn(config=, **train) -> Recipe``, the official
schedule, data of the right shape, a loss that goes down, and the core runtime running it."""

import json

import pytest
import torch

import zoo
from zoo_core.errors import ZooError
from zoo_core.train import Recipe, recipe_for, train
from zoo_msp import models as Z
from zoo_msp.recipes import seqmodel, simclr


def _run_phase(recipe, model, batches, steps):
    """What zoo_core.train does for one phase: optimiser, loss, backward, step, scheduler."""
    phase = recipe.phases[0]
    opt = phase.optimizer(model.parameters())
    sched = phase.scheduler(opt)
    lrs, logs = [], []
    for step in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        result = phase.loss(model, batches[step % len(batches)], step)
        loss, extra = result if isinstance(result, tuple) else (result, {})
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        logs.append({"loss": float(loss.detach()), **extra})
    return lrs, logs


def test_catalog_recipe_is_a_core_recipe():
    entry, recipe = recipe_for("msp-digits")
    assert isinstance(recipe, Recipe)
    assert recipe.steps == entry.train["steps"] and recipe.batch_size == entry.train["batch_size"]
    assert "sequential digits" in recipe.data
    ds = recipe.dataset(0)
    assert len(ds) == recipe.steps * recipe.batch_size  # a fresh sequence for every draw
    assert ds[0].shape == (3, 3, 32, 32) and torch.equal(ds[7], recipe.dataset(0)[7])
    assert not torch.equal(ds[7], recipe.dataset(1)[7])  # the seed changes the data
    _, accl = recipe_for("msp-digits-accl")
    assert accl.dataset(0)[0].shape == (10, 3, 32, 32)


def test_official_schedule_and_fixed_batch_fit(tiny):
    torch.manual_seed(0)
    from zoo_msp.data import SequentialDigits

    xs = SequentialDigits(T=3).sample(4, generator=torch.Generator().manual_seed(0))
    model = Z.MSP(**tiny)
    recipe = seqmodel(config=tiny, steps=30, dataset="sequential-digits", lr=1e-3, lr_decay_iter=20)
    before = model.loss(xs).item()
    lrs, logs = _run_phase(recipe, model, [xs], 30)
    assert lrs[19] == pytest.approx(1e-3) and lrs[20] == pytest.approx(1e-3 / 3)
    assert {"loss_bd", "loss_orth"} <= set(logs[0])
    assert model.loss(xs).item() < 0.5 * before  # sigmoid(0) = 0.5 everywhere -> mostly-black frames


def test_reconst_iter_switches_the_target(tiny):
    model = Z.NeuralM(**tiny)
    xs = torch.rand(2, 3, 3, 32, 32)
    recipe = seqmodel(config=tiny, steps=4, dataset="sequential-digits", reconst_iter=2)
    loss = recipe.phases[0].loss
    torch.manual_seed(0)
    with torch.no_grad():
        assert float(loss(model, xs, 1)[0]) == pytest.approx(float(model.loss(xs, reconst=True)))
        assert float(loss(model, xs, 2)[0]) == pytest.approx(float(model.loss(xs, reconst=False)))
    with pytest.raises(ValueError, match="T=4"):
        seqmodel(config=tiny, steps=1, dataset="sequential-digits", T=4, T_cond=2).phases[0].loss(model, xs, 0)


def test_simclr_recipe_runs():
    model = Z.SimCLR(dim_mlp=16, dim_head=8, k=0.25)
    recipe = simclr(config={}, steps=2, dataset="sequential-digits", batch_size=4)
    _, logs = _run_phase(recipe, model, [torch.rand(4, 3, 3, 32, 32)], 2)
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in logs)


def test_missing_and_unknown_data_raise_clearly(monkeypatch):
    monkeypatch.setenv("ZOO_DATA", "")
    with pytest.raises(ZooError, match="dataset 'mnist' .*pass --data DIR"):
        recipe_for("msp-mnist")  # the paper's data: the user's copy, which is not there
    with pytest.raises(ZooError, match="unknown train.dataset"):
        seqmodel(config={}, steps=1, dataset="sequential-letters")
    with pytest.raises(TypeError):  # a misspelt setting is not silently ignored
        seqmodel(config={}, steps=1, dataset="sequential-digits", max_iteration=5)


def test_zoo_train_runs_the_recipe(tmp_path):
    """The core runtime trains a catalog entry for two steps and writes a loadable folder."""
    out = train("msp-digits", out=tmp_path / "run", steps=2, batch_size=4, progress=False)
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2] and all("main/loss_bd" in r for r in rows)
    model = zoo.load(f"local-dir:{out}")
    assert model.zoo_name == "msp-digits" and not model.training
    assert "2 steps, global batch 4" in (out / "README.md").read_text()

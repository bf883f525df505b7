"""Semi-supervised splits, the training recipe's methods, and a short training that learns."""

import pytest
import torch

import zoo
from zoo_core.train import recipe_for
from zoo_ssdrl.data import semi_supervised, held_out
from zoo_ssdrl.recipes import METHODS, UnlabelledBatches, linear_decay


def test_digits_split_is_the_official_permutation():
    s = semi_supervised("digits", n_labels=100, seed=1234)
    assert s.x_l.shape == (100, 1, 8, 8) and s.x_ul.shape == (1337, 1, 8, 8)
    assert s.x_l.min() >= -1 and s.x_l.max() <= 1
    again = semi_supervised("digits", n_labels=100, seed=1234)
    assert torch.equal(s.x_l, again.x_l) and not torch.equal(s.y_l, semi_supervised("digits", n_labels=100, seed=1).y_l)
    x, y = held_out("digits")
    assert len(y) == 360 and len(set(y.tolist())) == 10


def test_moons_labels_are_balanced_and_bad_counts_refused():
    s = semi_supervised("moons", n_labels=10)
    assert s.y_l.bincount().tolist() == [5, 5] and len(s.x_ul) == 490
    with pytest.raises(ValueError, match="n_labels must be in"):
        semi_supervised("digits", n_labels=5000)
    with pytest.raises(ValueError, match="data must be one of"):
        semi_supervised("imagenet", n_labels=10)


def test_unlabelled_batches_are_stateless_and_cover_an_epoch():
    x = torch.arange(10.0).view(10, 1)
    b = UnlabelledBatches(x, 3, seed=0)
    assert torch.equal(b(4), UnlabelledBatches(x, 3, seed=0)(4))
    assert len(set(torch.cat([b(j) for j in range(3)]).view(-1).tolist())) == 9
    assert linear_decay(100, 60)(59) == 1.0 and linear_decay(100, 60)(80) == pytest.approx(0.5)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_makes_a_finite_step(method):
    _, recipe = recipe_for("ssdrl-moons", method=method, steps=2, eps=0.3, attack_steps=2)
    torch.manual_seed(0)
    model = zoo.create("ssdrl-moons").train()
    data = recipe.dataset(0)
    x, y = torch.stack([data[i][0] for i in range(10)]), torch.stack([data[i][1] for i in range(10)])
    loss, logs = recipe.phases[0].loss(model, (x, y), 0)
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.parameters())
    assert ("loss_ul" in logs) == (method in ("ssdrl", "pl"))


def test_pseudo_labelling_is_fast_ssdrl_without_perturbation():
    _, pl = recipe_for("ssdrl-moons", method="pl")
    _, fast = recipe_for("ssdrl-moons", method="ssdrl", max_classes=1, attack_steps=1, alpha=0.0)
    model = zoo.create("ssdrl-moons").train()
    data = pl.dataset(0)
    fast.dataset(0)
    batch = (data.tensors[0], data.tensors[1])
    assert torch.equal(pl.phases[0].loss(model, batch, 3)[0], fast.phases[0].loss(model, batch, 3)[0])


def test_bad_method_is_refused():
    with pytest.raises(ValueError, match="method must be one of"):
        recipe_for("ssdrl-moons", method="mixup")


def test_ssdrl_learns_two_moons_and_beats_erm(tmp_path):
    from zoo_core.train import train
    from zoo_ssdrl.tasks import MoonsTask

    scores = {}
    for name in ("erm-moons", "ssdrl-moons"):
        out = train(name, out=tmp_path / name, steps=150, progress=False)  # constant lr
        model = zoo.load(f"local-dir:{out}")
        scores[name] = MoonsTask().evaluate(model, limit=300, gammas=[1.0], eps=[0.1])["accuracy"]
    assert scores["ssdrl-moons"] > 0.9 and scores["ssdrl-moons"] > scores["erm-moons"], scores

"""The task's data is deterministic and the recipe learns it (a few seconds on a CPU)."""

import torch

import zoo
from zoo_core.eval import evaluate
from zoo_core.train import train
from zoo_scbn.task import Quadrants


def test_data_is_deterministic():
    a, b = Quadrants().dataset("test").tensors, Quadrants().dataset("test").tensors
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(Quadrants().dataset("train").tensors[0][:10], a[0][:10])


def test_recipe_learns_the_task(tmp_path):
    out = train("scbn-mlp-quadrants", out=tmp_path / "run", steps=150, progress=False)
    untrained = Quadrants().evaluate(zoo.create("scbn-mlp-quadrants").eval())["accuracy"]
    trained = evaluate("scbn-mlp-quadrants", weights=out)["accuracy"]
    assert trained > 0.8 and trained > untrained + 0.3, (trained, untrained)

"""classification/shifted-digits: data, the three ViTs, the recipe and the report figure."""


import pytest
import torch

from zoo_gta.models.vit2d import PositionalViT
from zoo_gta.tasks_2d import REGIONS, ShiftedDigits, ShiftedDigitsTask, digit_split


def _ink_columns(ds, n=200):
    x, _ = ds.tensors(n)
    return torch.nonzero(x.sum((0, 1, 2)) > 0).flatten()


def test_data_is_deterministic_and_regions_are_where_they_say():
    a, b = ShiftedDigits("train", "left"), ShiftedDigits("train", "left")
    assert torch.equal(a.tensors(50)[0], b.tensors(50)[0]) and len(a) == 1437 * 20
    right = ShiftedDigits("test", "right")
    assert _ink_columns(right).min() >= REGIONS["right"][0]
    assert _ink_columns(ShiftedDigits("test", "left")).max() < REGIONS["left"][1] + 16
    # the 4-px token columns 6 and 7 (pixels 24..31) never hold ink in training: every digit ends before
    assert int(a.cols.max()) + 16 <= 24 and set(a.cols.tolist()) == set(range(7))
    assert set(right.cols.tolist()) == set(range(10, 17))


def test_train_and_test_digits_are_disjoint():
    from zoo_gta.tasks_2d import _digits

    (tr, _), (te, yte) = digit_split("train"), digit_split("test")
    images, labels = _digits()
    assert len(tr) + len(te) == 1797 and torch.equal(te, images[::5]) and torch.equal(yte, labels[::5])
    assert torch.equal(tr, images[torch.arange(1797) % 5 != 0])


def test_bad_split_and_region():
    with pytest.raises(ValueError, match="region"):
        ShiftedDigits("train", "middle")
    with pytest.raises(ValueError, match="split"):
        ShiftedDigitsTask().dataset("val")


@pytest.mark.parametrize("posenc", ["gta", "rope", "ape"])
def test_vit_variants_share_size_and_run(posenc):
    model = PositionalViT(posenc=posenc)
    n = sum(p.numel() for p in model.parameters())
    assert 4 * n < 1_000_000      # < 1 MB of float32
    assert model(*model.example_inputs(3)).shape == (3, 10)
    assert ("pos_embed" in dict(model.named_parameters())) == (posenc == "ape")
    with pytest.raises(ValueError, match=r"\[B, 1, 32, 32\]"):
        model(torch.zeros(2, 32, 32))


def test_recipe_learns_and_task_reports_both_regions():
    from zoo_gta.recipes_2d import vit_classifier

    torch.manual_seed(0)
    recipe = vit_classifier(config={"posenc": "gta"}, steps=30, batch_size=32, lr=3e-3, warmup=3)
    (phase,) = recipe.phases
    model = PositionalViT(posenc="gta", depth=1)
    opt = phase.optimizer(model.parameters())
    sched = phase.scheduler(opt)
    data = recipe.dataset(0)
    batch = torch.utils.data.default_collate([data[i] for i in range(16)])
    losses = []
    for step in range(30):      # one fixed batch: the recipe's loss, AdamW and schedule fit it
        loss, logs = phase.loss(model, batch, step)
        opt.zero_grad(), loss.backward(), opt.step(), sched.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0] and 0 <= logs["acc"] <= 1
    res = ShiftedDigitsTask().evaluate(model, limit=50)
    assert set(res) == {"accuracy_in_region", "accuracy_out_of_region"}


def test_figures_draw_png(tmp_path):
    from zoo_gta.figures_2d import draw

    figs = draw(PositionalViT(posenc="rope"), ShiftedDigitsTask(), tmp_path, name="rope-test", limit=20)
    assert [p.name for _, p in figs] == ["predictions.png", "accuracy_by_column.png"]
    assert all(p.stat().st_size > 1000 for _, p in figs)

"""Tasks identifiability/latent-blocks[-linear], the recipe's data and settings, the encoder's
input checks, and the report figures."""

import pytest
import torch

import zoo
from zoo_contrastive.lasso import BlockEncoder
from zoo_contrastive.recipes_lasso import contrastive_latents
from zoo_contrastive.tasks_lasso import LatentBlocksLinearTask, LatentBlocksTask


def test_tasks_are_registered_and_evaluate_deterministically():
    assert zoo.entry("lasso-synthetic").task == "identifiability/latent-blocks"
    model = BlockEncoder()
    a, b = LatentBlocksTask().evaluate(model, limit=200), LatentBlocksTask().evaluate(model, limit=200)
    assert a == b and set(a) == {"matched_r2", "block_purity", "blocks_moved"}
    assert 0 <= a["matched_r2"] <= 1 and 0 < a["block_purity"] <= 1 and 0 <= a["blocks_moved"] <= 4
    assert LatentBlocksLinearTask().latent.mixing == "linear"
    with pytest.raises(ValueError, match="at least 4 samples"):
        LatentBlocksTask().evaluate(model, limit=2)
    with pytest.raises(ValueError, match="split must be one of"):
        LatentBlocksTask().dataset("val")


def test_recipe_settings_and_data():
    r = contrastive_latents(config={"n_blocks": 4}, steps=5, batch_size=8, lr=1e-3, metric="group_lasso",
                            temperature=0.5, n_pairs=64)
    data = r.dataset(0)
    assert len(data) == 64 and not torch.equal(data.x, r.dataset(1).x) and torch.equal(data.x, r.dataset(0).x)
    x, x2, family = data[3]
    assert family.dim() == 0 and 0 <= int(family) < 4            # the family that made the pair
    loss = r.phases[0].loss(BlockEncoder(), (torch.stack([x, x2]), torch.stack([x2, x])), 0)
    assert loss.dim() == 0 and torch.isfinite(loss)
    with pytest.raises(ValueError, match="metric must be one of"):
        contrastive_latents(config={}, steps=5, batch_size=8, lr=1e-3, metric="dot", temperature=0.5)
    with pytest.raises(ValueError, match="schedule must be one of"):
        contrastive_latents(config={}, steps=5, batch_size=8, lr=1e-3, metric="cosine", temperature=0.5, schedule="step")


def test_encoder_bad_input():
    with pytest.raises(ValueError, match=r"\[B, 8\]"):
        BlockEncoder()(torch.zeros(3, 7))
    with pytest.raises(TypeError, match="floating-point"):
        BlockEncoder()(torch.zeros(3, 8, dtype=torch.int64))
    with pytest.raises(ValueError, match="n_blocks must be an int >= 1"):
        BlockEncoder(n_blocks=0)


def test_figures_draw_png(tmp_path):
    from zoo_contrastive.figures_lasso import draw

    figs = draw(BlockEncoder(), LatentBlocksTask(), tmp_path, name="untrained", limit=100)
    assert [p.name for _, p in figs] == ["r2_matrix.png", "movement.png"]
    assert all(p.stat().st_size > 1000 for _, p in figs)

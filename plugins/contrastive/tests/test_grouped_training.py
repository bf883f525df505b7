"""Trains the two-stage encoder briefly and checks the grouped block structure: a linear
``GroupedEncoder`` on the linearly mixed latents, the recipe's loss (blocks of one coordinate,
grouping by movement pattern in ``observe``) with the group-lasso similarity and with cosine, same
seed, data and budget. The lasso encoder's grouped blocks are the true components (matched R^2 and
purity near 1); the cosine encoder's stay a mixture."""

import pytest
import torch

from zoo_contrastive.evaluation import r2_matrix, recovery_scores
from zoo_contrastive.grouping import GroupedEncoder, coordinate_patterns, group_coordinates
from zoo_contrastive.latents import LatentModel
from zoo_contrastive.recipes_lasso import contrastive_latents

STEPS = 600


def _train(metric: str, temperature: float) -> tuple[dict, GroupedEncoder]:
    torch.manual_seed(0)
    recipe = contrastive_latents(config={}, steps=STEPS, batch_size=256, lr=0.01, metric=metric, schedule="cosine",
                                 temperature=temperature, mixing="linear", n_pairs=20_000)
    (phase,) = recipe.phases
    data = recipe.dataset(0)
    model = GroupedEncoder(depth=0)
    opt = phase.optimizer(model.parameters())
    sched = phase.scheduler(opt)
    g = torch.Generator().manual_seed(0)
    for step in range(STEPS):
        i = torch.randint(0, len(data), (256,), generator=g)
        loss = phase.loss(model, (data.x[i], data.x2[i], data.family[i]), step)
        opt.zero_grad(), loss.backward(), opt.step(), sched.step()
    latent = LatentModel(mixing="linear")
    c = latent.sample(1000, torch.Generator().manual_seed(9))
    with torch.no_grad():
        z = model(latent.mixing_function()(c))
    r2 = r2_matrix(list(z.reshape(1000, 4, 2).unbind(1)), list(c.reshape(1000, 4, 2).unbind(1)), regressor="linear")
    return {"r2": r2, **recovery_scores(r2)}, model


def test_brief_two_stage_training_recovers_components_with_lasso_not_with_cosine():
    (lasso, model), (cosine, _) = _train("group_lasso", 0.5), _train("cosine", 0.2)
    assert lasso["matched_r2"] > 0.95 and lasso["block_purity"] > 0.95, lasso
    assert cosine["matched_r2"] < 0.7 and cosine["block_purity"] < 0.7, cosine
    assert sorted(model.order.tolist()) == list(range(8))          # a permutation of the coordinates


def test_grouping_pairs_coordinates_moved_by_the_same_families():
    """Embeddings = the true latents, coordinates shuffled: the patterns computed from positive
    pairs group each component's two coordinates together."""
    latent = LatentModel(mixing="linear")
    g = torch.Generator().manual_seed(0)
    c = latent.sample(4000, g)
    family = torch.randint(0, 4, (4000,), generator=g)
    perm = torch.randperm(8, generator=g)
    pats = coordinate_patterns(c[:, perm], latent.augment(c, family, g)[:, perm], family, 4)
    order = perm[group_coordinates(pats, 2)]
    assert sorted(sorted(order[i:i + 2].tolist()) for i in range(0, 8, 2)) == [[0, 1], [2, 3], [4, 5], [6, 7]]


def test_grouping_refuses_what_it_cannot_pair():
    with pytest.raises(ValueError, match="block_dim must be 1 or 2"):
        group_coordinates(torch.zeros(6, 4), 3)
    with pytest.raises(ValueError, match="every family needs pairs"):
        coordinate_patterns(torch.zeros(4, 2), torch.ones(4, 2), torch.zeros(4, dtype=torch.long), 2)

"""Trains briefly and checks the block structure: a linear encoder on the linearly mixed latents,
300 steps of the recipe's loss with the group-lasso similarity and with cosine, same seed, data and
budget. The lasso encoder's blocks line up with the true components (one component recovered
almost exactly, a higher block purity); the cosine encoder's blocks stay a mixture."""

import torch

from zoo_contrastive.evaluation import r2_matrix, recovery_scores
from zoo_contrastive.lasso import BlockEncoder
from zoo_contrastive.latents import LatentModel, PairDataset
from zoo_contrastive.recipes_lasso import contrastive_latents


def _train(metric: str, temperature: float, steps: int = 300) -> dict:
    torch.manual_seed(0)
    recipe = contrastive_latents(config={"n_blocks": 4}, steps=steps, batch_size=256, lr=0.01, metric=metric,
                                 temperature=temperature, mixing="linear", n_pairs=20_000)
    (phase,) = recipe.phases
    data = recipe.dataset(0)
    model = BlockEncoder(depth=0)
    opt = phase.optimizer(model.parameters())
    g = torch.Generator().manual_seed(0)
    for step in range(steps):
        i = torch.randint(0, len(data), (256,), generator=g)
        loss = phase.loss(model, (data.x[i], data.x2[i]), step)
        opt.zero_grad(), loss.backward(), opt.step()
    latent = LatentModel(mixing="linear")
    c = latent.sample(1000, torch.Generator().manual_seed(9))
    with torch.no_grad():
        z = model(latent.mixing_function()(c))
    r2 = r2_matrix(list(z.reshape(1000, 4, 2).unbind(1)), list(c.reshape(1000, 4, 2).unbind(1)), regressor="linear")
    return {"r2": r2, **recovery_scores(r2)}


def test_brief_training_recovers_blocks_with_lasso_not_with_cosine():
    lasso, cosine = _train("group_lasso", 0.5), _train("cosine", 0.2)
    assert lasso["r2"].max() > 0.95, lasso["r2"]                    # a component recovered by one block alone
    assert cosine["r2"].max() < 0.9, cosine["r2"]
    assert lasso["block_purity"] > cosine["block_purity"] + 0.1, (lasso, cosine)

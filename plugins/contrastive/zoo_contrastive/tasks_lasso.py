"""Tasks ``identifiability/latent-blocks`` (invertible-MLP mixing) and
``identifiability/latent-blocks-linear`` (the linear control): do the learned blocks recover the
invariance-adapted components of the synthetic latent-variable model (``zoo_contrastive.latents``)?

Data (procedural, no download): the default ``LatentModel`` (4 blocks of 2 factors, 4 augmentation
families over overlapping pairs of blocks), mixing drawn from seed 0. Training pairs come from
seed ``1000 + train seed`` (the recipe); evaluation latents from seed 1, their positive partners
from seed 2, so every evaluation sees the same samples.

``evaluate`` reports (``zoo_contrastive.evaluation``):

* ``matched_r2``: mean R^2 of the best one-to-one matching of learned blocks to components;
* ``block_purity``: the matched share of all R^2 (1 = block-diagonal up to permutation);
* ``blocks_moved``: how many learned blocks a positive pair moves (by more than a quarter of a
  random pair's distance in that block), averaged over families; the truth is 2.
"""

from __future__ import annotations

import numpy as np
import torch

from zoo_contrastive.evaluation import movement, r2_matrix, recovery_scores
from zoo_contrastive.latents import LatentModel, PairDataset

__all__ = ["LatentBlocksLinearTask", "LatentBlocksTask", "analyse", "embed"]

N_EVAL = 2000
SPLITS = {"train": 1000, "test": 1}


def embed(model, x: torch.Tensor, *, batch_size: int = 4096) -> torch.Tensor:
    """``model(x)`` in eval mode without gradients, in batches."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def analyse(model, latent: LatentModel, *, n: int = N_EVAL, seed: int = 1) -> dict:
    """Everything the task and its figure read: the R^2 matrix, the recovery scores, and per family
    the movement and moved fraction of each learned block (``[K, n_blocks]``)."""
    if n < 4:
        raise ValueError(f"the evaluation needs at least 4 samples (limit >= 4), got {n}")
    g = torch.Generator().manual_seed(seed)
    c = latent.sample(n, g)
    mix = latent.mixing_function()
    with torch.no_grad():
        z = embed(model, mix(c))
    blocks = list(z.reshape(n, model.n_blocks, -1).unbind(1))
    comps = [c[:, dims] for dims in latent.component_dims()]
    r2 = r2_matrix(blocks, comps, regressor="kernel")
    g_aug = torch.Generator().manual_seed(seed + 1)
    moves, moved = [], []
    for k in range(len(latent.families)):
        with torch.no_grad():
            z_pos = embed(model, mix(latent.augment(c, k, g_aug)))
        m, f = movement(z, z_pos, model.n_blocks)
        moves.append(m)
        moved.append(f)
    return {"r2": r2, **recovery_scores(r2), "movement": np.stack(moves), "moved_fraction": np.stack(moved)}


class LatentBlocksTask:
    """The Task contract: ``name``, ``dataset(split)``, ``evaluate(model, *, limit, seed)``."""

    name = "identifiability/latent-blocks"
    mixing = "mlp"

    @property
    def latent(self) -> LatentModel:
        return LatentModel(mixing=self.mixing)

    def dataset(self, split: str, *, n: int = 20_000) -> PairDataset:
        """Positive pairs ``(x, x~)``: ``train`` from seed 1000, ``test`` from seed 1."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
        return PairDataset(self.latent, n, seed=SPLITS[split])

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0) -> dict[str, float]:
        """``matched_r2``, ``block_purity``, ``blocks_moved`` on ``N_EVAL`` (or ``limit``) latents."""
        out = analyse(model, self.latent, n=N_EVAL if limit is None else min(limit, N_EVAL))
        return {"matched_r2": round(out["matched_r2"], 4), "block_purity": round(out["block_purity"], 4),
                "blocks_moved": round(float(out["moved_fraction"].sum(1).mean()), 4)}


class LatentBlocksLinearTask(LatentBlocksTask):
    """The same latents and families, mixed by one random matrix (the linear control)."""

    name = "identifiability/latent-blocks-linear"
    mixing = "linear"

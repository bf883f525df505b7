"""Recipe ``contrastive-latents``: InfoNCE on positive pairs of the synthetic latent-variable data.

One recipe for the lasso model and its controls, so they differ only in ``metric`` (and the
temperature that suits it): ``group_lasso`` (lasso-synthetic), ``cosine`` (simclr-synthetic),
``sqeuclidean``. Adam, constant learning rate or a cosine decay to 0 over ``steps``
(``schedule``); ``zoo train`` seeds everything (the training pairs are drawn from seed
``1000 + seed``).

The loss splits ``z`` into ``model.loss_blocks`` blocks: a ``BlockEncoder``'s blocks, or, for the
two-stage ``GroupedEncoder`` (``zoo_contrastive.grouping``), blocks of one coordinate; each batch
of a ``GroupedEncoder`` also updates its movement patterns and grouping (``observe``).
"""

from __future__ import annotations

import math

import torch

from zoo_core.train import Phase, Recipe
from zoo_contrastive.latents import LatentModel, PairDataset
from zoo_contrastive.losses import METRICS, info_nce

__all__ = ["contrastive_latents"]

SCHEDULES = ("constant", "cosine")


def contrastive_latents(*, config: dict, steps: int, batch_size: int, lr: float, metric: str, temperature: float,
                        mixing: str = "mlp", positives: str = "one", n_pairs: int = 100_000,
                        schedule: str = "constant") -> Recipe:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    latent = LatentModel(mixing=mixing)

    def loss(model, batch, step):
        x, x_pos = batch[0], batch[1]
        grouped = hasattr(model, "observe")
        embed = model.coordinates if grouped else model
        z, z_pos = embed(x), embed(x_pos)
        if grouped:
            if len(batch) < 3 or batch[2].dim() != 1:
                raise ValueError("a GroupedEncoder groups by the family of each pair: train it on positives='one'")
            model.observe(z, z_pos, batch[2])
        return info_nce(z, z_pos, metric=metric, temperature=temperature, n_blocks=model.loss_blocks)

    def decay(s: int) -> float:
        return 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)) if schedule == "cosine" else 1.0

    phase = Phase("main", loss, lambda params: torch.optim.Adam(params, lr=lr),
                  scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, decay))
    return Recipe(dataset=lambda seed: PairDataset(latent, n_pairs, seed=1000 + seed, positives=positives),
                  phases=[phase], steps=steps, batch_size=batch_size,
                  data=f"{n_pairs:,} positive pairs of the synthetic latent-variable model (4 blocks of 2 factors, "
                       f"4 augmentation families over overlapping pairs of blocks, {mixing} mixing; zoo_contrastive.latents)",
                  card=f"Similarity: `{metric}`, temperature {temperature}; positives: {positives}; "
                       f"learning rate {lr}, {schedule} schedule.")

"""Recipe ``contrastive-latents``: InfoNCE on positive pairs of the synthetic latent-variable data.

One recipe for the lasso model and its controls, so they differ only in ``metric`` (and the
temperature that suits it): ``group_lasso`` (lasso-synthetic), ``cosine`` (simclr-synthetic),
``sqeuclidean``. Adam, constant learning rate; ``zoo train`` seeds everything (the training pairs
are drawn from seed ``1000 + seed``).
"""

from __future__ import annotations

from zoo_core.train import Recipe, single_phase
from zoo_contrastive.latents import LatentModel, PairDataset
from zoo_contrastive.losses import METRICS, info_nce

__all__ = ["contrastive_latents"]


def contrastive_latents(*, config: dict, steps: int, batch_size: int, lr: float, metric: str, temperature: float,
                        mixing: str = "mlp", positives: str = "one", n_pairs: int = 100_000) -> Recipe:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    latent = LatentModel(mixing=mixing)
    n_blocks = config.get("n_blocks", 4)

    def loss(model, batch, step):
        x, x_pos = batch
        return info_nce(model(x), model(x_pos), metric=metric, temperature=temperature, n_blocks=n_blocks)

    return Recipe(dataset=lambda seed: PairDataset(latent, n_pairs, seed=1000 + seed, positives=positives),
                  phases=single_phase(loss, lr), steps=steps, batch_size=batch_size,
                  data=f"{n_pairs:,} positive pairs of the synthetic latent-variable model (4 blocks of 2 factors, "
                       f"4 augmentation families over overlapping pairs of blocks, {mixing} mixing; zoo_contrastive.latents)",
                  card=f"Similarity: `{metric}`, temperature {temperature}; positives: one family per pair ({positives}).")

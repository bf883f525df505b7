"""Recipe ``nft-image``: g-NFT and its baselines on rotated digits, one budget for all.

Each model brings its own loss (``model.training_loss(batch)``: the official ``train_loss`` of
its class); the recipe supplies the data (``zoo_nft.rotdigits.RotatedDigits``: train digits
0-4, ``copies`` angle draws each) and the official optimiser, AdamW (lr 1e-3, weight decay
0.05 for rotated MNIST), at a constant learning rate as officially. ``zoo train`` seeds everything.
"""

from __future__ import annotations

import torch

from zoo_core.train import Phase, Recipe
from zoo_nft.rotdigits import RotatedDigits

__all__ = ["image"]


def image(*, config: dict, steps: int, batch_size: int, lr: float = 1e-3, weight_decay: float = 0.05,
          views: int = 1, copies: int = 20, occlusion: bool = False, stationary: bool = False) -> Recipe:
    """``views``: input views per item (MSP-AE: 2 with ``stationary`` angles); ``occlusion``: the occluded variant."""
    def loss(model, batch, step):
        return model.training_loss(batch)

    phase = Phase("main", loss, lambda params: torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay))
    what = "occluded " if occlusion else ""
    return Recipe(dataset=lambda seed: RotatedDigits("train", "in", num_views=views, copies=copies, occlusion=occlusion,
                                                     stationary=stationary, seed=seed),
                  phases=[phase], steps=steps, batch_size=batch_size,
                  data=f"rotated digits ({what}zoo_msp.data.digit_images train split, classes 0-4: 719 digits x "
                       f"{copies} draws of {views + 1} angles; representation/rotated-digits)",
                  card="Out-of-domain (`*_ood`): rotated digits 5-9, never seen in training; the probe is "
                       "scikit-learn's LogisticRegression (C 0.1) on standardised features (zoo_core.probe).")

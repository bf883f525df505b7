"""Recipe ``tac-infomax``: the contrastive objective of ``TACModel.loss``, Adam, one budget for both channels.

``tac-digits-canvas`` (trainable channel q_phi) and ``fixedcrop-digits-canvas`` (fixed random
crops) run this recipe with the same steps, batch and learning rate; their configs differ only
in ``channel``. Encoder and q_phi are optimised together on one loss (the paper maximises the
InfoMax objective jointly over f and q_phi). The labels of the canvases are never used.
``zoo train`` seeds everything (crop draws come from torch's global generator).
"""

from __future__ import annotations

from zoo_core.train import Recipe, single_phase
from zoo_contrastive.canvas import DigitsCanvas


def infomax(*, config: dict, steps: int, batch_size: int, lr: float) -> Recipe:
    def loss(model, batch, step):
        canvases, _labels = batch
        return model.loss(canvases)

    channel = config.get("channel", "learned")
    what = ("a trainable crop channel q_phi (location and scale per canvas, reparameterised) with an entropy "
            "term" if channel == "learned" else "fixed random crops (uniform location and side)")
    return Recipe(dataset=lambda seed: DigitsCanvas("train"), phases=single_phase(loss, lr), steps=steps,
                  batch_size=batch_size,
                  data="scikit-learn digits (train split, 1,437 images) enlarged to 16x16 and placed at 4 random "
                       "positions each on a 64x64 blank canvas (representation-learning/digits-canvas); labels unused",
                  card=f"Contrastive (InfoNCE between two draws of the augmentation channel) with {what}; "
                       "arXiv:2111.07679 reconstructed from its abstract (no official code).")

"""The training recipe `zoo train scbn-mlp-quadrants` runs: cross-entropy, Adam.

`zoo train` calls ``classifier(config=<the entry's config>, **<the entry's train settings>)``
and runs the returned Recipe (seeded, resumable, optionally under torchrun).
"""

import torch.nn.functional as F

from zoo_core.train import Recipe, single_phase
from zoo_scbn.task import Quadrants


def classifier(*, config: dict, steps: int, batch_size: int, lr: float) -> Recipe:
    def loss(model, batch, step):
        images, labels = batch
        logits = model(images)
        return F.cross_entropy(logits, labels), {"acc": (logits.argmax(-1) == labels).float().mean()}

    return Recipe(dataset=lambda seed: Quadrants().dataset("train"),
                  phases=single_phase(loss, lr), steps=steps, batch_size=batch_size,
                  data="4,096 procedurally generated 8x8 images (train split, seed 0)")

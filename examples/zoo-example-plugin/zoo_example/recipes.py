"""The training recipe `zoo train example-mlp-digits` runs: cross-entropy, Adam."""

import torch.nn.functional as F

from zoo_core.train import Recipe, single_phase
from zoo_example.task import DigitsClassification


def digits_classifier(*, config: dict, steps: int, batch_size: int, lr: float) -> Recipe:
    def loss(model, batch, step):
        images, labels = batch
        logits = model(images)
        return F.cross_entropy(logits, labels), {"acc": (logits.argmax(-1) == labels).float().mean()}

    return Recipe(dataset=lambda seed: DigitsClassification().dataset("train"),
                  phases=single_phase(loss, lr), steps=steps, batch_size=batch_size,
                  data="scikit-learn digits, train split (1,437 images of 8x8)")

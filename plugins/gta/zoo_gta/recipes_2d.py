"""Recipe ``gta2d-vit-classifier``: the shifted-digits ViTs (GTA, RoPE, APE), one budget for all.

Cross-entropy, AdamW with a linear warm-up then cosine decay, batches of digits placed in the
left region of the canvas (``zoo_gta.tasks_2d``). ``zoo train`` seeds everything.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from zoo_core.train import Phase, Recipe
from zoo_gta.tasks_2d import ShiftedDigits


def warmup_cosine(steps: int, warmup: int):
    """LambdaLR factor: linear warm-up over ``warmup`` steps, then cosine to 0 at ``steps``."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, steps - warmup))))
    return factor


def vit_classifier(*, config: dict, steps: int, batch_size: int, lr: float, weight_decay: float = 0.05,
                   warmup: int = 100, decay_steps: int | None = None) -> Recipe:
    """``decay_steps``: length of the cosine schedule (default ``steps``; a shorter run such as
    ``zoo train NAME --steps 400`` keeps the recipe's schedule unless ``decay_steps`` says otherwise)."""
    def loss(model, batch, step):
        images, labels = batch
        logits = model(images)
        return F.cross_entropy(logits, labels), {"acc": (logits.argmax(-1) == labels).float().mean()}

    phase = Phase("main", loss, lambda params: torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay),
                  scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(decay_steps or steps, warmup)))
    return Recipe(dataset=lambda seed: ShiftedDigits("train", "left"), phases=[phase], steps=steps,
                  batch_size=batch_size,
                  data="sklearn digits (train split, 1,437 images) enlarged to 16x16 and placed at 20 random "
                       "positions each in the left region of a 32x32 canvas (classification/shifted-digits)",
                  card=f"Position code: `{config.get('posenc')}`. Trained on the left region only; "
                       "`accuracy_out_of_region` is measured on test digits placed in the right region.")

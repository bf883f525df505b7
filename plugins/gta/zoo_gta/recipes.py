"""Training recipe ``gta-nvs`` for ``zoo train``: the official ``train.py`` / ``SRTTrainer`` loop.

Official settings: MSE between rendered and true colours of randomly sampled target pixels
(2560 per scene, split over the target views; here ``pixels`` per target view), AdamW (weight
decay 0.01, default betas), peak ``lr`` 1e-4 reached by a linear warm-up over ``warmup``
steps, then ``lr = peak * 0.16 ** ((step - warmup) / decay_it)``. The catalog entry gives the
budget::

    train: {recipe: gta-nvs, steps: 6000, batch_size: 16, lr: 0.0005, warmup: 500,
            decay_it: 6000, pixels: 128, train_scenes: 2000, views: 8}

The training scenes (zoo-scenes ``train`` split, ``views`` views each, 32 px) are rendered
once; every draw picks a scene, 2 input + 3 target views among its views and the target
pixels from a generator seeded by (seed, draw), so a run is reproducible and resumable.

Example::

    from zoo_core.train import train
    train("gta-srt-multiview-scenes", out="runs/gta", steps=10)
"""

from __future__ import annotations

from typing import Any

import torch

from zoo_core.train import Phase, Recipe
from zoo_gta.tasks import MultiviewScenesTask, TrainDraws, scene_batch

__all__ = ["nvs", "lr_factor", "training_scenes"]


def lr_factor(step: int, warmup: int, decay_it: int) -> float:
    """Official schedule as a factor of the peak lr: linear warm-up, then 0.16^((it - warmup) / decay_it)."""
    if step < warmup:
        return (step + 1) / warmup
    return 0.16 ** ((step - warmup) / decay_it)


_SCENES: dict[tuple, dict] = {}


def training_scenes(n: int, views: int, size: int = 32) -> dict[str, torch.Tensor]:
    """The ``n`` training scenes as tensors (rendered once per process)."""
    key = (n, views, size)
    if key not in _SCENES:
        ds = MultiviewScenesTask().dataset("train", n_scenes=n, views=views, size=size)
        _SCENES[key] = scene_batch([ds[i] for i in range(n)])
    return _SCENES[key]


def nvs(*, config: dict[str, Any], steps: int, batch_size: int = 16, lr: float = 1e-4, warmup: int = 500,
        decay_it: int | None = None, pixels: int = 128, train_scenes: int = 2000, views: int = 8,
        weight_decay: float = 0.01) -> Recipe:
    """MSE on sampled target pixels; AdamW with the official warm-up + exponential decay."""
    decay_it = decay_it or steps

    def loss(model, batch, step):
        target = batch.pop("target")
        pred = model(**batch)
        mse = (pred - target).square().mean()
        return mse, {"psnr": (-10 * torch.log10(mse.detach())).item()}

    def optimizer(params):
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)

    def scheduler(opt):
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, warmup, decay_it))

    def dataset(seed: int):
        return TrainDraws(training_scenes(train_scenes, views), steps * batch_size, seed, pixels=pixels)

    return Recipe(dataset=dataset, phases=[Phase("main", loss, optimizer, scheduler=scheduler)], steps=steps,
                  batch_size=batch_size,
                  data=f"{train_scenes} procedural multiview-scenes training scenes (zoo-scenes, split train, "
                       f"{views} views at 32 px); per draw 2 input + 3 target views, {pixels} target pixels per view")

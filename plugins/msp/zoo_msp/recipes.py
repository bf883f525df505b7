"""Training recipes for ``zoo train``: the official ``loop_seqmodel`` and ``loop_simclr``.

A catalog entry names its recipe and settings under ``train``; ``zoo train NAME`` calls the
recipe as ``fn(config=<model config>, **settings)`` and runs the returned
``zoo_core.train.Recipe`` (seeded, resumable, DDP-aware)::

    train: {recipe: msp-seqmodel, dataset: sequential-digits, steps: 20000,
            lr_decay_iter: 16000, batch_size: 32, T: 3, T_cond: 2, reconst_iter: 0}

Official settings: Adam with default betas, ``lr = 3e-4``, ``lr / 3`` from ``lr_decay_iter``
on (a ``MultiStepLR`` stepped once per step), batch 32 (64 for CPC/SimCLR), no weight decay,
no clipping, no augmentation. While ``step < reconst_iter`` the loss also reconstructs the
conditioning frames (the Neural M* and neural-transition baselines use it throughout). The
regularisers the official loop logs (``loss_bd``, ``loss_orth``) are logged here too and never
enter the gradient. The official ``max_iteration`` is ``steps``; the seed is ``zoo train
--seed`` (the paper used seeds 1, 2, 3).

Training data are the training split of a task (``DATASETS``): the procedural sequential
digits, or the paper's datasets read from the user's local copy (``--data`` / ``ZOO_DATA``,
``zoo_msp.paper_data``); every draw of a run is a fresh sequence (``length = steps *
batch_size``), as the official generators draw new transformation parameters on every call.

Example (a short run of the released recipe)::

    from zoo_core.train import train
    train("msp-digits", out="runs/msp-digits", steps=10)
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from zoo_core.errors import ZooError
from zoo_core.train import Phase, Recipe

__all__ = ["seqmodel", "simclr", "training_data", "adam_with_decay", "DATASETS"]

#: train.dataset name -> (the task whose training split it is, one line for the model card)
DATASETS: dict[str, tuple[str, str]] = {
    "sequential-digits": (
        "zoo_msp.tasks:SequentialDigitsTask",
        "procedural sequential digits (scikit-learn's 1,437 training digits; rotation, hue and "
        "translation with the official Sequential MNIST laws, max_T = 9), a fresh sequence per draw"),
    "sequential-digits-accl": (
        "zoo_msp.tasks:AcceleratedSequentialDigitsTask",
        "procedural accelerated sequential digits (scikit-learn's 1,437 training digits; official "
        "mnist_accl laws), a fresh sequence per draw"),
    "sequential-mnist": (
        "zoo_msp.paper_tasks:SequentialMNISTTask",
        "Sequential MNIST from the user's copy (training digits 4; official laws, max_T = 9), a fresh "
        "sequence per draw"),
    "sequential-mnist-bg": (
        "zoo_msp.paper_tasks:SequentialMNISTBgTask",
        "MNIST-bg from the user's copy (training digits 4 on the authors' backgrounds; max_T = 9)"),
    "sequential-mnist-bg-full": (
        "zoo_msp.paper_tasks:SequentialMNISTBgFullTask",
        "MNIST-bg-full from the user's copy (all training digits on the authors' backgrounds; max_T = 9)"),
    "sequential-mnist-accl": (
        "zoo_msp.paper_tasks:SequentialMNISTAcclTask",
        "accelerated Sequential MNIST from the user's copy (training digits 4; official mnist_accl laws)"),
    "3dshapes": (
        "zoo_msp.paper_tasks:ThreeDShapesTask",
        "3DShapes factor sequences from the user's 3dshapes.h5 (shape 0; hues, scale, orientation move)"),
    "smallnorb": (
        "zoo_msp.paper_tasks:SmallNORBTask",
        "SmallNORB elevation/azimuth sequences from the user's copy (the authors' smallNORB/train.pt)"),
}


def training_data(dataset: str, *, T: int, steps: int, batch_size: int
                  ) -> tuple[Callable[[int], torch.utils.data.Dataset], str]:
    """``(seed -> Dataset of (T, C, H, W) sequences, description)`` for a ``train.dataset`` name.

    Raises:
        ZooError: unknown dataset; DatasetError (a ZooError): the paper dataset's local copy is
            missing or broken (the message names the file).
    """
    if dataset not in DATASETS:
        raise ZooError(f"unknown train.dataset {dataset!r}; zoo-msp trains on {sorted(DATASETS)}")
    from zoo_core.refs import import_ref

    task_ref, line = DATASETS[dataset]
    task = import_ref(task_ref)()
    length = max(steps * batch_size, batch_size)
    task.dataset("train", T=T, seed=0, length=1)  # a missing or broken local copy fails here, named
    return (lambda seed: task.dataset("train", T=T, seed=seed, length=length)), f"{line}; T = {T}"


def adam_with_decay(lr: float, lr_decay_iter: int | None) -> dict[str, Callable]:
    """Official optimiser and schedule as ``Phase`` fields: Adam (default betas) and ``lr / 3``
    from step ``lr_decay_iter`` on (never when it is None)."""
    def optimizer(params):
        return torch.optim.Adam(params, lr=lr)

    def scheduler(opt):
        milestones = [] if lr_decay_iter is None else [int(lr_decay_iter)]
        return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=1.0 / 3.0)

    return {"optimizer": optimizer, "scheduler": scheduler}


def _check_T(xs: torch.Tensor, T: int) -> None:
    if xs.dim() != 5 or xs.shape[1] != T:
        raise ValueError(f"the recipe expects batches (N, T={T}, C, H, W); got {tuple(xs.shape)}")


def seqmodel(*, config: dict[str, Any], steps: int, dataset: str, lr: float = 3e-4,
             lr_decay_iter: int | None = None, reconst_iter: int = 0, batch_size: int = 32,
             T: int = 3, T_cond: int = 2) -> Recipe:
    """Official ``loop_seqmodel`` (MSP, its variants, Neural M*, neural transition, CPC).

    Args:
        config: the model config (unused: every sequence model has ``loss(xs, T_cond=, reconst=)``).
        steps: training steps (official ``max_iteration``).
        dataset: training data, a key of ``DATASETS`` (e.g. ``"sequential-digits"``).
        lr, lr_decay_iter: Adam learning rate, divided by 3 from ``lr_decay_iter`` on.
        reconst_iter: reconstruct the conditioning frames too while ``step < reconst_iter``.
        batch_size: sequences per step. T: frames per sequence; T_cond: conditioning frames.
    """
    if not 1 <= T_cond <= T:
        raise ZooError(f"train settings: T_cond={T_cond} must lie in [1, T={T}]")
    data, line = training_data(dataset, T=T, steps=steps, batch_size=batch_size)

    def loss(model, xs, step):
        _check_T(xs, T)
        value, reg = model.loss(xs, T_cond=T_cond, reconst=step < reconst_iter, return_reg_loss=True)
        return value, {k: float(reg[k].detach()) for k in ("loss_bd", "loss_orth") if k in reg}

    phase = Phase("main", loss, **adam_with_decay(lr, lr_decay_iter))
    return Recipe(dataset=data, phases=[phase], steps=int(steps), batch_size=int(batch_size), data=line)


def simclr(*, config: dict[str, Any], steps: int, dataset: str, lr: float = 3e-4,
           lr_decay_iter: int | None = None, batch_size: int = 64, T: int = 3,
           temperature: float = 0.01, loss_type: str = "cossim") -> Recipe:
    """Official ``loop_simclr``: the ``T`` frames of each sequence are the positive views."""
    data, line = training_data(dataset, T=T, steps=steps, batch_size=batch_size)

    def loss(model, xs, step):
        _check_T(xs, T)
        return model.loss(xs, temperature=temperature, loss_type=loss_type)

    phase = Phase("main", loss, **adam_with_decay(lr, lr_decay_iter))
    return Recipe(dataset=data, phases=[phase], steps=int(steps), batch_size=int(batch_size), data=line)

"""Training recipe ``nft-seqmodel`` for ``zoo train`` (official 1-D / compression / fisheye ``loop_seqmodel``).

A catalog entry names the recipe and its settings under ``train``::

    train: {recipe: nft-seqmodel, dataset: time-warped, freqseed: 1, steps: 100000, lr: 1.0e-5,
            batch_size: 32, T: 3, T_cond: 2, reconst_iter: 30000, lr_decay_iter: 80000,
            lr_decay_factor: 0.3333333333333333}

Official loop: Adam (default betas); the loss of ``NFTSeqAE.loss`` (per-frame SSE, mean over
sequences and frames), with the conditioning frames' reconstruction while ``step <
reconst_iter``; the learning rate is multiplied by ``lr_decay_factor`` from ``lr_decay_iter``
on. The 1-D loop divides by 3 at 80k. The compression loop's schedule is written as two
decays (÷5 at 40k, ÷3 at 80k), but its if/else resets the rate to ``lr`` between them, so
what runs is ``lr`` until 80k, then ``lr / 15``; that is the schedule kept here
(``lr_decay_factor 1/15``). The official ``reg`` coefficients are empty in every 1-D config.

Datasets (``dataset``): ``time-warped`` (``TimeWarpedSignals``, the 30000 official training
sequences of ``freqseed``) and ``compression`` (``CompressionSignals``, 5000 sequences drawn
from numpy seed ``zoo train --seed``, Gaussian ``noise`` on every frame, fresh noise per epoch) and
``fisheye-cifar100`` (``zoo_nft.fisheye_task``: the CIFAR-100 train images from the local copy, the
official ``Shift_cifar`` law, a fresh velocity for every one of the ``steps x batch_size`` items).
The fisheye loop is MSP's ``loop_seqmodel`` (lr / 3 from ``lr_decay_iter``, reconstruction while
``step < reconst_iter``), the same code path.
"""

from __future__ import annotations

from typing import Any

import torch

from zoo_core.errors import ZooError
from zoo_core.train import Phase, Recipe

__all__ = ["seqmodel", "adam", "DATASETS"]

DATASETS = ("time-warped", "compression", "fisheye-cifar100")


def _data(dataset: str, *, T: int, steps: int, batch_size: int, freqseed: int, noise: float,
          n_data: int | None):
    if dataset == "time-warped":
        from zoo_nft.signals import TimeWarpedSignals

        n = n_data or 30000
        line = (f"{n:,} procedural time-warped 1-D signals (official Shifted_FreqFun_nl law, "
                f"freqseed {freqseed}), T = {T}")
        return (lambda seed: TimeWarpedSignals(n_data=n, T=T, freqseed=freqseed)), line
    if dataset == "compression":
        from zoo_nft.signals import CompressionSignals

        n = n_data or 5000
        length = max(n, steps * batch_size)
        line = (f"{n:,} procedural time-warped 1-D signals (official Shifted_FixedFreqFun_nl law, "
                f"frequencies 3, 5, 11, 4, 7; numpy seed = the training seed), noise std {noise} "
                f"(fresh per epoch), T = {T}")
        return (lambda seed: CompressionSignals(n_data=n, T=T, seed=seed, noise=noise, length=length)), line
    if dataset == "fisheye-cifar100":
        from zoo_nft.fisheye_task import FisheyeCIFAR100Task

        task = FisheyeCIFAR100Task()
        line = (f"CIFAR-100 train images (local copy) as fisheye-deformed shifting sequences (official "
                f"Shift_cifar law: velocity U[-16, 16) px/frame, defisheye linear fullframe fov 180 pfov 140), T = {T}")
        return (lambda seed: task.dataset("train", T=T, seed=seed, length=steps * batch_size)), line
    raise ZooError(f"unknown train.dataset {dataset!r}; zoo-nft's 1-D recipe trains on {list(DATASETS)}")


def adam(params, lr: float) -> torch.optim.Adam:
    """The official optimiser, Adam with default betas, in torch's fused implementation (the same
    update; about 20 % of a 1-D training step saved on a CPU, ``benchmarks/nft_parity.py``)."""
    return torch.optim.Adam(params, lr=lr, fused=True)


def seqmodel(*, config: dict[str, Any], steps: int, dataset: str, lr: float, batch_size: int,
             T: int, T_cond: int, reconst_iter: int = 0, lr_decay_iter: int | None = None,
             lr_decay_factor: float = 1.0 / 3.0, freqseed: int = 1, noise: float = 0.0,
             n_data: int | None = None) -> Recipe:
    """The official loop (see the module docstring).

    Args:
        config: the model config (unused: ``NFTSeqAE.loss`` takes the whole batch).
        steps, lr, batch_size: official ``max_iteration``, ``lr``, ``batchsize``.
        dataset: ``"time-warped"`` or ``"compression"``; freqseed / noise / n_data: its settings.
        T, T_cond: frames per training sequence and conditioning frames.
        reconst_iter: also reconstruct the conditioning frames while ``step < reconst_iter``.
        lr_decay_iter, lr_decay_factor: multiply the rate by the factor from that step on.
    """
    if not 1 <= T_cond < T:
        raise ZooError(f"train settings: T_cond={T_cond} must lie in [1, T={T}) (frames are left to predict)")
    data, line = _data(dataset, T=T, steps=int(steps), batch_size=int(batch_size), freqseed=freqseed,
                       noise=noise, n_data=n_data)

    def loss(model, batch, step):
        xs, g = batch
        return model.loss(xs, g, T_cond=T_cond, reconst=step < reconst_iter)

    def scheduler(opt):
        milestones = [] if lr_decay_iter is None else [int(lr_decay_iter)]
        return torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=lr_decay_factor)

    phase = Phase("main", loss, lambda params: adam(params, lr), scheduler=scheduler)
    return Recipe(dataset=data, phases=[phase], steps=int(steps), batch_size=int(batch_size), data=line)

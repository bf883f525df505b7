"""Sequence-prediction tasks on procedural sequential digits (scikit-learn digits, offline).

``evaluate`` follows the official protocols, scaled to the digits:

* prediction error (``extrp.ipynb``): test sequences of ``T`` frames with ``max_T = T``,
  ``T_cond`` conditioning frames, per-step SSE of the model, of copy-last-frame and of
  empty (black) frames;
* equivariance error (``equivariance_error.ipynb``): batches whose sequences share one
  transformation; own ``M*`` vs the ``M*`` of the previous sequence;
* block structure (``block_diagonalization.ipynb``): SBD of ``M*`` collected on training-law
  sequences with small velocities (the notebook uses +-0.2 pi for MNIST).

The published results (``zoo eval NAME --write``) use the defaults: 128 test sequences,
seed 0. ``limit`` caps the number of sequences for quick reports.

Example::

    task = SequentialDigitsTask()
    scores = task.evaluate(model, limit=64)   # {"pred_sse_step1": ..., ...}
"""

from __future__ import annotations

import torch

from zoo_msp.data import SequentialDigits, accelerated_sequential_digits
from zoo_msp.metrics import (BlockStructure, EquivarianceError, PredictionError, copy_last_frame,
                             equivariance_predictions)

__all__ = ["SequentialDigitsTask", "AcceleratedSequentialDigitsTask"]


class SequentialDigitsTask:
    """Predict future frames of rotating, hue-shifting, translating digits (MSP's Seq. MNIST laws).

    Training data: ``T = 3`` (2 conditioning + 1 predicted), ``max_T = 9``, as officially.
    """

    name = "sequence-prediction/sequential-digits"
    train_T = 3
    T_cond = 2
    eval_T = 10

    def dataset(self, split: str = "train", *, T: int | None = None, seed: int = 0,
                length: int | None = None) -> SequentialDigits:
        """The split's dataset (``T`` frames; evaluation uses ``max_T = T``; ``length``: number
        of indexable sequences, default one per image)."""
        if T is None or split == "train":
            return SequentialDigits(split=split, T=T or self.train_T, max_T=9, seed=seed, length=length)
        return SequentialDigits(split=split, T=T, max_T=T, seed=seed, length=length)

    def sbd_dataset(self) -> SequentialDigits:
        """Sequences whose ``M*`` are collected for SBD (small velocities, ``T = T_cond``)."""
        return SequentialDigits(split="train", T=self.T_cond, max_T=9, angle_velocity=(-0.2, 0.2),
                                color_velocity=(-0.2, 0.2))

    @torch.no_grad()
    def evaluate(self, model: torch.nn.Module, *, limit: int | None = None, seed: int = 0,
                 n_sequences: int = 128, T: int | None = None, batch_size: int = 32,
                 block_structure: bool = True, sbd_epochs: int = 50) -> dict[str, float]:
        """Per-step prediction error (model and copy-last-frame), equivariance error and,
        for models with an explicit ``M*``, its block structure after SBD.

        Args:
            model: a sequence model (``model(xs_cond, n_rolls=)``).
            limit: cap on the number of test sequences (``None``: ``n_sequences``).
            seed: seed of the test sequences (and of the SBD initialisation).
            n_sequences: test sequences per metric (and ``M*`` collected for SBD).
            T: frames per test sequence (default ``eval_T``); batch_size: sequences per batch.
            block_structure: run SBD on ``M*``; sbd_epochs: its epochs (official 50).

        Returns flat ``{metric_name: value}``: ``pred_sse_step{k}``, ``copy_last_sse_step{k}``,
        ``black_frame_sse_step{k}`` (predicting empty frames: the error of a model that has
        learnt nothing but the dark background) and their ``_mean``; with a transition also
        ``equiv_own_step{k}``, ``equiv_borrowed_step{k}``; with ``block_structure`` also
        ``sbd_n_blocks``, ``sbd_off_block_energy``, ``sbd_loss_bd_before``, ``sbd_loss_bd_after``.
        Values are rounded to 4 decimals.

        The evaluation runs on one intra-op CPU thread: float sums then do not depend on the
        caller's thread count, so the published numbers reproduce exactly on the same machine
        (the SBD optimisation amplifies last-bit differences; its block count could flip).
        """
        threads = torch.get_num_threads()
        was_training = model.training
        try:
            torch.set_num_threads(1)
            model.eval()
            out = self._evaluate(model, limit=limit, seed=seed, n_sequences=n_sequences, T=T,
                                 batch_size=batch_size, block_structure=block_structure,
                                 sbd_epochs=sbd_epochs)
        finally:
            torch.set_num_threads(threads)
            model.train(was_training)
        return {k: round(v, 4) for k, v in out.items()}

    def _evaluate(self, model, *, limit, seed, n_sequences, T, batch_size, block_structure, sbd_epochs):
        if limit is not None:
            if limit < 1:
                raise ValueError(f"limit must be a positive number of sequences, got {limit}")
            n_sequences = min(n_sequences, limit)
        T = T or self.eval_T
        n_rolls = T - self.T_cond
        if n_rolls < 1:
            raise ValueError(f"T={T} leaves no frame to predict after T_cond={self.T_cond}")
        device = next(model.parameters()).device
        data = self.dataset("test", T=T)
        g = torch.Generator().manual_seed(seed)
        pred, copy, black = PredictionError(), PredictionError(), PredictionError()
        # the equivariance error compares sequences within a batch: it needs two of them
        equiv = EquivarianceError() if hasattr(model, "condition") and n_sequences > 1 else None
        done = 0
        while done < n_sequences:
            n = min(batch_size, n_sequences - done)
            xs = data.sample(n, generator=g).to(device)
            xs_cond, target = xs[:, :self.T_cond], xs[:, self.T_cond:]
            pred.update(model(xs_cond, n_rolls=n_rolls), target)
            copy.update(copy_last_frame(xs_cond, n_rolls), target)
            black.update(torch.zeros_like(target), target)
            if equiv is not None and n > 1:
                xs = data.sample(n, generator=g, shared_transition=True).to(device)
                own, borrowed = equivariance_predictions(model, xs[:, :self.T_cond], n_rolls)
                equiv.update(own, borrowed, xs[:, self.T_cond:])
            done += n
        out: dict[str, float] = {}
        # torchmetrics squeezes one-element results: flatten back to one value per step
        for name, values in (("pred_sse", pred.compute().reshape(-1)),
                             ("copy_last_sse", copy.compute().reshape(-1)),
                             ("black_frame_sse", black.compute().reshape(-1))):
            out.update({f"{name}_step{k + 1}": float(v) for k, v in enumerate(values)})
            out[f"{name}_mean"] = float(values.mean())
        if equiv is not None:
            e = {k: v.reshape(-1) for k, v in equiv.compute().items()}
            out.update({f"equiv_own_step{k + 1}": float(v) for k, v in enumerate(e["own"])})
            out.update({f"equiv_borrowed_step{k + 1}": float(v) for k, v in enumerate(e["borrowed"])})
        if block_structure and hasattr(model, "condition"):
            out.update(self._block_structure(model, n_sequences, batch_size, seed, sbd_epochs, device))
        return out

    def _block_structure(self, model, n_sequences, batch_size, seed, epochs, device):
        data = self.sbd_dataset()
        g = torch.Generator().manual_seed(seed + 1)
        metric = BlockStructure(n_epochs=epochs, seed=seed)
        for start in range(0, n_sequences, batch_size):
            xs = data.sample(min(batch_size, n_sequences - start), generator=g).to(device)
            M = model.get_M(xs)
            metric.update(M[0] if isinstance(M, tuple) else M)
        r = metric.compute()
        return {"sbd_n_blocks": float(r["n_blocks"]), "sbd_off_block_energy": float(r["off_block_energy"]),
                "sbd_loss_bd_before": float(r["loss_bd_before"]), "sbd_loss_bd_after": float(r["loss_bd_after"])}


class AcceleratedSequentialDigitsTask(SequentialDigitsTask):
    """Accelerated sequential digits (official ``mnist_accl`` laws): ``T = 10`` for training
    with 5 conditioning frames; evaluation on ``T = 20`` (as the official notebooks)."""

    name = "sequence-prediction/sequential-digits-accl"
    train_T = 10
    T_cond = 5
    eval_T = 20

    def dataset(self, split: str = "train", *, T: int | None = None, seed: int = 0,
                length: int | None = None) -> SequentialDigits:
        return accelerated_sequential_digits(split=split, T=T or self.train_T, seed=seed, length=length)

    def sbd_dataset(self) -> SequentialDigits:
        return accelerated_sequential_digits(split="train", T=self.T_cond)

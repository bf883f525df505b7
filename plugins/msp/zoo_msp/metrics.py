"""Evaluation metrics of MSP (official ``extrp.ipynb``, ``equivariance_error.ipynb``,
``block_diagonalization.ipynb``), as torchmetrics metrics.

* ``PredictionError``: per-step squared error summed over pixels, averaged over sequences;
  ``copy_last_frame`` gives the trivial baseline to compare it with.
* ``EquivarianceError``: on batches whose sequences share one transformation, the error
  when predicting each sequence with its own ``M*`` (``L^p``) and with the ``M*`` of the
  previous sequence in the batch (``L^p_equiv``, cyclic shift). ``L^p_equiv ~= L^p`` means
  ``M*`` depends on the transformation only, not on the content.
* ``BlockStructure``: collects ``M*`` matrices, learns one change of basis by simultaneous
  block diagonalisation and reports the blocks found and the energy outside them.
"""

from __future__ import annotations

import torch
from torchmetrics import Metric

from zoo_msp.sbd import (block_diagonalization_loss, change_basis, find_blocks, off_block_energy,
                         simultaneous_block_diagonalization)

__all__ = ["PredictionError", "EquivarianceError", "BlockStructure", "copy_last_frame",
           "shift_transition", "equivariance_predictions"]


def copy_last_frame(xs_cond: torch.Tensor, n_rolls: int) -> torch.Tensor:
    """Baseline prediction: the last conditioning frame repeated ``n_rolls`` times."""
    return xs_cond[:, -1:].expand(-1, n_rolls, *xs_cond.shape[2:])


def _per_step_sse(target: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
    if target.shape != pred.shape or target.dim() != 5:
        raise ValueError(f"expected equal (N, T, C, H, W) tensors; got {tuple(target.shape)} "
                         f"and {tuple(pred.shape)}")
    return ((target - pred) ** 2).sum(dim=(2, 3, 4))  # (N, T)


class PredictionError(Metric):
    """Mean over sequences of ``sum_{c,h,w} (x - x_hat)^2`` for each predicted step.

    ``update(pred, target)`` with ``(N, T_pred, C, H, W)`` tensors; ``compute()`` returns a
    ``(T_pred,)`` tensor.
    """

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("sse", default=torch.zeros(0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.zeros((), dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, pred: torch.Tensor, target: torch.Tensor) -> None:
        err = _per_step_sse(target, pred).to(torch.float64).sum(0)
        if self.sse.numel() == 0:
            self.sse = torch.zeros_like(err)
        if err.shape != self.sse.shape:
            raise ValueError(f"number of predicted steps changed between updates: {self.sse.numel()} -> {err.numel()}")
        self.sse = self.sse + err
        self.count = self.count + pred.shape[0]

    def compute(self) -> torch.Tensor:
        if self.count == 0:
            raise RuntimeError("PredictionError.compute() called before any update()")
        return self.sse / self.count


def shift_transition(M, shift: int = 1):
    """Give sequence ``i`` the transition of sequence ``i - shift`` (cyclic), as the official
    ``loss_equiv`` does; ``M`` is a tensor or the ``(M, Ms)`` pair of the second-order model."""
    if isinstance(M, tuple):
        top, Ms = M
        return shift_transition(top, shift), [shift_transition(X, shift) for X in Ms]
    return torch.roll(M, shifts=shift, dims=0)


@torch.no_grad()
def equivariance_predictions(model, xs_cond: torch.Tensor, n_rolls: int
                             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions with each sequence's own transition and with its neighbour's.

    ``model`` must provide ``condition(xs_cond) -> (H, M)`` and ``generate(H, M, n)`` (MSP,
    its variants and Neural M* do).

    Raises:
        TypeError: the model has no explicit transition (e.g. NeuralTransition, CPC).
    """
    if not (hasattr(model, "condition") and hasattr(model, "generate")):
        raise TypeError(f"{type(model).__name__} has no explicit transition M*, so the "
                        "equivariance error is undefined for it")
    H, M = model.condition(xs_cond)
    return model.generate(H, M, n_rolls), model.generate(H, shift_transition(M), n_rolls)


class EquivarianceError(Metric):
    """``L^p`` (own ``M*``) and ``L^p_equiv`` (borrowed ``M*``) per predicted step.

    ``update(pred_own, pred_borrowed, target)``; ``compute()`` returns
    ``{"own": (T_pred,), "borrowed": (T_pred,)}``. Feed batches generated with a shared
    transition (``SequentialDigits.sample(..., shared_transition=True)``).
    """

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.own = PredictionError()
        self.borrowed = PredictionError()

    def update(self, pred_own: torch.Tensor, pred_borrowed: torch.Tensor, target: torch.Tensor) -> None:
        self.own.update(pred_own, target)
        self.borrowed.update(pred_borrowed, target)

    def compute(self) -> dict[str, torch.Tensor]:
        return {"own": self.own.compute(), "borrowed": self.borrowed.compute()}

    def reset(self) -> None:
        super().reset()
        self.own.reset()
        self.borrowed.reset()


class BlockStructure(Metric):
    """Block structure of transition matrices after simultaneous block diagonalisation.

    ``update(M)`` with ``(N, d, d)`` matrices; ``compute()`` learns ``U`` (official
    ``optimize_bd_cob`` settings unless overridden) and returns ``n_blocks``,
    ``block_sizes`` (sorted, as a tensor), ``off_block_energy`` (fraction of ``sum M_ij^2``
    outside the found blocks, after the change of basis), and ``loss_bd_before`` /
    ``loss_bd_after`` (Laplacian trace-norm loss before and after). ``self.U`` and
    ``self.blocks`` hold the last result.

    Args:
        threshold: affinity threshold of ``zoo_msp.sbd.find_blocks``.
        n_epochs, batch_size, lr: SBD optimisation settings (official: 50, 32, 0.1).
        seed: seed of the orthogonal initialisation and shuffling.
    """

    full_state_update = False

    def __init__(self, *, threshold: float = 0.05, n_epochs: int = 50, batch_size: int = 32,
                 lr: float = 0.1, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.threshold, self.n_epochs, self.batch_size, self.lr, self.seed = (
            threshold, n_epochs, batch_size, lr, seed)
        self.add_state("mats", default=[], dist_reduce_fx="cat")
        self.U: torch.Tensor | None = None
        self.blocks: list[list[int]] | None = None

    def update(self, M: torch.Tensor) -> None:
        if M.dim() != 3 or M.shape[-1] != M.shape[-2]:
            raise ValueError(f"BlockStructure.update expects (N, d, d) matrices; got {tuple(M.shape)}")
        self.mats.append(M.detach().to(torch.float32))

    def compute(self) -> dict[str, torch.Tensor]:
        mats = self.mats if isinstance(self.mats, torch.Tensor) else torch.cat(self.mats)
        g = torch.Generator().manual_seed(self.seed)
        U = simultaneous_block_diagonalization(mats.cpu(), batch_size=self.batch_size,
                                               n_epochs=self.n_epochs, lr=self.lr, generator=g)
        rotated = change_basis(mats.cpu(), U)
        blocks = find_blocks(rotated, threshold=self.threshold)
        self.U, self.blocks = U, blocks
        return {"n_blocks": torch.tensor(float(len(blocks))),
                "block_sizes": torch.tensor(sorted(len(b) for b in blocks)),
                "off_block_energy": off_block_energy(rotated, blocks),
                "loss_bd_before": block_diagonalization_loss(mats.cpu()),
                "loss_bd_after": block_diagonalization_loss(rotated)}

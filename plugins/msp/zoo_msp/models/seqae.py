"""Meta-Sequential Prediction (MSP) and the sequence baselines of its paper.

T. Miyato, M. Koyama, K. Fukumizu, "Unsupervised Learning of Equivariant Structure from
Sequences", NeurIPS 2022, arXiv:2210.05972. Official code (MIT):
https://github.com/takerum/meta_sequential_prediction (``models/seqae.py``).

Method, as the classes below implement it (a sequence ``xs`` is ``(N, T, C, H, W)``):

1. Encode every frame to a matrix latent ``H_t = Phi(x_t)`` of shape ``(dim_m, dim_a)``.
2. Fit one transition per sequence on the ``T_c`` conditioning frames only, in closed form:
   ``M* = argmin_M sum_t ||H_t M - H_{t+1}||_F^2`` (right action; normal equations,
   differentiable; ``zoo_msp.transition``).
3. Predict by rolling from the last conditioning latent, ``H_{T_c+k} = H_{T_c} (M*)^k``,
   and decode ``x_hat = Psi(H)``.
4. Train Phi and Psi on the prediction error summed over pixels (``zoo_msp.losses.frame_sse``).
   The block-diagonalisation and orthogonality terms are only logged.

Classes (official name in brackets): ``MSP`` [SeqAELSTSQ], ``MSPHigherOrder``
[SeqAEHOLSTSQ], ``MSPFixedBlocks`` [SeqAEMultiLSTSQ], ``NeuralM`` [SeqAENeuralM],
``NeuralMLatentPredict`` [SeqAENeuralMLatentPredict], ``NeuralTransition``
[SeqAENeuralTransition], ``CPC`` [CPC] and ``SimCLR`` [ResNetwProjHead].

Common call pattern::

    x_future = model(xs[:, :T_c], n_rolls=T - T_c)      # (N, T - T_c, C, H, W)
    loss = model.loss(xs, T_cond=T_c)                    # the training objective

Differences from the official classes (none changes a number): shapes are computed, not
lazy (image size = ``bottom_width * 2**n_blocks``; encoder-only models take
``image_size``); models that see a fixed number of frames through a network take
``T_cond``; constructor arguments the official classes silently ignored are not accepted.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from zoo_core.interfaces import Model
from zoo_msp import transition as tr
from zoo_msp.losses import frame_sse, info_nce
from zoo_msp.models.networks import Conv1x1Encoder, ResNetDecoder, ResNetEncoder
from zoo_msp.sbd import block_diagonalization_loss, orthogonality_loss

__all__ = ["MSP", "MSPHigherOrder", "MSPFixedBlocks", "NeuralM", "NeuralMLatentPredict",
           "NeuralTransition", "CPC", "SimCLR"]


def _check_frames(xs: torch.Tensor, ch_x: int, size: int, what: str = "xs") -> None:
    if xs.dim() != 5 or xs.shape[2] != ch_x or xs.shape[3] != size or xs.shape[4] != size:
        raise ValueError(f"{what} must be (N, T, {ch_x}, {size}, {size}) frames; got "
                         f"{tuple(xs.shape)}. Sequences are batch-first: stack frames on axis 1.")


class _SequenceAutoencoder(Model):
    """Encoder Phi to ``(dim_m, dim_a)`` latents and decoder Psi back to frames."""

    def __init__(self, *, dim_a: int, dim_m: int, ch_x: int, k: float, kernel_size: int,
                 bottom_width: int, n_blocks: int, change_of_basis: bool = False):
        super().__init__()
        self.dim_a, self.dim_m, self.ch_x = dim_a, dim_m, ch_x
        self.image_size = bottom_width * 2 ** n_blocks
        self.enc = ResNetEncoder(in_channels=ch_x, image_size=self.image_size,
                                 dim_latent=dim_a * dim_m, k=k, n_blocks=n_blocks,
                                 kernel_size=kernel_size)
        self.dec = ResNetDecoder(dim_latent=dim_a * dim_m, ch_x=ch_x, k=k,
                                 kernel_size=kernel_size, bottom_width=bottom_width,
                                 n_blocks=n_blocks)
        if change_of_basis:  # U of the disentangled generation (H -> H U, decode H U^-1)
            self.change_of_basis = nn.Parameter(torch.eye(dim_a))

    def _example_T_cond(self) -> int:
        return 2

    def example_inputs(self, batch_size: int = 2) -> dict:
        """Random conditioning frames ``(batch_size, T_c, C, H, W)`` and ``n_rolls=2``."""
        g = torch.Generator().manual_seed(0)
        xs = torch.rand(batch_size, self._example_T_cond(), self.ch_x, self.image_size,
                        self.image_size, generator=g)
        return {"xs_cond": xs, "n_rolls": 2}

    def encode(self, xs: torch.Tensor) -> torch.Tensor:
        """Frames ``(N, T, C, H, W)`` -> latents ``(N, T, dim_m, dim_a)`` (step 1)."""
        _check_frames(xs, self.ch_x, self.image_size)
        N, T = xs.shape[:2]
        H = self.enc(xs.reshape(N * T, *xs.shape[2:])).reshape(N, T, self.dim_m, self.dim_a)
        if hasattr(self, "change_of_basis"):
            H = H @ self.change_of_basis
        return H

    def decode(self, H: torch.Tensor) -> torch.Tensor:
        """Latents ``(N, T, dim_m, dim_a)`` -> frames ``(N, T, C, H, W)`` in [0, 1]."""
        if hasattr(self, "change_of_basis"):
            H = H @ torch.linalg.inv(self.change_of_basis)
        N, T = H.shape[:2]
        x = self.dec(H.reshape(N * T, self.dim_m * self.dim_a))
        return x.reshape(N, T, *x.shape[1:])


class MSP(_SequenceAutoencoder):
    """MSP: sequence autoencoder with a per-sequence least-squares transition (SeqAELSTSQ).

    Args:
        dim_a: columns of the latent matrix (the transition acts on them; 16 in the paper).
        dim_m: rows of the latent matrix (copies sharing one transition; 256 in the paper).
        ch_x: image channels.
        k: width multiplier of the ResNets (base width ``int(32 k)``).
        kernel_size: conv size inside the residual blocks.
        bottom_width: spatial size at the bottleneck; the image size is
            ``bottom_width * 2**n_blocks``.
        n_blocks: residual blocks in the encoder and the decoder.
        predictive: ``True``: predict the frames after the conditioning ones (MSP);
            ``False``: the "reconstruction model" baseline, ``M*`` fitted on all frames and
            frames 2..T re-generated from frame 1 (official ``lstsq_rec``, ``T_cond = T``).
        alignment: average the block-diagonalisation loss graph over the batch (logging).
        change_of_basis: add a learnable ``U`` (identity init) for disentangled generation.

    Example::

        >>> import torch
        >>> model = MSP(dim_a=4, dim_m=8, ch_x=3, k=0.25, bottom_width=4, n_blocks=3)
        >>> xs = torch.rand(2, 3, 3, 32, 32)
        >>> model(xs[:, :2], n_rolls=1).shape
        torch.Size([2, 1, 3, 32, 32])
    """

    def __init__(self, *, dim_a: int, dim_m: int, ch_x: int = 3, k: float = 1.0,
                 kernel_size: int = 3, bottom_width: int = 4, n_blocks: int = 3,
                 predictive: bool = True, alignment: bool = False,
                 change_of_basis: bool = False):
        super().__init__(dim_a=dim_a, dim_m=dim_m, ch_x=ch_x, k=k, kernel_size=kernel_size,
                         bottom_width=bottom_width, n_blocks=n_blocks,
                         change_of_basis=change_of_basis)
        self.predictive = predictive
        self.alignment = alignment

    # -- step 2: the transition ------------------------------------------------------------
    def transition(self, H: torch.Tensor, *, fix_indices: Sequence[int] | None = None
                   ) -> torch.Tensor:
        """``M*`` (``(N, dim_a, dim_a)``) fitted on the consecutive pairs of latents ``H``."""
        return tr.transition_from_sequence(H, fix_indices=fix_indices)

    def get_M(self, xs: torch.Tensor, *, fix_indices: Sequence[int] | None = None) -> torch.Tensor:
        """Transition matrices of the frame sequences ``xs`` (for probes and SBD)."""
        return self.transition(self.encode(xs), fix_indices=fix_indices)

    # -- step 3: roll-out ------------------------------------------------------------------
    def rollout(self, H: torch.Tensor, M: torch.Tensor, n_steps: int, *, predictive: bool = True
                ) -> torch.Tensor:
        """Advance the last (``predictive``) or first latent of ``H`` ``n_steps`` times by ``M``."""
        start = H[:, -1:] if predictive else H[:, :1]
        return tr.rollout(start, M, n_steps)

    def condition(self, xs_cond: torch.Tensor):
        """``(H, M)``: latents of the conditioning frames and their transition (for evaluation:
        ``generate(H, M_other, n)`` predicts with a borrowed transition)."""
        H = self.encode(xs_cond)
        return H, self.transition(H)

    def generate(self, H: torch.Tensor, M, n_rolls: int) -> torch.Tensor:
        """Decode ``n_rolls`` steps rolled by ``M`` from the last latent of ``H``."""
        return self.decode(self.rollout(H, M, n_rolls))

    def _predict(self, xs_cond, n_rolls, fix_indices, predictive, reconst):
        H = self.encode(xs_cond)
        M = self.transition(H, fix_indices=fix_indices)
        n = n_rolls if predictive else xs_cond.shape[1] + n_rolls - 1
        H_pred = self.rollout(H, M, n, predictive=predictive)
        if reconst:
            H_pred = torch.cat([H if predictive else H[:, :1], H_pred], dim=1)
        return self.decode(H_pred), H, M

    def forward(self, xs_cond: torch.Tensor, *, n_rolls: int = 1,
                fix_indices: Sequence[int] | None = None, predictive: bool = True,
                reconst: bool = False) -> torch.Tensor:
        """Predict ``n_rolls`` frames after ``xs_cond`` (``(N, T_c, C, H, W)``).

        ``predictive=False`` rolls from the first frame instead (``T_c + n_rolls - 1``
        frames); ``reconst=True`` also returns the decoded conditioning frames first.
        As officially, ``predictive`` defaults to True here; ``loss`` uses ``self.predictive``.
        """
        return self._predict(xs_cond, n_rolls, fix_indices, predictive, reconst)[0]

    # -- step 4: the objective -------------------------------------------------------------
    def regularizers(self, H: torch.Tensor, M: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logged-only terms: ``loss_bd``, ``loss_orth`` and the LS residual ``loss_internal_T``."""
        return {"loss_bd": block_diagonalization_loss(M, alignment=self.alignment),
                "loss_orth": orthogonality_loss(M),
                "loss_internal_T": tr.transition_residual(H[:, :-1], H[:, 1:], M)}

    def loss(self, xs: torch.Tensor, *, T_cond: int = 2, reconst: bool = False,
             return_reg_loss: bool = False):
        """Prediction loss (summed over pixels) of the frames after the first ``T_cond``.

        Returns the loss, or ``(loss, regularizers)`` when ``return_reg_loss``.
        """
        _check_frames(xs, self.ch_x, self.image_size)
        if not 1 <= T_cond <= xs.shape[1]:
            raise ValueError(f"T_cond={T_cond} must lie in [1, T={xs.shape[1]}]")
        x_pred, H, M = self._predict(xs[:, :T_cond], xs.shape[1] - T_cond, None,
                                     self.predictive, reconst)
        if reconst:
            target = xs
        else:
            target = xs[:, T_cond:] if self.predictive else xs[:, 1:]
        loss = frame_sse(target, x_pred)
        return (loss, self.regularizers(H, M)) if return_reg_loss else loss


class MSPHigherOrder(MSP):
    """Second-order MSP for accelerated sequences (SeqAEHOLSTSQ, ``n_order = 2``).

    Per-step matrices ``M_t`` are fitted for each conditioning pair and one constant
    ``M`` is fitted on them (``M_{t+1} ~= M_t M``); roll-out updates ``M_{t+1} = M_t M``
    and then ``H_{t+1} = H_t M_{t+1}``. Needs ``T_cond >= n_order + 2`` (5 in the paper).
    Same arguments as ``MSP`` plus ``n_order``; ``fix_indices`` is not supported.
    """

    def __init__(self, *, dim_a: int, dim_m: int, ch_x: int = 3, k: float = 1.0,
                 kernel_size: int = 3, bottom_width: int = 4, n_blocks: int = 3,
                 predictive: bool = True, alignment: bool = False,
                 change_of_basis: bool = False, n_order: int = 2):
        super().__init__(dim_a=dim_a, dim_m=dim_m, ch_x=ch_x, k=k, kernel_size=kernel_size,
                         bottom_width=bottom_width, n_blocks=n_blocks, predictive=predictive,
                         alignment=alignment, change_of_basis=change_of_basis)
        self.n_order = n_order

    def _example_T_cond(self) -> int:
        return self.n_order + 3  # 5 for n_order = 2, as the official accelerated configs

    def transition(self, H, *, fix_indices=None):
        """``(M, Ms)``: the top-order matrix and the lower-order matrix sequences."""
        if fix_indices is not None:
            raise NotImplementedError("MSPHigherOrder does not support fix_indices (nor does the official code)")
        return tr.higher_order_transition(H, n_order=self.n_order)

    def get_M(self, xs, *, fix_indices=None):
        return self.transition(self.encode(xs), fix_indices=fix_indices)[0]

    def rollout(self, H, M, n_steps, *, predictive=True):
        M_top, Ms = M
        at = (lambda X: X[:, -1:]) if predictive else (lambda X: X[:, :1])
        return tr.higher_order_rollout([at(H)] + [at(X) for X in Ms], M_top, n_steps)

    def forward(self, xs_cond, *, n_rolls=1, fix_indices=None, predictive=True, reconst=False):
        if reconst:
            raise NotImplementedError("MSPHigherOrder has no reconstruction mode (as officially)")
        return self._predict(xs_cond, n_rolls, fix_indices, predictive, False)[0]

    def regularizers(self, H, M):
        M_top, Ms = M
        n = self.n_order
        states = [H[:, :-n]] + Ms
        pred = tr.higher_order_step(states, M_top)[0]
        return {"loss_bd": block_diagonalization_loss(M_top, alignment=self.alignment),
                "loss_orth": orthogonality_loss(M_top),
                "loss_internal_T": ((pred - H[:, n:]) ** 2).sum()}

    def loss(self, xs, *, T_cond=5, reconst=False, return_reg_loss=False):
        if reconst:
            raise NotImplementedError("MSPHigherOrder has no reconstruction mode (as officially)")
        return super().loss(xs, T_cond=T_cond, reconst=False, return_reg_loss=return_reg_loss)


class MSPFixedBlocks(MSP):
    """"MSP with fixed blocks" (SeqAEMultiLSTSQ): ``M*`` solved separately inside ``K``
    equal, fixed coordinate blocks and assembled block-diagonally. ``fix_indices`` lists
    *blocks* held at the identity. Same arguments as ``MSP`` plus ``K``.
    """

    def __init__(self, *, dim_a: int, dim_m: int, ch_x: int = 3, k: float = 1.0,
                 kernel_size: int = 3, bottom_width: int = 4, n_blocks: int = 3,
                 predictive: bool = True, alignment: bool = False,
                 change_of_basis: bool = False, K: int = 8):
        if dim_a % K:
            raise ValueError(f"dim_a={dim_a} must be divisible by the number of blocks K={K}")
        super().__init__(dim_a=dim_a, dim_m=dim_m, ch_x=ch_x, k=k, kernel_size=kernel_size,
                         bottom_width=bottom_width, n_blocks=n_blocks, predictive=predictive,
                         alignment=alignment, change_of_basis=change_of_basis)
        self.K = K

    def transition(self, H, *, fix_indices=None):
        return tr.block_transition(H[:, :-1], H[:, 1:], n_blocks=self.K, fixed_blocks=fix_indices)

    def get_blocks_of_M(self, xs: torch.Tensor) -> torch.Tensor:
        """The ``K`` diagonal blocks of ``M*``: ``(N, K, dim_a/K, dim_a/K)``."""
        M = self.get_M(xs)
        d = self.dim_a // self.K
        return torch.stack([M[:, i * d:(i + 1) * d, i * d:(i + 1) * d] for i in range(self.K)], 1)


class NeuralM(_SequenceAutoencoder):
    """"Neural M*" baseline (SeqAENeuralM): a second ResNet encoder reads the
    channel-concatenated conditioning frames and outputs ``0.01 * M`` directly.

    Officially trained with the conditioning frames reconstructed too (``reconst=True``
    throughout, ``reconst_iter = max_iteration``). Arguments as ``MSP`` plus ``T_cond``
    (frames the M-network sees; 2 in the paper).
    """

    initial_scale_M = 0.01

    def __init__(self, *, dim_a: int, dim_m: int, ch_x: int = 3, k: float = 1.0,
                 kernel_size: int = 3, bottom_width: int = 4, n_blocks: int = 3,
                 predictive: bool = True, alignment: bool = False, T_cond: int = 2):
        super().__init__(dim_a=dim_a, dim_m=dim_m, ch_x=ch_x, k=k, kernel_size=kernel_size,
                         bottom_width=bottom_width, n_blocks=n_blocks)
        self.predictive, self.alignment, self.T_cond = predictive, alignment, T_cond
        self.M_net = ResNetEncoder(in_channels=T_cond * ch_x, image_size=self.image_size,
                                   dim_latent=dim_a * dim_a, k=k, n_blocks=n_blocks,
                                   kernel_size=kernel_size)

    def _example_T_cond(self) -> int:
        return self.T_cond

    def get_M(self, xs: torch.Tensor) -> torch.Tensor:
        """``0.01 * M_net(frames stacked on channels)``: ``(N, dim_a, dim_a)``."""
        _check_frames(xs, self.ch_x, self.image_size)
        if xs.shape[1] != self.T_cond:
            raise ValueError(f"NeuralM was built for T_cond={self.T_cond} conditioning frames, got {xs.shape[1]}")
        M = self.M_net(xs.flatten(1, 2)).reshape(-1, self.dim_a, self.dim_a)
        return self.initial_scale_M * M

    def condition(self, xs_cond: torch.Tensor):
        """``(H_last, M)``: latent of the last conditioning frame and the network's ``M``."""
        return self.encode(xs_cond[:, -1:]), self.get_M(xs_cond)

    def generate(self, H: torch.Tensor, M: torch.Tensor, n_rolls: int) -> torch.Tensor:
        """Decode ``n_rolls`` steps rolled by ``M`` from the last latent of ``H``."""
        return self.decode(tr.rollout(H[:, -1:], M, n_rolls))

    def _predict(self, xs_cond, n_rolls, predictive, reconst):
        M = self.get_M(xs_cond)
        if reconst:
            H = self.encode(xs_cond)
            H_start = H[:, -1:] if predictive else H[:, :1]
        else:
            H = None
            H_start = self.encode(xs_cond[:, -1:] if predictive else xs_cond[:, :1])
        n = n_rolls if predictive else xs_cond.shape[1] + n_rolls - 1
        H_pred = tr.rollout(H_start, M, n)
        if reconst:
            H_pred = torch.cat([H if predictive else H[:, :1], H_pred], dim=1)
        return self.decode(H_pred), M

    def forward(self, xs_cond, *, n_rolls: int = 1, predictive: bool = True, reconst: bool = False):
        """Predict ``n_rolls`` frames after ``xs_cond`` (see ``MSP.forward``)."""
        return self._predict(xs_cond, n_rolls, predictive, reconst)[0]

    def loss(self, xs, *, T_cond: int = 2, reconst: bool = False, return_reg_loss: bool = False):
        """As ``MSP.loss``; the logged ``loss_internal_T`` is 0 (no least squares here)."""
        x_pred, M = self._predict(xs[:, :T_cond], xs.shape[1] - T_cond, self.predictive, reconst)
        target = xs if reconst else (xs[:, T_cond:] if self.predictive else xs[:, 1:])
        loss = frame_sse(target, x_pred)
        if not return_reg_loss:
            return loss
        return loss, {"loss_bd": block_diagonalization_loss(M, alignment=self.alignment),
                      "loss_orth": orthogonality_loss(M), "loss_internal_T": torch.zeros(())}


class NeuralMLatentPredict(NeuralM):
    """Neural M* with latents L2-normalised over the ``dim_m`` axis and optional latent /
    reconstruction losses (SeqAENeuralMLatentPredict; always predictive).

    Loss = ``loss_reconst_coeff * SSE(cond) + loss_pred_coeff * SSE(future)
    + loss_latent_coeff * ||H_pred - Phi(x_future)||^2``; terms with a zero coefficient
    are not computed (officially they are computed and multiplied by 0).
    """

    def __init__(self, *, dim_a: int, dim_m: int, ch_x: int = 3, k: float = 1.0,
                 kernel_size: int = 3, bottom_width: int = 4, n_blocks: int = 3,
                 alignment: bool = False, T_cond: int = 2, loss_latent_coeff: float = 0.0,
                 loss_pred_coeff: float = 1.0, loss_reconst_coeff: float = 0.0,
                 normalize: bool = True):
        super().__init__(dim_a=dim_a, dim_m=dim_m, ch_x=ch_x, k=k, kernel_size=kernel_size,
                         bottom_width=bottom_width, n_blocks=n_blocks, predictive=True,
                         alignment=alignment, T_cond=T_cond)
        self.loss_latent_coeff = loss_latent_coeff
        self.loss_pred_coeff = loss_pred_coeff
        self.loss_reconst_coeff = loss_reconst_coeff
        self.normalize = normalize

    def encode(self, xs):
        H = super().encode(xs)
        if self.normalize:  # unit norm of every column over the dim_m rows ("isotypic" copies)
            H = H / torch.sqrt((H ** 2).sum(dim=2, keepdim=True))
        return H

    def forward(self, xs_cond, *, n_rolls: int = 1, reconst: bool = False):
        """Predict ``n_rolls`` frames after ``xs_cond`` (with ``reconst``: the decoded
        conditioning frames first, as the official forward returns them)."""
        M = self.get_M(xs_cond)
        H = self.encode(xs_cond)
        H_pred = tr.rollout(H[:, -1:], M, n_rolls)
        return self.decode(torch.cat([H, H_pred], 1) if reconst else H_pred)

    def loss(self, xs, *, T_cond: int = 2, reconst: bool = False, return_reg_loss: bool = False):
        xs_cond, xs_target = xs[:, :T_cond], xs[:, T_cond:]
        M = self.get_M(xs_cond)
        H = self.encode(xs_cond)
        H_pred = tr.rollout(H[:, -1:], M, xs.shape[1] - T_cond)
        total = xs.new_zeros(())
        if self.loss_reconst_coeff > 0:
            total = total + self.loss_reconst_coeff * frame_sse(xs_cond, self.decode(H))
        if self.loss_pred_coeff > 0:
            total = total + self.loss_pred_coeff * frame_sse(xs_target, self.decode(H_pred))
        if self.loss_latent_coeff > 0:
            latent = ((H_pred - self.encode(xs_target)) ** 2).sum(dim=(2, 3)).mean()
            total = total + self.loss_latent_coeff * latent
        if not return_reg_loss:
            return total
        return total, {"loss_bd": block_diagonalization_loss(M, alignment=self.alignment),
                       "loss_orth": orthogonality_loss(M), "loss_internal_T": torch.zeros(())}


class NeuralTransition(_SequenceAutoencoder):
    """"Neural transition" baseline (SeqAENeuralTransition): no linear M; a position-wise
    MLP over the ``dim_m`` rows maps the last ``T_cond`` latents (``T_cond * dim_a``
    features per row) to the next ``dim_a``, autoregressively.
    """

    def __init__(self, *, dim_a: int, dim_m: int, ch_x: int = 3, k: float = 1.0,
                 kernel_size: int = 3, bottom_width: int = 4, n_blocks: int = 3,
                 T_cond: int = 2):
        super().__init__(dim_a=dim_a, dim_m=dim_m, ch_x=ch_x, k=k, kernel_size=kernel_size,
                         bottom_width=bottom_width, n_blocks=n_blocks)
        self.T_cond = T_cond
        self.ar = Conv1x1Encoder(in_channels=T_cond * dim_a, dim_out=dim_a)

    def _example_T_cond(self) -> int:
        return self.T_cond

    def get_M(self, xs: torch.Tensor) -> torch.Tensor:
        """Concatenated per-frame features ``(N, T * dim_m * dim_a)`` (for linear probes)."""
        return self.enc(xs.flatten(0, 1)).reshape(xs.shape[0], -1)

    def _step(self, H: torch.Tensor) -> torch.Tensor:
        N, T, m, a = H.shape
        feats = H.permute(0, 1, 3, 2).reshape(N, T * a, m)  # 'n t s a -> n (t a) s'
        return self.ar(feats).reshape(N, 1, a, m).transpose(-2, -1)  # 'n (t a) s -> n t s a'

    def forward(self, xs_cond, *, n_rolls: int = 1, reconst: bool = False):
        """Predict ``n_rolls`` frames after the ``T_cond`` frames ``xs_cond``."""
        if xs_cond.shape[1] != self.T_cond:
            raise ValueError(f"NeuralTransition was built for T_cond={self.T_cond} frames, got {xs_cond.shape[1]}")
        H = self.encode(xs_cond)
        preds = [H] if reconst else []
        for _ in range(n_rolls):
            H_next = self._step(H)
            preds.append(H_next)
            H = torch.cat([H[:, 1:], H_next], dim=1)
        return self.decode(torch.cat(preds, dim=1))

    def loss(self, xs, *, T_cond: int = 2, reconst: bool = False, return_reg_loss: bool = False):
        x_pred = self(xs[:, :T_cond], n_rolls=xs.shape[1] - T_cond, reconst=reconst)
        loss = frame_sse(xs if reconst else xs[:, T_cond:], x_pred)
        if not return_reg_loss:
            return loss
        zero = torch.zeros((), device=xs.device)
        return loss, {"loss_bd": zero, "loss_orth": zero, "loss_internal_T": zero}


class CPC(Model):
    """CPC baseline: an autoregressive 1x1 MLP maps the ``T_cond`` conditioning features to a
    prediction of the next one; InfoNCE against the true next feature (cosine, temp 0.01).

    Args: dim_a, dim_m (``dim_a * dim_m`` features per frame; 512 x 1 in the paper), k,
    kernel_size, n_blocks as in ``MSP``; temp, normalize, loss_type of the InfoNCE loss;
    ch_x and image_size of the frames; T_cond conditioning frames.
    """

    def __init__(self, *, dim_a: int, dim_m: int, k: float = 1.0, kernel_size: int = 3,
                 temp: float = 0.01, normalize: bool = True, loss_type: str = "cossim",
                 n_blocks: int = 3, ch_x: int = 3, image_size: int = 32, T_cond: int = 2):
        super().__init__()
        self.dim_a, self.dim_m, self.ch_x, self.image_size = dim_a, dim_m, ch_x, image_size
        self.temp, self.normalize, self.loss_type, self.T_cond = temp, normalize, loss_type, T_cond
        self.enc = ResNetEncoder(in_channels=ch_x, image_size=image_size, dim_latent=dim_a * dim_m,
                                 k=k, n_blocks=n_blocks, kernel_size=kernel_size)
        self.ar = Conv1x1Encoder(in_channels=T_cond * dim_a, dim_out=dim_a * dim_m)

    def example_inputs(self, batch_size: int = 2) -> dict:
        """Random conditioning frames ``(batch_size, T_cond, C, H, W)``."""
        g = torch.Generator().manual_seed(0)
        return {"xs_cond": torch.rand(batch_size, self.T_cond, self.ch_x, self.image_size,
                                      self.image_size, generator=g)}

    def encode(self, xs: torch.Tensor) -> torch.Tensor:
        """Frames ``(N, T, C, H, W)`` -> ``(N, T, dim_m, dim_a)``."""
        _check_frames(xs, self.ch_x, self.image_size)
        N, T = xs.shape[:2]
        return self.enc(xs.flatten(0, 1)).reshape(N, T, self.dim_m, self.dim_a)

    def get_M(self, xs: torch.Tensor) -> torch.Tensor:
        """Concatenated per-frame features ``(N, T * dim_m * dim_a)`` (for linear probes)."""
        return self.enc(xs.flatten(0, 1)).reshape(xs.shape[0], -1)

    def forward(self, xs_cond: torch.Tensor) -> torch.Tensor:
        """Context prediction ``(N, dim_m, dim_a*dim_m)`` from the ``T_cond`` frames ``xs_cond``."""
        H = self.encode(xs_cond)
        N, T, m, a = H.shape
        return self.ar(H.permute(0, 1, 3, 2).reshape(N, T * a, m)).transpose(-2, -1)

    def loss(self, xs, *, T_cond: int = 2, reconst: bool = False, return_reg_loss: bool = False):
        """InfoNCE between the prediction from ``xs[:, :T_cond]`` and the encoding of the next frame."""
        if xs.shape[1] - T_cond != 1:
            raise ValueError(f"CPC predicts exactly one frame: need T = T_cond + 1, got T={xs.shape[1]}, T_cond={T_cond}")
        H = self.encode(xs)
        N, T, m, a = H.shape
        pred = self.ar(H[:, :T_cond].permute(0, 1, 3, 2).reshape(N, T_cond * a, m)).transpose(-2, -1)
        loss = info_nce([pred.reshape(N, -1), H[:, -1].reshape(N, -1)], temperature=self.temp,
                        normalize=self.normalize, loss_type=self.loss_type)
        if not return_reg_loss:
            return loss
        zero = torch.zeros((), device=xs.device)
        return loss, {"loss_bd": zero, "loss_orth": zero, "loss_internal_T": zero}


class SimCLR(Model):
    """SimCLR baseline (ResNetwProjHead): ResNet features (no linear layer) -> 2-layer
    projection head; the frames of one sequence are the positives (official ``loop_simclr``).

    Args: dim_mlp, dim_head (projection widths, 512/512 in the configs), k, n_blocks,
    ch_x, image_size.
    """

    def __init__(self, *, dim_mlp: int = 512, dim_head: int = 128, k: float = 1.0,
                 n_blocks: int = 3, ch_x: int = 3, image_size: int = 32):
        super().__init__()
        self.ch_x, self.image_size = ch_x, image_size
        self.enc = ResNetEncoder(in_channels=ch_x, image_size=image_size, dim_latent=0, k=k,
                                 n_blocks=n_blocks)
        self.projhead = nn.Sequential(nn.Linear(self.enc.n_features, dim_mlp), nn.ReLU(),
                                      nn.Linear(dim_mlp, dim_head))

    def example_inputs(self, batch_size: int = 2) -> dict:
        """Random 3-frame sequences ``(batch_size, 3, C, H, W)``."""
        g = torch.Generator().manual_seed(0)
        return {"xs": torch.rand(batch_size, 3, self.ch_x, self.image_size, self.image_size,
                                 generator=g)}

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        """Projections ``(N, T, dim_head)`` of every frame of ``xs`` (``(N, T, C, H, W)``)."""
        _check_frames(xs, self.ch_x, self.image_size)
        N, T = xs.shape[:2]
        return self.projhead(self.enc(xs.flatten(0, 1))).reshape(N, T, -1)

    def get_M(self, xs: torch.Tensor) -> torch.Tensor:
        """Concatenated per-frame ResNet features ``(N, T * features)`` (for linear probes)."""
        return self.enc(xs.flatten(0, 1)).reshape(xs.shape[0], -1)

    def loss(self, xs: torch.Tensor, *, temperature: float = 0.01, loss_type: str = "cossim"):
        """InfoNCE with the ``T`` frames of each sequence as views (official ``loop_simclr``)."""
        zs = self(xs)
        return info_nce([zs[:, t] for t in range(zs.shape[1])], temperature=temperature,
                        loss_type=loss_type)

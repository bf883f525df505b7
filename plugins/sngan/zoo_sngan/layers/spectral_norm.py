"""Spectral normalization (Miyato et al., 2018, arXiv:1802.05957, Sec. 2.1 and Appendix A).

Each weight ``W`` is replaced by ``W_SN = W / sigma(W)`` (Eq. 8), where ``sigma(W)`` is the
largest singular value, estimated by power iteration with a persistent vector ``u``
(Algorithm 1). The matrix view of a weight is ``W.reshape(W.shape[0], -1)``: rows are output
channels for convolutions, output features for linear layers and classes for embeddings.

Two semantics are offered (``semantics=``):

``"chainer"`` (default; the official ``pfnet-research/sngan_projection`` code)
    State: ``u`` of shape ``(rows,)``, drawn from N(0, 1) and not normalized at init.
    Every forward does one power step ``v = n(u W)``, ``u' = n(v W^T)`` with
    ``n(x) = x / (||x|| + eps)``, computed without autograd, then
    ``sigma = u' W v^T`` with autograd w.r.t. ``W`` (so the gradient carries the
    ``-<g, W_SN> u' v^T / sigma`` term of Eq. 12). ``u'`` is stored in training mode only;
    in eval mode the step is taken from the stored ``u`` and not saved (as the official
    ``SNConvolution2D``). The official ``SNLinear``/``SNEmbedID`` also save ``u`` in eval
    mode; we do not copy that quirk: any single eval call gives the same output as
    the official layer started from the same ``u``, but repeated eval calls do not move it.

``"torch"`` (``torch.nn.utils.parametrizations.spectral_norm``)
    State: ``u`` ``(rows,)`` and ``v`` ``(cols,)``, normalized random at init followed by 15
    warm-up iterations. Training: ``u = n(W v)``, ``v = n(W^T u)`` (stored),
    ``sigma = u W v``; eval: no iteration, the stored vectors are used as they are.

``"none"`` (ablation switch)
    No normalization: the layer is the plain ``torch.nn`` layer (``u`` is kept, unused, so
    state dicts keep one layout). Used for the with/without-SN comparison
    (``benchmarks/sngan_claims.py``); not an official configuration.

The layers ``SNConv2d``, ``SNLinear`` and ``SNEmbedding`` are drop-in subclasses of the
``torch.nn`` layers with ``weight`` as the raw (unnormalized) parameter.

Example::

    >>> import torch
    >>> conv = SNConv2d(3, 8, 3, padding=1)
    >>> y = conv(torch.randn(2, 3, 16, 16))   # one power step, u updated (training mode)
    >>> float(conv.sigma_estimate()) > 0
    True
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "Semantics",
    "spectral_normalize",
    "SpectralNormMixin",
    "SNConv2d",
    "SNLinear",
    "SNEmbedding",
]

Semantics = Literal["chainer", "torch", "none"]
_SEMANTICS = ("chainer", "torch", "none")
_TORCH_WARMUP_ITERATIONS = 15  # what torch.nn.utils.parametrizations.spectral_norm does


def _normalize_chainer(x: Tensor, eps: float) -> Tensor:
    """``x / (||x|| + eps)``: the official ``_l2normalize`` (not ``max(||x||, eps)``)."""
    return x / (torch.linalg.vector_norm(x) + eps)


def spectral_normalize(weight_mat: Tensor, u: Tensor, *, eps: float = 1e-12,
                       n_power_iterations: int = 1) -> tuple[Tensor, Tensor]:
    """Chainer power step(s) from ``u`` and the normalized matrix ``W / sigma`` (Algorithm 1).

    ``v = n(u W)``, ``u' = n(W v)`` (no autograd), then ``sigma = u' W v`` with autograd
    w.r.t. ``W``, so ``dL/dW = (G - <G, W_SN> u' v^T) / sigma`` (Eq. 12).

    Args:
        weight_mat: ``(rows, cols)`` weight matrix (gradients flow to it).
        u: ``(rows,)`` current left-singular-vector estimate (not modified).
        eps: added to norms (official value 1e-12).
        n_power_iterations: power steps per call (official ``Ip = 1``).

    Returns:
        ``(weight_sn, u_new)``: ``W / sigma`` and the new ``u`` (detached), to be stored by
        the caller in training mode.
    """
    with torch.no_grad():
        for _ in range(n_power_iterations):
            v = _normalize_chainer(u @ weight_mat, eps)
            u = _normalize_chainer(torch.mv(weight_mat, v), eps)
    sigma = torch.dot(u, torch.mv(weight_mat, v))
    return weight_mat / sigma, u


class SpectralNormMixin:
    """Adds spectral normalization of ``self.weight`` to a ``torch.nn`` layer.

    Put it first in the bases (``class SNLinear(SpectralNormMixin, nn.Linear)``): its
    constructor takes the layer's arguments plus keyword-only ``semantics``,
    ``n_power_iterations`` and ``sn_eps``; subclasses use :meth:`normalized_weight` in
    ``forward``. Buffers: ``u`` (both semantics), ``v`` (``"torch"`` only).
    """

    weight: Tensor
    semantics: Semantics
    n_power_iterations: int
    sn_eps: float

    def __init__(self, *args, semantics: Semantics = "chainer", n_power_iterations: int = 1,
                 sn_eps: float = 1e-12, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_spectral_norm(semantics=semantics, n_power_iterations=n_power_iterations,
                                 eps=sn_eps)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, {self._sn_extra_repr()}"

    def _init_spectral_norm(self, *, semantics: Semantics, n_power_iterations: int,
                            eps: float) -> None:
        if semantics not in _SEMANTICS:
            raise ValueError(f"Unknown spectral-norm semantics {semantics!r}; "
                             f"use one of {_SEMANTICS}")
        if n_power_iterations < 1:
            raise ValueError(f"n_power_iterations must be >= 1, got {n_power_iterations}")
        self.semantics = semantics
        self.n_power_iterations = int(n_power_iterations)
        self.sn_eps = float(eps)
        rows = self.weight.shape[0]
        cols = self.weight.numel() // rows
        w = self.weight
        self.register_buffer("u", torch.empty(rows, device=w.device, dtype=w.dtype))
        if semantics == "torch":
            self.register_buffer("v", torch.empty(cols, device=w.device, dtype=w.dtype))
        self.reset_spectral_norm()

    def reset_spectral_norm(self) -> None:
        """Redraw the power-iteration state the way each semantics initializes it."""
        if self.u.is_meta:
            return
        with torch.no_grad():
            self.u.normal_()
            if self.semantics == "torch":
                w = self.weight_matrix().detach()
                self.u.copy_(F.normalize(self.u, dim=0, eps=self.sn_eps))
                self.v.normal_()
                self.v.copy_(F.normalize(self.v, dim=0, eps=self.sn_eps))
                self._torch_power_steps(w, _TORCH_WARMUP_ITERATIONS)

    def weight_matrix(self) -> Tensor:
        """The weight viewed as a ``(rows, cols)`` matrix (rows = output channels / classes)."""
        return self.weight.reshape(self.weight.shape[0], -1)

    @torch.no_grad()
    def sigma_estimate(self) -> Tensor:
        """``u W v`` from the stored state (no update): the current estimate of sigma(W)."""
        w = self.weight_matrix()
        if self.semantics == "torch":
            return torch.dot(self.u, w @ self.v)
        v = _normalize_chainer(self.u @ w, self.sn_eps)
        u = _normalize_chainer(w @ v, self.sn_eps)
        return torch.dot(u, w @ v)

    @torch.no_grad()
    def _torch_power_steps(self, w: Tensor, n: int) -> None:
        for _ in range(n):
            self.u.copy_(F.normalize(torch.mv(w, self.v), dim=0, eps=self.sn_eps))
            self.v.copy_(F.normalize(torch.mv(w.t(), self.u), dim=0, eps=self.sn_eps))

    def normalized_weight(self) -> Tensor:
        """``W / sigma(W)`` (Eq. 8), advancing the power iteration as the semantics says."""
        if self.semantics == "none":
            return self.weight
        w = self.weight_matrix()
        if self.semantics == "chainer":
            w_sn, u_new = spectral_normalize(w, self.u, eps=self.sn_eps,
                                             n_power_iterations=self.n_power_iterations)
            if self.training:
                self.u.copy_(u_new)
            return w_sn.view_as(self.weight)
        if self.training:
            self._torch_power_steps(w.detach(), self.n_power_iterations)
            # clones keep autograd's saved tensors intact when the buffers change in place
            u, v = self.u.clone(), self.v.clone()
        else:
            u, v = self.u, self.v
        sigma = torch.dot(u, torch.mv(w, v))
        return self.weight / sigma

    def _sn_extra_repr(self) -> str:
        return f"semantics={self.semantics!r}, n_power_iterations={self.n_power_iterations}"


class SNConv2d(SpectralNormMixin, nn.Conv2d):
    """``nn.Conv2d`` whose weight is spectrally normalized (official ``SNConvolution2D``).

    Args: those of ``nn.Conv2d``, plus keyword-only ``semantics`` (``"chainer"``,
    ``"torch"`` or ``"none"``), ``n_power_iterations`` (1) and ``sn_eps`` (1e-12).
    """

    def forward(self, x: Tensor) -> Tensor:
        return self._conv_forward(x, self.normalized_weight(), self.bias)


class SNLinear(SpectralNormMixin, nn.Linear):
    """``nn.Linear`` whose weight is spectrally normalized (official ``SNLinear``).

    Args: those of ``nn.Linear``, plus keyword-only ``semantics``, ``n_power_iterations``
    and ``sn_eps`` as in :class:`SNConv2d`.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.normalized_weight(), self.bias)


class SNEmbedding(SpectralNormMixin, nn.Embedding):
    """``nn.Embedding`` whose ``(num_embeddings, dim)`` table is spectrally normalized
    (official ``SNEmbedID``: the matrix rows are the classes).

    Args: those of ``nn.Embedding``, plus keyword-only ``semantics``,
    ``n_power_iterations`` and ``sn_eps`` as in :class:`SNConv2d`.
    """

    def forward(self, y: Tensor) -> Tensor:
        return F.embedding(y, self.normalized_weight(), self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

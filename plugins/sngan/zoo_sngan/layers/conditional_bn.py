"""Categorical conditional batch normalization (de Vries et al., 2017; used by the
projection-discriminator cGAN of Miyato & Koyama, 2018, arXiv:1802.05637).

The input is normalized without affine parameters (batch statistics in training, running
statistics in eval, as ``nn.BatchNorm2d``), then scaled and shifted by per-class vectors::

    out[b, c, i, j] = gamma[y_b, c] * x_hat[b, c, i, j] + beta[y_b, c]

``gammas`` and ``betas`` are ``(n_classes, C)`` tables, initialized to 1 and 0
(official ``CategoricalConditionalBatchNormalization``; Chainer BN ``eps = 2e-5``,
``decay = 0.9`` i.e. PyTorch ``momentum = 0.1``).

Class mixing (the official "category morphing", ``evaluations/gen_interpolated_images.py``)
is accepted too: ``y`` of shape ``(B, K)`` with ``weights`` ``(B, K)`` gives
``gamma = sum_k weights[b, k] * gammas[y[b, k]]`` (likewise ``beta``); a float ``y`` of shape
``(B, n_classes)`` is a per-sample mixture over all classes.

Spatial CBN (sCBN, Suzuki et al., arXiv:1811.10153): a float ``y`` of shape
``(B, n_classes, H, W)`` is a per-pixel class mixture; :meth:`class_affine` then returns
``(B, C, H, W)`` maps ``gamma[b, :, i, j] = sum_k y[b, k, i, j] * gammas[k]`` (likewise
``beta``), which :meth:`forward` applies pixel by pixel. Subclasses may override
:meth:`class_affine` to produce either form.

Example::

    >>> import torch
    >>> bn = CategoricalConditionalBatchNorm2d(8, n_classes=10)
    >>> bn(torch.randn(4, 8, 5, 5), torch.tensor([0, 3, 3, 9])).shape
    torch.Size([4, 8, 5, 5])
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo_sngan.ops.conditional_batch_norm import conditional_batch_norm

__all__ = ["CategoricalConditionalBatchNorm2d", "CHAINER_BN_EPS"]

CHAINER_BN_EPS = 2e-5  # Chainer's BatchNormalization default, used by the official code


class CategoricalConditionalBatchNorm2d(nn.Module):
    """Batch norm whose affine parameters are looked up per class.

    Args:
        num_features: channels ``C``.
        n_classes: number of classes ``K`` (rows of the ``gammas``/``betas`` tables).
        eps: variance epsilon (Chainer's 2e-5 by default).
        momentum: running-statistics momentum (PyTorch convention; Chainer decay 0.9 = 0.1).

    State: parameters ``gammas``, ``betas`` ``(n_classes, C)``; buffers ``running_mean``,
    ``running_var``, ``num_batches_tracked`` (as ``nn.BatchNorm2d``).
    """

    def __init__(self, num_features: int, *, n_classes: int, eps: float = CHAINER_BN_EPS,
                 momentum: float = 0.1) -> None:
        super().__init__()
        if n_classes < 1:
            raise ValueError(f"n_classes must be >= 1 for a conditional BN, got {n_classes}")
        self.num_features = num_features
        self.n_classes = n_classes
        self.eps = eps
        self.momentum = momentum
        self.gammas = nn.Parameter(torch.ones(n_classes, num_features))
        self.betas = nn.Parameter(torch.zeros(n_classes, num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def reset_parameters(self) -> None:
        """gammas = 1, betas = 0, running statistics reset."""
        nn.init.ones_(self.gammas)
        nn.init.zeros_(self.betas)
        self.running_mean.zero_()
        self.running_var.fill_(1)
        self.num_batches_tracked.zero_()

    def normalize(self, x: Tensor) -> Tensor:
        """``x_hat``: batch norm without affine (batch stats in training, running in eval)."""
        if self.training:
            self.num_batches_tracked.add_(1)
        return F.batch_norm(x, self.running_mean, self.running_var, None, None,
                            self.training, self.momentum, self.eps)

    def class_affine(self, y: Tensor, weights: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Per-sample ``(gamma, beta)``, each ``(B, C)`` (or ``(B, C, H, W)``), for labels ``y``.

        Args:
            y: ``(B,)`` integer labels; or ``(B, K)`` integer labels mixed by ``weights``
                ``(B, K)``; or a float ``(B, n_classes)`` mixture over all classes; or a float
                ``(B, n_classes, H, W)`` per-pixel mixture (spatial CBN): then ``gamma`` and
                ``beta`` are ``(B, C, H, W)`` maps.
            weights: mixing weights for ``(B, K)`` integer labels.

        Raises:
            ValueError: unsupported shapes. (Label range is checked once by the generator.)
        """
        if y.is_floating_point():
            if y.dim() not in (2, 4) or y.shape[1] != self.n_classes or weights is not None:
                raise ValueError(f"A float y is a class mixture of shape (B, {self.n_classes}), or "
                                 f"per pixel (B, {self.n_classes}, H, W) (without weights); got "
                                 f"{tuple(y.shape)}")
            if y.dim() == 4:  # spatial CBN (arXiv:1811.10153 Eq. 2): per-pixel mixtures
                y = y.to(self.gammas.dtype)
                return (torch.einsum("bkhw,kc->bchw", y, self.gammas),
                        torch.einsum("bkhw,kc->bchw", y, self.betas))
            return y @ self.gammas, y @ self.betas
        if y.dim() == 1 and weights is None:
            return self.gammas[y], self.betas[y]
        if y.dim() == 2 and weights is not None and weights.shape == y.shape:
            w = weights.to(self.gammas.dtype).unsqueeze(-1)  # (B, K, 1)
            return (w * self.gammas[y]).sum(1), (w * self.betas[y]).sum(1)
        raise ValueError(f"Expected labels (B,), or labels (B, K) with weights (B, K); got "
                         f"y {tuple(y.shape)} and weights "
                         f"{None if weights is None else tuple(weights.shape)}")

    def forward(self, x: Tensor, y: Tensor, weights: Tensor | None = None) -> Tensor:
        """Normalize ``x`` (B, C, H, W) and apply the affine of class(es) ``y``.

        Runs the fused op :func:`zoo_sngan.ops.conditional_batch_norm` (Triton on CUDA,
        PyTorch reference elsewhere); ``(B, C, H, W)`` affine maps from subclasses use the
        reference.
        """
        gamma, beta = self.class_affine(y, weights)
        if gamma.dim() == 4 and gamma.shape[2:] != x.shape[2:]:
            raise ValueError(f"A per-pixel class map must match the features: expected "
                             f"(B, {self.n_classes}, {x.shape[2]}, {x.shape[3]}), got (B, "
                             f"{self.n_classes}, {gamma.shape[2]}, {gamma.shape[3]})")
        if self.training:
            self.num_batches_tracked.add_(1)
        return conditional_batch_norm(x, gamma, beta, self.running_mean, self.running_var,
                                      training=self.training, momentum=self.momentum,
                                      eps=self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, n_classes={self.n_classes}, eps={self.eps}, "
                f"momentum={self.momentum}")

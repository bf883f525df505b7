"""The SSDRL losses (``attacks.wrm_loss``, ``attacks.sswrm_loss`` of pfnet-research/ssdrl).

* :func:`wrm_loss` (labelled, Eq. 6-7 of arXiv:1905.13021): mean CE at the WRM adversarial
  inputs of the true labels.
* :func:`sswrm_loss` (unlabelled, ``R_SSAR`` of Eq. 10): the candidate labels of each example
  are the classes sorted by the current logits (descending when ``lamb < 0``, the optimistic
  soft-min); for each of the first ``max_classes`` candidates ``y_k`` the WRM attack gives
  ``x'_k`` and ``phi_k = CE(f(x'_k), y_k) - gamma/2 ||x'_k - x||^2``; the loss is
  ``mean_n sum_k w_nk CE(f(x'_k), y_k)`` with ``w_n = softmax_k(lamb * phi_nk)`` held fixed
  (Algorithm 1's ``q_n(y)``). ``max_classes=1`` is Fast-SSDRL (the arg-max label, weight 1).

All candidates of a batch go through the network together, as one ``[K * B, ...]`` batch per
attack step (``batched=True``); BN layers in training mode then normalise each candidate's
copy of the batch with its own statistics (:func:`zoo_ssdrl.attacks.batch_stats`), so the
result equals the official loop over candidates. ``batched=False`` runs that loop (reference
and benchmark).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo_ssdrl.attacks import batch_stats, kl_logits, square_cost, vat_attack, wrm_attack

__all__ = ["wrm_loss", "sswrm_loss", "candidate_labels", "vat_loss"]


def wrm_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, gamma: float, alpha: float = 1.0,
             steps: int = 5, clip: bool = True) -> torch.Tensor:
    """Mean CE of ``model`` at the WRM adversarial inputs of ``(x, y)``."""
    x_adv = wrm_attack(model, x, y, gamma=gamma, alpha=alpha, steps=steps, clip=clip)
    return F.cross_entropy(model(x_adv), y)


def candidate_labels(logits: torch.Tensor, lamb: float, max_classes: int | None = None) -> torch.Tensor:
    """``[K, B]`` candidate labels: classes by logit, descending for ``lamb < 0`` (official
    ``argsort`` reversed), ascending otherwise; the first ``max_classes`` (default all)."""
    order = torch.argsort(logits, dim=1, descending=lamb < 0)
    k = logits.shape[1] if max_classes is None else int(max_classes)
    if not 1 <= k <= logits.shape[1]:
        raise ValueError(f"max_classes must be in 1..{logits.shape[1]}, got {max_classes!r}")
    return order[:, :k].T.contiguous()


def sswrm_loss(model: nn.Module, x: torch.Tensor, *, gamma: float, alpha: float = 1.0, steps: int = 5,
               lamb: float = -1.0, clip: bool = True, max_classes: int | None = None,
               batched: bool = True, return_parts: bool = False):
    """``R_SSAR`` of the unlabelled batch ``x`` (a scalar; with ``return_parts`` also
    ``(weights [K, B], ce [K, B], x_adv [K, B, ...])``)."""
    with torch.no_grad(), batch_stats(model):
        labels = candidate_labels(model(x), lamb, max_classes)  # [K, B]
    k, b = labels.shape
    if batched:
        xs = x.detach().unsqueeze(0).expand(k, *x.shape).reshape(k * b, *x.shape[1:])
        with batch_stats(model, groups=k):
            x_adv = wrm_attack(model, xs, labels.reshape(-1), gamma=gamma, alpha=alpha, steps=steps, clip=clip)
            logits = model(x_adv)
        ce = F.cross_entropy(logits, labels.reshape(-1), reduction="none").view(k, b)
        cost = square_cost(x_adv, xs).view(k, b)
        x_adv = x_adv.view(k, *x.shape)
    else:
        with batch_stats(model):
            advs = [wrm_attack(model, x, labels[i], gamma=gamma, alpha=alpha, steps=steps, clip=clip)
                    for i in range(k)]
            ce = torch.stack([F.cross_entropy(model(a), labels[i], reduction="none") for i, a in enumerate(advs)])
        cost = torch.stack([square_cost(a, x) for a in advs])
        x_adv = torch.stack(advs)
    weights = torch.softmax(lamb * (ce - gamma * cost).detach(), dim=0)
    loss = (weights * ce).sum(0).mean()
    return (loss, (weights, ce.detach(), x_adv)) if return_parts else loss


def vat_loss(model: nn.Module, x: torch.Tensor, *, eps: float, steps: int = 1, xi: float = 1e-6,
             clip: bool = True) -> torch.Tensor:
    """Mean ``KL(f(x) || f(x_vadv))`` with the clean prediction held fixed (official
    ``virtual_adversarial_loss``, ``stop_grad=True``)."""
    logits = model(x)
    x_adv = vat_attack(model, x, logits, eps=eps, steps=steps, xi=xi, clip=clip)
    return kl_logits(logits.detach(), model(x_adv)).mean()

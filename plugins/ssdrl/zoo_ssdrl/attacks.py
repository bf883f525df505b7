"""The attacks of pfnet-research/ssdrl (``attacks.py``), batched.

* :func:`wrm_attack`: the inner maximisation of the Lagrangian surrogate
  ``phi_gamma(x, y) = sup_x' CE(f(x'), y) - gamma * c(x', x)``, ``c = 1/2 ||x' - x||^2``
  (Sinha et al.'s WRM): ``steps`` ascent steps of size ``alpha / gamma / (t + 1)`` on the
  batch-summed ``phi``, each followed by clipping to [-1, 1] when ``clip``. No random start:
  deterministic given weights and batch.
* :func:`pgm_l2_attack`: L2 projected gradient (``adversarial_attack``): steps along the
  per-example normalised gradient of the mean CE, then a projection. ``projection="ball"``
  (default) is the usual projection onto the ball ``||x' - x|| <= eps``; ``"sphere"`` is the
  official ``_projection``, which puts every iterate exactly on the sphere ``||x' - x|| = eps``.
  The official evaluation step is ``eps / (1 + ln steps) * 0.1`` (:func:`official_pgm_step`):
  it is the default with the sphere projection, which starts every iterate on the sphere. With
  the ball projection that step leaves the iterates deep inside the ball (15 steps travel at
  most 0.4 eps), a weak attack (digits: error 0.19 at eps 1 against 0.52-0.54 for torchattacks'
  PGDL2, ``benchmarks/ssdrl_pgm_crosscheck.py``), so the ball's default step is the usual
  ``2.5 eps / steps`` (Madry et al. 2018, :func:`ball_pgm_step`).
* :func:`vat_attack`: the virtual adversarial direction (``virtual_adversarial_attack``).
* :func:`batch_stats`: BN layers normalise with batch statistics of each group of a batch and
  leave their running averages alone (the official ``user_update_bn_stats=False``); with
  ``groups=K`` a batch of K stacked copies behaves as K separate official forward passes.
"""

from __future__ import annotations

import contextlib
import math
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["wrm_attack", "pgm_l2_attack", "vat_attack", "official_pgm_step", "ball_pgm_step", "batch_stats",
           "square_cost", "l2_normalize", "PROJECTIONS"]

PROJECTIONS = ("ball", "sphere")


def square_cost(x_adv: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-example transport cost ``1/2 ||x_adv - x||^2`` (official ``transport_costs.square``)."""
    return 0.5 * (x_adv - x).flatten(1).square().sum(1)


def l2_normalize(d: torch.Tensor) -> torch.Tensor:
    """``d / (||d|| + 1e-6)`` per example (official ``_normalize``)."""
    norm = d.flatten(1).norm(dim=1).view(-1, *([1] * (d.dim() - 1)))
    return d / (norm + 1e-6)


def _check(x: torch.Tensor, y: torch.Tensor | None = None) -> None:
    if not torch.is_tensor(x) or not x.is_floating_point() or x.dim() < 2 or x.shape[0] == 0:
        raise ValueError(f"attacks take a non-empty float batch [B, ...], got "
                         f"{tuple(x.shape) if torch.is_tensor(x) else type(x).__name__}")
    if y is not None and (y.shape != x.shape[:1] or y.dtype != torch.long):
        raise ValueError(f"labels must be a long tensor [B] = [{x.shape[0]}], got {y.dtype} {tuple(y.shape)}")


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")


def wrm_attack(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, gamma: float, alpha: float = 1.0,
               steps: int = 5, clip: bool = True, return_phis: bool = False):
    """Adversarial inputs ``x'`` (detached) for labels ``y``; with ``return_phis`` also the
    batch-summed ``phi`` before each step (the official ``return_phis``)."""
    _check(x, y)
    _positive("gamma", gamma)
    x0 = x.detach()
    x_adv, phis = x0.clone(), []
    for t in range(int(steps)):
        x_adv.requires_grad_(True)
        phi = F.cross_entropy(model(x_adv), y, reduction="sum") - gamma * square_cost(x_adv, x0).sum()
        grad, = torch.autograd.grad(phi, x_adv)
        phis.append(phi.detach())
        x_adv = x_adv.detach() + (alpha / gamma / (t + 1)) * grad
        if clip:
            x_adv = x_adv.clamp(-1.0, 1.0)
    x_adv = x_adv.detach()
    return (x_adv, phis) if return_phis else x_adv


def official_pgm_step(eps: float, steps: int) -> float:
    """The step of the official ``calc_adv_loss_pgm_l2.py``: ``eps / (1 + ln steps) * 0.1``."""
    return eps / (1 + math.log(steps)) * 0.1


def ball_pgm_step(eps: float, steps: int) -> float:
    """The default step with the ball projection: ``2.5 eps / steps`` (Madry et al. 2018), so the
    iterates can reach the boundary and move along it."""
    return 2.5 * eps / steps


def _project(x0: torch.Tensor, x_adv: torch.Tensor, eps: float, projection: str) -> torch.Tensor:
    delta = x_adv - x0
    if projection == "sphere":
        return x0 + eps * l2_normalize(delta)
    norm = delta.flatten(1).norm(dim=1).view(-1, *([1] * (delta.dim() - 1)))
    return x0 + delta * torch.clamp(eps / norm.clamp_min(1e-12), max=1.0)


def pgm_l2_attack(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, steps: int = 15,
                  step_size: float | None = None, projection: str = "ball", clip: bool = True) -> torch.Tensor:
    """L2 PGM adversarial inputs (detached); ``step_size`` defaults to :func:`ball_pgm_step` with the
    ball projection and to :func:`official_pgm_step` with the official sphere projection."""
    _check(x, y)
    _positive("eps", eps)
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
    default = ball_pgm_step if projection == "ball" else official_pgm_step
    step = default(eps, max(int(steps), 1)) if step_size is None else step_size
    x0 = x.detach()
    x_adv = x0.clone()
    for _ in range(int(steps)):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        grad, = torch.autograd.grad(loss, x_adv)
        x_adv = _project(x0, x_adv.detach() + step * l2_normalize(grad), eps, projection)
        if clip:
            x_adv = x_adv.clamp(-1.0, 1.0)
    return x_adv.detach()


def kl_logits(p_logit: torch.Tensor, q_logit: torch.Tensor) -> torch.Tensor:
    """Per-example ``KL(softmax p || softmax q)`` (official ``kl_categorical``)."""
    return (F.softmax(p_logit, 1) * (F.log_softmax(p_logit, 1) - F.log_softmax(q_logit, 1))).sum(1)


def vat_attack(model: nn.Module, x: torch.Tensor, logits: torch.Tensor, *, eps: float, steps: int = 1,
               xi: float = 1e-6, clip: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
    """Virtual adversarial inputs: per step a random unit ``d``, the gradient of
    ``mean KL(f(x) || f(x + xi d))`` at ``x + xi d``, a step of ``eps`` along it, the official
    sphere projection and clipping."""
    _check(x)
    x0, x_adv, logits = x.detach(), x.detach(), logits.detach()
    for _ in range(int(steps)):
        d = l2_normalize(torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device))
        x_d = (x_adv + xi * d).requires_grad_(True)
        grad, = torch.autograd.grad(kl_logits(logits, model(x_d)).mean(), x_d)
        x_adv = _project(x0, x_adv + eps * l2_normalize(grad), eps, "sphere")
        if clip:
            x_adv = x_adv.clamp(-1.0, 1.0)
    return x_adv.detach()


def _grouped_bn(bn: nn.modules.batchnorm._BatchNorm, groups: int, x: torch.Tensor) -> torch.Tensor:
    if x.shape[0] % groups:
        raise ValueError(f"a batch of {x.shape[0]} cannot be split into {groups} equal groups")
    g = x.reshape(groups, x.shape[0] // groups, *x.shape[1:])
    dims = (1, *range(3, g.dim()))
    mean = g.mean(dims, keepdim=True)
    var = g.var(dims, unbiased=False, keepdim=True)
    shape = (1, 1, -1) + (1,) * (g.dim() - 3)
    out = (g - mean) / torch.sqrt(var + bn.eps)
    if bn.affine:
        out = out * bn.weight.view(shape) + bn.bias.view(shape)
    return out.reshape(x.shape)


@contextlib.contextmanager
def batch_stats(model: nn.Module, groups: int = 1) -> Iterator[None]:
    """Within the block, BN layers in training mode use each group's batch statistics and do
    not update their running averages (layers in eval mode keep using the averages)."""
    patched = []
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training:
            patched.append((m, m.__dict__.get("forward")))
            m.forward = lambda x, m=m: _grouped_bn(m, groups, x)
    try:
        yield
    finally:
        for m, previous in reversed(patched):
            if previous is None:
                del m.forward
            else:
                m.forward = previous

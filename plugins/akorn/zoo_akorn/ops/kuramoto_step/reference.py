"""Pure-PyTorch reference of one Kuramoto update step: the specification the kernel matches.

One step of ``KLayer`` in the official code (arXiv:2410.13821: the vector-valued Kuramoto update, discretised),
for a state ``x`` whose last axis holds ``C = K * n`` channels, i.e. ``K`` oscillators of
``n`` consecutive channels, each on the unit sphere ``S^{n-1}``::

    d_i      = <x_i, y_i>                          # y = J(x) + c, computed by the caller
    p_i      = y_i - d_i x_i                       # projection onto the tangent space of x_i
    dxdt_i   = Omega_i x_i + p_i                   # Kuramoto update
    x_i'     = (x_i + gamma dxdt_i) / max(||x_i + gamma dxdt_i||, 1e-12)
    e_i      = -d_i                                # energy term of oscillator i (no 1/2)

``Omega x`` pairs channels ``(2k, 2k+1)`` along the whole channel axis:
``(Omega x)_{2k} = w_k x_{2k+1}``, ``(Omega x)_{2k+1} = -w_k x_{2k}``.
``omega_identity=True`` reproduces the official quirk for ``use_omega=False``, where the
``Omega`` module is ``nn.Identity`` and ``Omega x = x``. ``project=False`` is the official
ablation without projection (``p = y``). The order of the floating-point operations
follows the official code so that outputs agree to rounding.
"""

from __future__ import annotations

import torch
from torch import Tensor

EPS = 1e-12


def rotate_pairs(x: Tensor, omega: Tensor) -> Tensor:
    """``Omega x`` for per-pair frequencies ``omega`` (shape ``[C // 2]``) and ``x`` of shape ``[..., C]``."""
    signed = torch.stack([omega, -omega], dim=-1).flatten().to(x.dtype)  # (w_0, -w_0, w_1, -w_1, ...)
    return x.unflatten(-1, (-1, 2)).flip(-1).flatten(-2) * signed          # (w x_1, -w x_0, ...)


def check_inputs(x: Tensor, y: Tensor, *, n: int, gamma: Tensor | float, omega: Tensor | None = None,
                 omega_identity: bool = False, project: bool = True) -> None:
    """Raise ``ValueError`` unless the arguments fit ``kuramoto_step`` (the op checks them here, once)."""
    if x.shape != y.shape:
        raise ValueError(f"kuramoto_step: x and y must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    C = x.shape[-1]
    if n < 1 or C % n:
        raise ValueError(f"kuramoto_step: the channel count {C} is not a multiple of the oscillator dimension n={n}")
    if omega is not None:
        if omega_identity:
            raise ValueError("kuramoto_step: pass either omega or omega_identity=True, not both")
        if n % 2:
            raise ValueError(f"kuramoto_step: omega needs an even oscillator dimension, got n={n}")
        if omega.shape != (C // 2,):
            raise ValueError(f"kuramoto_step: omega must have shape [{C // 2}] (one frequency per channel pair), got {tuple(omega.shape)}")


def kuramoto_step_reference(
    x: Tensor,
    y: Tensor,
    *,
    n: int,
    gamma: Tensor | float,
    omega: Tensor | None = None,
    omega_identity: bool = False,
    project: bool = True,
) -> tuple[Tensor, Tensor]:
    """One Kuramoto step. See the module docstring for the formula.

    Args:
        x: current state, ``[..., C]``, unit-norm oscillators of ``n`` consecutive channels.
        y: the coupling plus stimulus ``J(x) + c``, same shape as ``x``.
        n: oscillator dimension (channels per oscillator).
        gamma: step size (a float or a one-element tensor, possibly trainable).
        omega: per-pair natural frequencies ``[C // 2]`` or None.
        omega_identity: use ``Omega x = x`` (the official ``use_omega=False`` behaviour).
        project: project ``y`` onto the tangent space (False = official ablation).

    Returns:
        ``(x_next, energy)``: the normalised new state ``[..., C]`` and the energy of each
        oscillator ``[..., C // n]`` (``-<x_i, y_i>``, computed with the pre-update ``x``).
    """
    xs = x.unflatten(-1, (-1, n))
    ys = y.unflatten(-1, (-1, n))
    dot = (xs * ys).sum(-1, keepdim=True)                       # <x_i, y_i>
    p = torch.addcmul(ys, dot, xs, value=-1) if project else ys  # y - <x, y> x
    p = p.flatten(-2)
    if omega_identity:
        dxdt = x + p
    elif omega is not None:
        dxdt = rotate_pairs(x, omega) + p
    else:
        dxdt = p
    if not isinstance(gamma, Tensor):
        gamma = torch.tensor(float(gamma), dtype=x.dtype, device=x.device)
    v = torch.addcmul(x, gamma, dxdt).unflatten(-1, (-1, n))    # x + gamma dxdt
    norm = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
    x_next = (v / norm.clamp_min(EPS)).flatten(-2)
    return x_next, -dot.squeeze(-1)


__all__ = ["check_inputs", "kuramoto_step_reference", "rotate_pairs", "EPS"]

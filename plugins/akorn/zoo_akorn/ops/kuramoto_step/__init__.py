"""The fused Kuramoto update step: ``kuramoto_step(x, y, *, n, gamma, ...)``.

Dispatch: ``impl=None`` uses the environment variable ``ZOO_OPS_IMPL`` when set, else the
Triton kernel when every tensor argument is on CUDA and Triton imports, else the PyTorch
reference. ``impl="reference"`` / ``impl="triton"`` force one. Triton is imported lazily,
only when the kernel path is taken.

Example::

    import torch
    from zoo_akorn.ops import kuramoto_step
    x = torch.nn.functional.normalize(torch.randn(2, 16, 8).unflatten(-1, (2, 4)), dim=-1).flatten(-2)
    x_next, energy = kuramoto_step(x, torch.randn(2, 16, 8), n=4, gamma=1.0)
"""

from __future__ import annotations

import os

import torch
from torch import Tensor

from zoo_core.ops import Op

from zoo_akorn.ops.kuramoto_step.reference import kuramoto_step_reference

IMPLS = ("reference", "triton")

# the op in the core's form, for the core's tools (``zoo_core.ops.bench``); call kuramoto_step below
OP = Op(name="kuramoto_step", reference=kuramoto_step_reference,
        triton="zoo_akorn.ops.kuramoto_step.function:kuramoto_step_triton")


def _resolve_impl(impl: str | None, tensors: list[Tensor]) -> str:
    if impl is None:
        impl = os.environ.get("ZOO_OPS_IMPL") or None
    if impl is None:
        if all(t.is_cuda for t in tensors):
            try:
                import triton  # noqa: F401
            except ImportError:
                return "reference"
            return "triton"
        return "reference"
    if impl not in IMPLS:
        raise ValueError(f"kuramoto_step: impl={impl!r} is not one of {IMPLS} (or None for automatic dispatch)")
    return impl


def kuramoto_step(
    x: Tensor,
    y: Tensor,
    *,
    n: int,
    gamma: Tensor | float,
    omega: Tensor | None = None,
    omega_identity: bool = False,
    project: bool = True,
    impl: str | None = None,
) -> tuple[Tensor, Tensor]:
    """One Kuramoto step: tangent projection, Omega, Euler step, normalisation, energy.

    Args:
        x: state ``[..., C]`` (``C = K * n``; oscillator ``i`` = channels ``i*n .. i*n+n-1``).
        y: ``J(x) + c``, same shape as ``x``.
        n: channels per oscillator.
        gamma: step size (float or one-element tensor; gradients flow to a tensor).
        omega: per-pair natural frequencies, shape ``[C // 2]`` (needs even ``n``), or None.
        omega_identity: the official ``use_omega=False`` quirk (``Omega x = x``).
        project: tangent-space projection (False = official ablation).
        impl: ``None`` (automatic), ``"reference"`` or ``"triton"``.

    Returns:
        ``(x_next [..., C], energy [..., C // n])``.

    Raises:
        ValueError: on shape mismatches, a channel count not divisible by ``n``, an odd
            ``n`` with ``omega``, or an unknown ``impl``.
    """
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
    tensors = [x, y] + [t for t in (omega, gamma) if isinstance(t, Tensor)]
    if _resolve_impl(impl, tensors) == "reference":
        return kuramoto_step_reference(x, y, n=n, gamma=gamma, omega=omega,
                                       omega_identity=omega_identity, project=project)
    from zoo_akorn.ops.kuramoto_step.function import kuramoto_step_triton

    return kuramoto_step_triton(x, y, n=n, gamma=gamma, omega=omega,
                                omega_identity=omega_identity, project=project)


__all__ = ["kuramoto_step", "kuramoto_step_reference", "IMPLS", "OP"]

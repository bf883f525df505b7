"""The fused Kuramoto update step: ``kuramoto_step(x, y, *, n, gamma, ...)``.

Layout (the core's op form, ``zoo_core.ops.Op``): ``reference.py`` (the spec and the input
check), ``kernels.py`` (Triton), ``function.py`` (launchers, autograd Function),
``checks.py`` (kernel vs reference under ``TRITON_INTERPRET=1``); ``OP`` ties them together.

Dispatch (the core's rule): ``impl="reference"`` / ``impl="triton"`` force one; ``impl=None``
uses the environment variable ``ZOO_OPS_IMPL`` when set, else the Triton kernel when every
tensor argument is on CUDA, ``n <= MAX_N`` and Triton imports, else the PyTorch reference.
Triton is imported lazily, only when the kernel path is taken.

Example::

    import torch
    from zoo_akorn.ops import kuramoto_step
    x = torch.nn.functional.normalize(torch.randn(2, 16, 8).unflatten(-1, (2, 4)), dim=-1).flatten(-2)
    x_next, energy = kuramoto_step(x, torch.randn(2, 16, 8), n=4, gamma=1.0)
"""

from __future__ import annotations

import torch
from torch import Tensor

from zoo_core.ops import Op

from zoo_akorn.ops.kuramoto_step.reference import check_inputs, kuramoto_step_reference

MAX_N = 1024
"""Largest oscillator dimension the kernel holds in one program (larger ones run on the reference)."""


def _triton_unsupported(x: Tensor, y: Tensor, *, n: int, **settings) -> str | None:
    return None if n <= MAX_N else f"the kernel holds oscillators of up to n={MAX_N} channels, got n={n}"


def _example() -> tuple[tuple, dict]:
    x = torch.nn.functional.normalize(torch.randn(2, 3, 2, 4), dim=-1).flatten(-2)
    return (x, torch.randn(2, 3, 8)), dict(n=4, gamma=torch.tensor([0.5]), omega=torch.rand(4))


OP = Op("kuramoto_step", reference=kuramoto_step_reference,
        triton="zoo_akorn.ops.kuramoto_step.function:kuramoto_step_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported, example=_example)


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
            ``n`` with ``omega``.
        zoo_core.ops.OpDispatchError (a ValueError): an unknown ``impl``, or the Triton kernel
            forced for CPU tensors without ``TRITON_INTERPRET=1`` or for ``n > MAX_N``.
        zoo_core.ops.TritonUnavailableError: the Triton kernel forced without Triton.
    """
    return OP(x, y, n=n, gamma=gamma, omega=omega, omega_identity=omega_identity, project=project, impl=impl)


__all__ = ["MAX_N", "OP", "kuramoto_step", "kuramoto_step_reference"]

"""``lstsq_transition``: batched least-squares transition matrix + one application.

    M, P = lstsq_transition(H0, H1, Z)     # M: (B, a, a), P = Z @ M: (B, S, a)

``H0, H1`` are ``(B, R, a)`` row-stacked latent pairs, ``Z`` (optional) ``(B, S, a)``.
Layout (the core's op form, ``zoo_core.ops.Op``): ``reference.py`` (PyTorch, the spec and the
input check), ``kernels.py`` (fused Triton kernels), ``function.py`` (autograd Function),
``checks.py`` (kernels vs reference under ``TRITON_INTERPRET=1``); ``OP`` ties them together.

``impl``: ``"reference"``, ``"triton"`` or ``None``: the env var ``ZOO_OPS_IMPL`` if set, else
``"triton"`` when every tensor is a float32 CUDA tensor, ``dim_a <= MAX_DIM_A`` and triton
imports, else ``"reference"``. Triton is imported only when the Triton path runs.

Example::

    >>> import torch
    >>> from zoo_msp.ops.lstsq_transition import lstsq_transition
    >>> H0 = torch.randn(4, 32, 8); Mtrue = torch.randn(4, 8, 8)
    >>> M, P = lstsq_transition(H0, H0 @ Mtrue, H0[:, :2])
    >>> bool(torch.allclose(M, Mtrue, atol=1e-3))
    True
"""

from __future__ import annotations

import torch

from zoo_core.ops import Op

from zoo_msp.ops.lstsq_transition.reference import check_inputs, lstsq_transition_reference

__all__ = ["MAX_DIM_A", "OP", "lstsq_transition", "lstsq_transition_reference"]

MAX_DIM_A = 64
"""Largest latent size the kernels hold (a dim_a x dim_a system in registers)."""


def _triton_unsupported(H0: torch.Tensor, H1: torch.Tensor, Z: torch.Tensor | None = None) -> str | None:
    for name, t in (("H0", H0), ("H1", H1), ("Z", Z)):
        if t is not None and t.dtype != torch.float32:
            return f"the kernel computes in float32 and {name} is {t.dtype}: cast it"
    if H0.shape[-1] > MAX_DIM_A:
        return (f"the kernel keeps a dim_a x dim_a system in registers and supports dim_a <= {MAX_DIM_A}; "
                f"got dim_a={H0.shape[-1]}")
    return None


OP = Op("lstsq_transition", reference=lstsq_transition_reference,
        triton="zoo_msp.ops.lstsq_transition.function:lstsq_transition_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported,
        example=lambda: ((torch.randn(2, 9, 3), torch.randn(2, 9, 3), torch.randn(2, 4, 3)), {}))


def lstsq_transition(H0: torch.Tensor, H1: torch.Tensor, Z: torch.Tensor | None = None, *,
                     impl: str | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Least-squares transition ``M = argmin ||H0 M - H1||`` per batch element, and ``Z @ M``.

    Args:
        H0, H1: ``(B, R, a)`` latents at times t and t+1, rows stacked.
        Z: optional ``(B, S, a)`` latents to advance by one step.
        impl: ``"reference"``, ``"triton"`` or ``None`` (automatic).

    Returns:
        ``(M, P)`` with ``M`` of shape ``(B, a, a)`` and ``P = Z @ M`` (``None`` without ``Z``).

    Raises:
        ValueError: wrong shapes.
        zoo_core.ops.OpDispatchError (a ValueError): an unknown ``impl``, or the Triton path
            forced for CPU tensors without ``TRITON_INTERPRET=1``, non-float32 tensors or
            ``dim_a > MAX_DIM_A``.
        zoo_core.ops.TritonUnavailableError: the Triton path forced without Triton.
    """
    return OP(H0, H1, Z, impl=impl)

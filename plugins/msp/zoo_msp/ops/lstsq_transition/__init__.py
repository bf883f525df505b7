"""``lstsq_transition``: batched least-squares transition matrix + one application.

    M, P = lstsq_transition(H0, H1, Z)     # M: (B, a, a), P = Z @ M: (B, S, a)

``H0, H1`` are ``(B, R, a)`` row-stacked latent pairs, ``Z`` (optional) ``(B, S, a)``.
``impl``: ``"reference"`` (PyTorch, ``reference.py``), ``"triton"`` (fused kernels,
``kernels.py``) or ``None``: the env var ``ZOO_OPS_IMPL`` if set, else ``"triton"`` when
every tensor is a float32 CUDA tensor, ``dim_a <= 64`` and triton imports, else
``"reference"``. Triton is imported only when the Triton path runs.

Example::

    >>> import torch
    >>> from zoo_msp.ops.lstsq_transition import lstsq_transition
    >>> H0 = torch.randn(4, 32, 8); Mtrue = torch.randn(4, 8, 8)
    >>> M, P = lstsq_transition(H0, H0 @ Mtrue, H0[:, :2])
    >>> bool(torch.allclose(M, Mtrue, atol=1e-3))
    True
"""

from __future__ import annotations

import os

import torch

from zoo_msp.ops.lstsq_transition.reference import lstsq_transition_reference

__all__ = ["lstsq_transition", "resolve_impl"]

_IMPLS = ("reference", "triton")


def _triton_available() -> bool:
    try:
        import triton  # noqa: F401
    except Exception:
        return False
    return True


def resolve_impl(impl: str | None, *tensors: torch.Tensor | None) -> str:
    """Pick the implementation (see the module docstring); raises ``ValueError`` on unknown names."""
    if impl is None:
        impl = os.environ.get("ZOO_OPS_IMPL") or None
    if impl is None:
        ts = [t for t in tensors if t is not None]
        use_triton = (all(t.is_cuda and t.dtype == torch.float32 for t in ts)
                      and ts[0].shape[-1] <= 64 and _triton_available())
        return "triton" if use_triton else "reference"
    if impl not in _IMPLS:
        raise ValueError(f"unknown impl {impl!r} for lstsq_transition; choose one of {_IMPLS} or None")
    return impl


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
        ValueError: wrong shapes or an unknown ``impl``.
        TypeError: the Triton path was asked for with non-float32 tensors.
    """
    if H0.dim() != 3 or H0.shape != H1.shape:
        raise ValueError(f"H0 and H1 must both be (B, R, a) with equal shapes; got "
                         f"{tuple(H0.shape)} and {tuple(H1.shape)}")
    if Z is not None and (Z.dim() != 3 or Z.shape[0] != H0.shape[0] or Z.shape[2] != H0.shape[2]):
        raise ValueError(f"Z must be (B={H0.shape[0]}, S, a={H0.shape[2]}); got {tuple(Z.shape)}")
    if resolve_impl(impl, H0, H1, Z) == "reference":
        return lstsq_transition_reference(H0, H1, Z)
    from zoo_msp.ops.lstsq_transition.function import LstsqTransitionFunction

    return LstsqTransitionFunction.apply(H0, H1, Z)

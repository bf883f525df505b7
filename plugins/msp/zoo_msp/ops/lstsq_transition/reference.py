"""Pure-PyTorch specification of the ``lstsq_transition`` op.

Given row-stacked latent pairs ``H0, H1`` of shape ``(B, R, a)`` (``R`` = rows, e.g.
``(T_c - 1) * dim_m``), solve the per-batch least-squares problem

    M* = argmin_M || H0 M - H1 ||_F^2   via the normal equations   (H0^T H0) M* = H0^T H1

(MSP eq. for M*, official ``dynamics_models._solve``), and optionally apply it to query
latents ``Z`` of shape ``(B, S, a)``: ``P = Z M*`` (one prediction step, right action).
"""

from __future__ import annotations

import torch

__all__ = ["check_inputs", "lstsq_transition_reference"]


def check_inputs(H0: torch.Tensor, H1: torch.Tensor, Z: torch.Tensor | None = None) -> None:
    """Raise ``ValueError`` unless the shapes fit ``lstsq_transition`` (the op checks them here, once)."""
    if H0.dim() != 3 or H0.shape != H1.shape:
        raise ValueError(f"H0 and H1 must both be (B, R, a) with equal shapes; got "
                         f"{tuple(H0.shape)} and {tuple(H1.shape)}")
    if Z is not None and (Z.dim() != 3 or Z.shape[0] != H0.shape[0] or Z.shape[2] != H0.shape[2]):
        raise ValueError(f"Z must be (B={H0.shape[0]}, S, a={H0.shape[2]}); got {tuple(Z.shape)}")


def lstsq_transition_reference(H0: torch.Tensor, H1: torch.Tensor, Z: torch.Tensor | None = None
                               ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Return ``(M, Z @ M)`` (``(M, None)`` when ``Z`` is None); see the module docstring."""
    # Two separate transposes (not one shared): the gradient then accumulates into H0 in the
    # same order as in the official code, so gradients match it bit for bit.
    M = torch.linalg.solve(H0.transpose(-2, -1) @ H0, H0.transpose(-2, -1) @ H1)
    return M, (None if Z is None else Z @ M)

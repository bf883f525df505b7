"""Least-squares latent transitions: the "meta" step of MSP, as a public API.

MSP (Miyato, Koyama & Fukumizu, NeurIPS 2022, arXiv:2210.05972) encodes every frame of a
sequence into a matrix latent ``H_t`` of shape ``(dim_m, dim_a)`` and assumes one linear
transition per sequence acting on the right: ``H_{t+1} ~= H_t M``. ``M*`` is fitted in
closed form on the conditioning frames only (normal equations, differentiable), then rolled
out to predict future latents. This module holds that machinery, shared with other plugins
(e.g. NFT's U-NFT), independent of any network:

    M = estimate_transition(H0, H1)              # pairs: (N, ..., a) -> (N, a, a)
    M = transition_from_sequence(H)              # consecutive pairs of (N, T, m, a)
    H_next = apply_transition(H, M)              # H @ M, per sequence
    H_future = rollout(H[:, -1:], M, n_steps)    # (N, n_steps, m, a)

plus the second-order variant (``higher_order_transition`` / ``higher_order_rollout``), the
fixed-block variant (``block_transition``) and the residual ``transition_residual``.

Shapes: ``N`` sequences, ``T`` frames, ``m = dim_m`` rows, ``a = dim_a`` columns.
"""

from __future__ import annotations

from typing import Sequence

import torch

from zoo_msp.ops.lstsq_transition import lstsq_transition

__all__ = ["estimate_transition", "transition_from_sequence", "apply_transition", "rollout",
           "higher_order_transition", "higher_order_step", "higher_order_rollout",
           "block_transition", "transition_residual"]


def _as_rows(H: torch.Tensor) -> torch.Tensor:
    """``(N, ..., a) -> (N, R, a)``: stack all middle axes as rows of the LS problem."""
    if H.dim() < 2:
        raise ValueError(f"latents need shape (N, ..., a); got {tuple(H.shape)}")
    return H.reshape(H.shape[0], -1, H.shape[-1])


def estimate_transition(H0: torch.Tensor, H1: torch.Tensor, *, impl: str | None = None
                        ) -> torch.Tensor:
    """Closed-form ``M* = argmin_M ||H0 M - H1||_F^2`` per sequence (normal equations).

    Args:
        H0, H1: latents before and after one step, ``(N, ..., a)`` with equal shapes; every
            middle axis (time pairs, ``dim_m`` rows) is stacked into the rows of the problem.
        impl: op implementation (see ``zoo_msp.ops.lstsq_transition``).

    Returns:
        ``(N, a, a)`` matrices, differentiable with respect to ``H0`` and ``H1``.

    Example::

        >>> import torch
        >>> H0 = torch.randn(2, 3, 10, 4); M = torch.randn(2, 4, 4)
        >>> bool(torch.allclose(estimate_transition(H0, apply_transition(H0, M)), M, atol=1e-3))
        True
    """
    if H0.shape != H1.shape:
        raise ValueError(f"H0 and H1 must have the same shape; got {tuple(H0.shape)} and {tuple(H1.shape)}")
    return lstsq_transition(_as_rows(H0), _as_rows(H1), impl=impl)[0]


def transition_from_sequence(H: torch.Tensor, *, fix_indices: Sequence[int] | None = None,
                             impl: str | None = None) -> torch.Tensor:
    """``M*`` from all consecutive pairs ``(H_t, H_{t+1})`` of ``H`` (``(N, T, m, a)``, ``T >= 2``).

    ``fix_indices``: latent coordinates held fixed (official disentangled generation): the
    system is solved on the other coordinates only and ``M*`` is the identity on these.
    """
    if H.dim() != 4 or H.shape[1] < 2:
        raise ValueError(f"H must be (N, T>=2, dim_m, dim_a); got {tuple(H.shape)}")
    H0, H1 = H[:, :-1], H[:, 1:]
    if fix_indices is None:
        return estimate_transition(H0, H1, impl=impl)
    a = H.shape[-1]
    active = sorted(set(range(a)) - {int(i) for i in fix_indices})
    if not active:
        raise ValueError(f"fix_indices={list(fix_indices)} leaves no active coordinate of dim_a={a}")
    idx = torch.tensor(active, device=H.device)
    M_active = estimate_transition(H0[..., idx], H1[..., idx], impl=impl)
    M = torch.eye(a, dtype=H.dtype, device=H.device).repeat(H.shape[0], 1, 1)
    M[:, idx[:, None], idx] = M_active
    return M


def apply_transition(H: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """``H @ M`` with one ``M`` per sequence: ``H`` is ``(N, ..., a)``, ``M`` is ``(N, a, a)``."""
    if M.dim() != 3 or M.shape[0] != H.shape[0] or M.shape[-2] != H.shape[-1]:
        raise ValueError(f"M must be (N={H.shape[0]}, a={H.shape[-1]}, a); got {tuple(M.shape)}")
    return H @ M.reshape(M.shape[0], *([1] * (H.dim() - 3)), *M.shape[1:])


def rollout(H_last: torch.Tensor, M: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Predict ``H_last M^k`` for ``k = 1..n_steps``; ``H_last`` is ``(N, 1, m, a)``.

    Returns ``(N, n_steps, m, a)`` (``n_steps = 0`` gives an empty time axis).
    """
    preds = []
    H = H_last
    for _ in range(n_steps):
        H = apply_transition(H, M)
        preds.append(H)
    if not preds:
        return H_last[:, :0]
    return torch.cat(preds, dim=1)


def higher_order_transition(H: torch.Tensor, *, n_order: int = 2, impl: str | None = None
                            ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Higher-order least squares (official ``HigherOrderLinearTensorDynamicsLSTSQ``).

    Order 1 fits one matrix per consecutive pair, ``M_t = argmin ||H_t M - H_{t+1}||``
    (the first ``M_t`` is dropped, as in the official code); each further order fits the
    sequence of the previous order the same way; the last order fits one constant matrix
    over all its pairs. Needs ``T > n_order + 1`` frames (``T >= 4`` for order 2).

    Args:
        H: ``(N, T, m, a)`` latents of the conditioning frames.

    Returns:
        ``(M, Ms)``: the constant top-order ``(N, a, a)`` matrix and the list of
        intermediate sequences ``Ms[l]`` of shape ``(N, T - 2(l+1), a, a)``.
    """
    if H.dim() != 4 or H.shape[1] <= n_order + 1:
        raise ValueError(f"order-{n_order} transition needs H of shape (N, T > {n_order + 1}, m, a); "
                         f"got {tuple(H.shape)}")
    Ms: list[torch.Tensor] = []
    X = H
    for n in range(n_order):
        X0, X1 = X[:, :-1], X[:, 1:]
        if n == n_order - 1:
            return estimate_transition(X0, X1, impl=impl), Ms
        N, T1 = X0.shape[:2]
        M_t = lstsq_transition(X0.reshape(N * T1, *X0.shape[2:]), X1.reshape(N * T1, *X1.shape[2:]),
                               impl=impl)[0].reshape(N, T1, X.shape[-1], X.shape[-1])
        X = M_t[:, 1:]  # quirk kept: the first per-step matrix is dropped
        Ms.append(X)
    raise AssertionError("unreachable")


def higher_order_step(states: list[torch.Tensor], M: torch.Tensor) -> list[torch.Tensor]:
    """One roll-out step of ``[H, M_1, ...]``: update the top state by ``M``, then each lower
    state by the new state above it."""
    new = [None] * len(states)
    new[-1] = apply_transition(states[-1], M)
    for level in range(len(states) - 2, -1, -1):
        new[level] = states[level] @ new[level + 1]
    return new


def higher_order_rollout(states: list[torch.Tensor], M: torch.Tensor, n_steps: int
                         ) -> torch.Tensor:
    """Roll out ``[H_last, M_last(order 1), ...]`` by the constant top-order ``M``.

    Each step: ``M_{t+1} = M_t M``, then ``H_{t+1} = H_t M_{t+1}`` (order 2). ``states[0]``
    is ``(N, 1, m, a)``, ``states[l]`` is ``(N, 1, a, a)``. Returns ``(N, n_steps, m, a)``.
    """
    preds = []
    for _ in range(n_steps):
        states = higher_order_step(states, M)
        preds.append(states[0])
    return torch.cat(preds, dim=1) if preds else states[0][:, :0]


def block_transition(H0: torch.Tensor, H1: torch.Tensor, *, n_blocks: int,
                     fixed_blocks: Sequence[int] | None = None, impl: str | None = None
                     ) -> torch.Tensor:
    """Block-diagonal ``M*``: independent least squares inside ``n_blocks`` equal coordinate blocks.

    (Official ``MultiLinearTensorDynamicsLSTSQ``, "MSP with fixed blocks".) Blocks listed in
    ``fixed_blocks`` get the identity.
    """
    a = H0.shape[-1]
    if a % n_blocks:
        raise ValueError(f"dim_a={a} is not divisible by n_blocks={n_blocks}")
    d = a // n_blocks
    X0, X1 = _as_rows(H0), _as_rows(H1)
    N = X0.shape[0]
    fixed = set(fixed_blocks or ())
    blocks = []
    for k in range(n_blocks):
        if k in fixed:
            blocks.append(torch.eye(d, dtype=X0.dtype, device=X0.device).expand(N, d, d))
        else:
            sl = slice(k * d, (k + 1) * d)
            blocks.append(lstsq_transition(X0[..., sl], X1[..., sl], impl=impl)[0])
    out = X0.new_zeros(N, a, a)
    for k, Mk in enumerate(blocks):
        out[:, k * d:(k + 1) * d, k * d:(k + 1) * d] = Mk
    return out


def transition_residual(H0: torch.Tensor, H1: torch.Tensor, M: torch.Tensor) -> torch.Tensor:
    """``sum ||H0 M - H1||^2`` over everything (official ``loss_internal_T``, logged only)."""
    return ((apply_transition(H0, M) - H1) ** 2).sum()

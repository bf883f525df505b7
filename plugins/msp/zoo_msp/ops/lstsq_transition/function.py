"""Launchers and the ``torch.autograd.Function`` of the Triton ``lstsq_transition``.

Triton is imported here, so this module is only imported when the Triton path is used.
"""

from __future__ import annotations

import torch
import triton

from zoo_msp.ops.lstsq_transition.kernels import (_lstsq_transition_bwd_kernel,
                                                  _lstsq_transition_fwd_kernel)

__all__ = ["LstsqTransitionFunction", "launch_settings", "lstsq_transition_triton"]

BLOCK_R = 32


def launch_settings(dim_a: int) -> dict:
    """Tile sizes for a given ``dim_a`` (at most ``MAX_DIM_A``, checked by the op's dispatch)."""
    return {"BLOCK_A": max(16, triton.next_power_of_2(dim_a)), "BLOCK_R": BLOCK_R,
            "num_warps": 4}


class LstsqTransitionFunction(torch.autograd.Function):
    """``(M, P) = lstsq_transition(H0, H1, Z)`` with Triton forward and backward kernels."""

    @staticmethod
    def forward(ctx, H0, H1, Z):
        B, R, A = H0.shape
        H0, H1 = H0.contiguous(), H1.contiguous()
        has_z = Z is not None
        Zc = Z.contiguous() if has_z else H0
        S = Zc.shape[1] if has_z else 0
        M = H0.new_empty(B, A, A)
        Ginv = H0.new_empty(B, A, A)
        P = H0.new_empty(B, S, A) if has_z else M
        cfg = launch_settings(A)
        _lstsq_transition_fwd_kernel[(B,)](
            H0, H1, Zc, M, Ginv, P, R, S, A, HAS_Z=has_z, BLOCK_R=cfg["BLOCK_R"],
            BLOCK_A=cfg["BLOCK_A"], num_warps=cfg["num_warps"])
        ctx.save_for_backward(H0, H1, Zc, M, Ginv)
        ctx.has_z = has_z
        return (M, P) if has_z else (M, None)

    @staticmethod
    def backward(ctx, dM, dP):
        H0, H1, Zc, M, Ginv = ctx.saved_tensors
        B, R, A = H0.shape
        has_z = ctx.has_z
        S = Zc.shape[1] if has_z else 0
        dM = torch.zeros_like(M) if dM is None else dM.contiguous()
        if has_z:
            dP = torch.zeros_like(Zc) if dP is None else dP.contiguous()
        dH0 = torch.empty_like(H0)
        dH1 = torch.empty_like(H1)
        dZ = torch.empty_like(Zc) if has_z else dH0
        cfg = launch_settings(A)
        _lstsq_transition_bwd_kernel[(B,)](
            H0, H1, Zc, M, Ginv, dM, dP if has_z else dM, dH0, dH1, dZ, R, S, A,
            HAS_Z=has_z, BLOCK_R=cfg["BLOCK_R"], BLOCK_A=cfg["BLOCK_A"],
            num_warps=cfg["num_warps"])
        return dH0, dH1, (dZ if has_z else None)


def lstsq_transition_triton(H0: torch.Tensor, H1: torch.Tensor, Z: torch.Tensor | None = None
                            ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Triton implementation of :func:`zoo_msp.ops.lstsq_transition` (inputs validated by its ``OP``)."""
    return LstsqTransitionFunction.apply(H0, H1, Z)

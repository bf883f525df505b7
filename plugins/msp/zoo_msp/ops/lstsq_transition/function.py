"""Launchers and the ``torch.autograd.Function`` of the Triton ``lstsq_transition``.

Triton is imported here, so this module is only imported when the Triton path is used.
"""

from __future__ import annotations

import torch
import triton

from zoo_msp.ops.lstsq_transition.kernels import (_lstsq_transition_bwd_kernel,
                                                  _lstsq_transition_fwd_kernel)

__all__ = ["LstsqTransitionFunction", "launch_settings", "MAX_DIM_A"]

MAX_DIM_A = 64
BLOCK_R = 32


def launch_settings(dim_a: int) -> dict:
    """Tile sizes for a given ``dim_a``; raises ``ValueError`` past the supported size."""
    if dim_a > MAX_DIM_A:
        raise ValueError(f"the Triton lstsq_transition keeps a dim_a x dim_a system in registers "
                         f"and supports dim_a <= {MAX_DIM_A}; got dim_a={dim_a}. "
                         "Use impl='reference' for larger latents.")
    return {"BLOCK_A": max(16, triton.next_power_of_2(dim_a)), "BLOCK_R": BLOCK_R,
            "num_warps": 4}


def _check(name: str, t: torch.Tensor, B: int, A: int) -> torch.Tensor:
    if t.dtype != torch.float32:
        raise TypeError(f"Triton lstsq_transition computes in float32; {name} is {t.dtype}. "
                        "Cast it, or use impl='reference'.")
    if t.dim() != 3 or t.shape[0] != B or t.shape[2] != A:
        raise ValueError(f"{name} must have shape (B={B}, rows, a={A}); got {tuple(t.shape)}")
    return t.contiguous()


class LstsqTransitionFunction(torch.autograd.Function):
    """``(M, P) = lstsq_transition(H0, H1, Z)`` with Triton forward and backward kernels."""

    @staticmethod
    def forward(ctx, H0, H1, Z):
        B, R, A = H0.shape
        H0 = _check("H0", H0, B, A)
        H1 = _check("H1", H1, B, A)
        if H1.shape[1] != R:
            raise ValueError(f"H0 and H1 must have the same number of rows; got {R} and {H1.shape[1]}")
        has_z = Z is not None
        Zc = _check("Z", Z, B, A) if has_z else H0
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

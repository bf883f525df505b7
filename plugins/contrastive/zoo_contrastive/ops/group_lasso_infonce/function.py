"""Launchers and the autograd Function of ``group_lasso_infonce`` (imports Triton: Triton path only).

Forward: the distance kernel writes ``D [B, B]`` (float32); the InfoNCE over ``D`` (two
log-softmaxes of a ``B x B`` matrix) runs in PyTorch. Backward: ``G = dL/dD`` is formed from the
saved softmaxes (``B x B``), and the gradient kernel contracts it with the block directions,
once for z1 and once (transposed) for z2. Memory: O(B^2 + B D).
"""

from __future__ import annotations

import torch
import triton

from zoo_core.ops.launch import cdiv

from zoo_contrastive.ops.group_lasso_infonce.kernels import _distances_kernel, _grad_kernel
from zoo_contrastive.ops.group_lasso_infonce.reference import symmetric_infonce

__all__ = ["GroupLassoInfoNCEFunction", "group_lasso_infonce_triton", "launch_settings"]


def launch_settings(block_dim: int) -> dict:
    """Tile sizes: ``BLOCK_K`` holds one block's coordinates; the 3-D difference tile
    ``BLOCK_M x BLOCK_N x BLOCK_K`` stays at most 8,192 elements."""
    bk = max(2, triton.next_power_of_2(block_dim))
    bmn = 32 if bk <= 8 else 16 if bk <= 32 else 8
    return {"BLOCK_M": bmn, "BLOCK_N": bmn, "BLOCK_K": bk}


def distances(z1: torch.Tensor, z2: torch.Tensor, n_blocks: int) -> torch.Tensor:
    """``D [B, B]`` in float32 from the kernel."""
    B, dim = z1.shape
    cfg = launch_settings(dim // n_blocks)
    D = torch.empty(B, B, device=z1.device, dtype=torch.float32)
    _distances_kernel[(cdiv(B, cfg["BLOCK_M"]), cdiv(B, cfg["BLOCK_N"]))](
        z1, z2, D, B, n_blocks, dim // n_blocks, *z1.stride(), *z2.stride(), **cfg)
    return D


def _grad(a: torch.Tensor, c: torch.Tensor, G: torch.Tensor, n_blocks: int) -> torch.Tensor:
    B, dim = a.shape
    cfg = launch_settings(dim // n_blocks)
    out = torch.empty_like(a, memory_format=torch.contiguous_format)
    _grad_kernel[(cdiv(B, cfg["BLOCK_M"]), n_blocks)](
        a, c, G, out, B, dim // n_blocks, *a.stride(), *c.stride(), *G.stride(), *out.stride(), **cfg)
    return out


class GroupLassoInfoNCEFunction(torch.autograd.Function):
    """The symmetric InfoNCE with group-lasso logits; Triton kernels for the distances and their gradients."""

    @staticmethod
    def forward(ctx, z1, z2, n_blocks: int, temperature: float):
        D = distances(z1, z2, n_blocks)
        logits = -D / temperature
        loss = symmetric_infonce(logits)
        ctx.save_for_backward(z1, z2, logits)
        ctx.n_blocks, ctx.temperature = n_blocks, temperature
        return loss.to(z1.dtype)

    @staticmethod
    def backward(ctx, grad_loss):
        z1, z2, logits = ctx.saved_tensors
        B = len(logits)
        eye = torch.eye(B, device=logits.device, dtype=logits.dtype)
        # dL/dlogits = (softmax over rows - I + softmax over columns - I) / (2B); dlogits/dD = -1/T
        dlogits = (logits.softmax(1) + logits.softmax(0) - 2 * eye) / (2 * B)
        G = (-grad_loss.float() / ctx.temperature) * dlogits
        dz1 = _grad(z1, z2, G, ctx.n_blocks) if ctx.needs_input_grad[0] else None
        dz2 = _grad(z2, z1, G.T, ctx.n_blocks) if ctx.needs_input_grad[1] else None
        return dz1, dz2, None, None


def group_lasso_infonce_triton(z1: torch.Tensor, z2: torch.Tensor, *, n_blocks: int,
                               temperature: float = 1.0) -> torch.Tensor:
    """The Triton implementation of ``zoo_contrastive.ops.group_lasso_infonce`` (inputs validated by its ``OP``)."""
    return GroupLassoInfoNCEFunction.apply(z1, z2, n_blocks, float(temperature))

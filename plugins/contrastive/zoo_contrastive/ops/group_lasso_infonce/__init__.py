"""``group_lasso_infonce``: InfoNCE with the negative group-lasso distance as similarity, fused.

    loss = group_lasso_infonce(z1, z2, n_blocks=4, temperature=0.5)

``z1, z2``: ``[B, D]`` embeddings of the two views (row i of each is a positive pair), ``D`` split
into ``n_blocks`` equal blocks. The loss is the symmetric InfoNCE over the logits
``-sum_b ||z1_{i,b} - z2_{j,b}||_2 / temperature`` (reference.py states it). The kernel computes
the ``B x B`` distances and their gradients tile by tile, never forming the ``B x B x D``
differences the reference forms: memory O(B^2), not O(B^2 D).

Layout (the core's op form, ``zoo_core.ops.Op``): ``reference.py`` (the spec and the input
check), ``kernels.py`` (Triton), ``function.py`` (autograd Function), ``checks.py`` (kernel vs
reference under ``TRITON_INTERPRET=1``). Dispatch: ``impl="reference"`` / ``"triton"`` force
one; ``impl=None`` uses ``ZOO_OPS_IMPL`` if set, else the kernel for CUDA tensors it supports
when Triton imports, else the reference.

Example:
    >>> import torch
    >>> from zoo_contrastive.ops.group_lasso_infonce import group_lasso_infonce
    >>> z = torch.randn(8, 6)
    >>> float(group_lasso_infonce(z, z + 0.01, n_blocks=3, temperature=0.1)) < 0.01
    True
"""

from __future__ import annotations

import torch

from zoo_core.ops import Op

from zoo_contrastive.ops.group_lasso_infonce.reference import (check_inputs, group_lasso_distances,
                                                               group_lasso_infonce_reference)

__all__ = ["KERNEL_DTYPES", "MAX_BLOCK_DIM", "OP", "group_lasso_distances", "group_lasso_infonce",
           "group_lasso_infonce_reference"]

KERNEL_DTYPES = (torch.float16, torch.bfloat16, torch.float32)
"""dtypes the kernel reads (it computes in float32); float64 runs on the reference."""

MAX_BLOCK_DIM = 128
"""Largest block the kernel tiles (one block's coordinates are held in registers per row)."""


def _triton_unsupported(z1: torch.Tensor, z2: torch.Tensor, *, n_blocks: int, temperature: float = 1.0) -> str | None:
    if z1.dtype not in KERNEL_DTYPES:
        return f"the kernel supports {', '.join(map(str, KERNEL_DTYPES))}, not {z1.dtype}"
    if z1.shape[1] // n_blocks > MAX_BLOCK_DIM:
        return f"the kernel supports blocks of at most {MAX_BLOCK_DIM} coordinates, got {z1.shape[1] // n_blocks}"
    return None


OP = Op("group_lasso_infonce", reference=group_lasso_infonce_reference,
        triton="zoo_contrastive.ops.group_lasso_infonce.function:group_lasso_infonce_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported,
        example=lambda: ((torch.randn(5, 6), torch.randn(5, 6)), {"n_blocks": 3, "temperature": 0.5}))


def group_lasso_infonce(z1: torch.Tensor, z2: torch.Tensor, *, n_blocks: int, temperature: float = 1.0,
                        impl: str | None = None) -> torch.Tensor:
    """Symmetric InfoNCE of ``(z1, z2)`` with the negative group-lasso distance over ``n_blocks`` blocks.

    Args:
        z1, z2: ``[B, D]`` embeddings, same shape, dtype and device; ``n_blocks`` divides ``D``.
        n_blocks: number of equal latent blocks.
        temperature: the logits are ``-distance / temperature``.
        impl: ``None`` (automatic), ``"reference"`` or ``"triton"``.

    Returns:
        The loss, a 0-dim tensor of ``z1``'s dtype, differentiable in ``z1`` and ``z2``.

    Raises:
        TypeError, ValueError: the inputs do not fit (the message says which).
        zoo_core.ops.OpDispatchError: an unknown ``impl``, or the kernel forced where it cannot run.
        zoo_core.ops.TritonUnavailableError: the kernel forced without Triton.
    """
    return OP(z1, z2, n_blocks=n_blocks, temperature=temperature, impl=impl)

"""The PyTorch reference of ``group_lasso_infonce``: the specification the kernels are tested against.

For two batches of embeddings ``z1, z2`` of shape ``[B, n_blocks * block_dim]`` (row i of ``z2``
is the positive partner of row i of ``z1``), with blocks ``z_b`` of ``block_dim`` coordinates:

    D_ij   = sum_b || z1_{i,b} - z2_{j,b} ||_2          group-lasso (L2,1) distance [2210.07413:
                                                        "a lasso-type metric"; -D is the similarity]
    l_ij   = -D_ij / temperature                        logits
    loss   = 1/2 ( mean_i CE(l_i., i) + mean_j CE(l_.j, j) )   symmetric InfoNCE (both directions,
                                                        the other view's batch as the negatives)

The reference forms ``z1_i - z2_j`` for every pair, ``[B, B, n_blocks, block_dim]``; the kernel
never does (O(B^2) memory). The gradient of ``||d||`` at ``d = 0`` is taken as 0 (its minimal-norm
subgradient), as ``torch.linalg.vector_norm`` does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["check_inputs", "group_lasso_distances", "group_lasso_infonce_reference", "symmetric_infonce"]


def check_inputs(z1: torch.Tensor, z2: torch.Tensor, *, n_blocks: int, temperature: float = 1.0) -> None:
    """Raise a clear error unless the arguments fit ``group_lasso_infonce`` (called once, before dispatch)."""
    if not isinstance(z1, torch.Tensor) or not isinstance(z2, torch.Tensor):
        raise TypeError(f"group_lasso_infonce expects tensors z1 and z2, got {type(z1).__name__} and {type(z2).__name__}.")
    if z1.dim() != 2 or z1.shape != z2.shape:
        raise ValueError(f"group_lasso_infonce: z1 and z2 must both be [B, D] with equal shapes; got "
                         f"{list(z1.shape)} and {list(z2.shape)}.")
    if z1.dtype != z2.dtype or z1.device != z2.device:
        raise ValueError(f"group_lasso_infonce: z1 and z2 must share dtype and device; got {z1.dtype} on {z1.device} "
                         f"and {z2.dtype} on {z2.device}.")
    if not z1.dtype.is_floating_point:
        raise TypeError(f"group_lasso_infonce needs floating-point embeddings, got {z1.dtype}; cast them with .float().")
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, int) or n_blocks < 1 or z1.shape[1] % n_blocks:
        raise ValueError(f"group_lasso_infonce: n_blocks must be a positive int dividing the embedding size "
                         f"{z1.shape[1]}; got {n_blocks!r}.")
    if z1.shape[0] < 1:
        raise ValueError("group_lasso_infonce: the batch is empty; InfoNCE needs at least one pair.")
    if not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"group_lasso_infonce: temperature must be a positive number, got {temperature!r}.")


def group_lasso_distances(z1: torch.Tensor, z2: torch.Tensor, n_blocks: int) -> torch.Tensor:
    """``D [B1, B2]``: ``D_ij = sum_b ||z1_{i,b} - z2_{j,b}||_2`` (forms the ``[B1, B2, n_blocks, d]`` differences)."""
    diff = z1.reshape(len(z1), 1, n_blocks, -1) - z2.reshape(1, len(z2), n_blocks, -1)
    return torch.linalg.vector_norm(diff, dim=-1).sum(-1)


def symmetric_infonce(logits: torch.Tensor) -> torch.Tensor:
    """InfoNCE over a ``[B, B]`` logit matrix whose diagonal holds the positives, in both directions."""
    target = torch.arange(len(logits), device=logits.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def group_lasso_infonce_reference(z1: torch.Tensor, z2: torch.Tensor, *, n_blocks: int,
                                  temperature: float = 1.0) -> torch.Tensor:
    """The loss (a 0-dim tensor of ``z1``'s dtype); see the module docstring."""
    return symmetric_infonce(-group_lasso_distances(z1, z2, n_blocks) / temperature)

"""Block-diagonal rotation per token, in plain PyTorch: the spec the kernels are tested against.

    y[..., t, k*b:(k+1)*b] = R[..., t, k] @ x[..., t, k*b:(k+1)*b]      (transpose=True: R[..., t, k]^T @ ...)

x is ``[..., T, D]`` with ``D = K * b``; R is ``[..., T, K, b, b]``. Leading dims broadcast
against each other, and R's token dim may be 1 (one rotation shared by all tokens).
"""

from __future__ import annotations

import torch

__all__ = ["MAX_B", "check_inputs", "rotate_blocks_reference"]

MAX_B = 8
"""Largest block size accepted (GTA/AKOrN/NFT use 2 and 3; SO(3) irreps of degree 2 use 5)."""


def check_inputs(x: torch.Tensor, R: torch.Tensor, *, transpose: bool = False) -> None:
    """Raise a clear error unless ``x`` and ``R`` fit ``rotate_blocks``'s contract."""
    if not isinstance(x, torch.Tensor) or not isinstance(R, torch.Tensor):
        raise TypeError(f"rotate_blocks expects tensors x and R, got {type(x).__name__} and {type(R).__name__}.")
    if x.ndim < 2 or R.ndim < 4:
        raise ValueError(
            f"rotate_blocks expects x as [..., T, D] and R as [..., T, K, b, b]; got x {list(x.shape)}, R {list(R.shape)}."
        )
    b, K = R.shape[-1], R.shape[-3]
    if R.shape[-2] != b or not 1 <= b <= MAX_B:
        raise ValueError(f"R's last two dims must be square blocks b x b with 1 <= b <= {MAX_B}; got R {list(R.shape)}.")
    if x.shape[-1] != K * b:
        raise ValueError(f"x's last dim must be K*b = {K}*{b} = {K * b} to match R {list(R.shape)}; got x {list(x.shape)}.")
    if R.shape[-4] not in (1, x.shape[-2]):
        raise ValueError(f"R's token dim must be 1 or x's T={x.shape[-2]}; got R {list(R.shape)}, x {list(x.shape)}.")
    try:
        torch.broadcast_shapes(x.shape[:-2], R.shape[:-4])
    except RuntimeError as exc:
        raise ValueError(f"leading dims of x {list(x.shape)} and R {list(R.shape)} do not broadcast.") from exc
    if x.dtype != R.dtype or x.device != R.device:
        raise ValueError(f"x and R must share dtype and device; got x {x.dtype} on {x.device}, R {R.dtype} on {R.device}.")
    if not x.dtype.is_floating_point:
        raise ValueError(f"rotate_blocks needs floating-point tensors, got {x.dtype}.")
    if not isinstance(transpose, bool):
        raise TypeError(f"rotate_blocks: transpose must be True or False, got {transpose!r}.")


def rotate_blocks_reference(x: torch.Tensor, R: torch.Tensor, *, transpose: bool = False) -> torch.Tensor:
    """Apply the per-token block-diagonal matrix R (or R^T) to x (differentiable, any float dtype and device)."""
    b = R.shape[-1]
    x_blocks = x.unflatten(-1, (x.shape[-1] // b, b))           # [..., T, K, b]
    # einsum (not R @ x[..., None]): it folds dims R broadcasts over (heads) into one GEMM instead of
    # a batch of tiny ones, about 2x faster on the CPU for GTA's shapes with the backward pass.
    y_blocks = torch.einsum("...kji,...kj->...ki" if transpose else "...kij,...kj->...ki", R, x_blocks)
    return y_blocks.flatten(-2)                                  # [..., T, D]

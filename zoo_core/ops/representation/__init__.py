"""A whole per-token block-diagonal representation in one call (GTA's rho(g) on q, k, v and o).

Layout: ``reference.py`` (the spec: ``rotate_blocks`` per segment, and the input check),
``kernels.py`` (Triton: one launch for the whole row), ``function.py`` (launchers + autograd
Function). ``OP`` is the ``zoo_core.ops.Op`` tying them together.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from zoo_core.ops.op import Op
from zoo_core.ops.representation.reference import apply_representation_reference, check_inputs
from zoo_core.ops.rotate_blocks import KERNEL_DTYPES

__all__ = ["OP", "apply_representation", "apply_representation_reference"]

MAX_D = 4096
"""Channels the Triton kernel holds in one row (wider rows run on the reference)."""


def _triton_unsupported(x: torch.Tensor, *segments: int | torch.Tensor, transpose: bool | Sequence[bool] = False) -> str | None:
    if x.dtype not in KERNEL_DTYPES:
        return f"the kernel supports {', '.join(map(str, KERNEL_DTYPES))}, not {x.dtype}"
    if x.shape[-1] > MAX_D:
        return f"the kernel holds rows of at most {MAX_D} channels, and x has {x.shape[-1]}"
    return None


def _example() -> tuple[tuple, dict]:
    x = torch.randn(2, 3, 11)                                    # [B, T, D]: 1 identity + 2x4 + 1x2 channels
    return (x, 1, torch.randn(2, 3, 2, 4, 4), torch.randn(1, 1, 2, 2)), {"transpose": (False, True, False)}


OP = Op("apply_representation", reference=apply_representation_reference,
        triton="zoo_core.ops.representation.function:apply_representation_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported, example=_example)


def apply_representation(x: torch.Tensor, *segments: int | torch.Tensor, transpose: bool | Sequence[bool] = False,
                         impl: str | None = None) -> torch.Tensor:
    """Apply a per-token block-diagonal representation to x's channels, segment by segment, in one call.

    Args:
        x: ``[..., T, D]`` features (one head's channels last).
        *segments: consecutive channel ranges, in order: an ``int`` n passes n channels through
            (the trivial part); a tensor ``[..., T or 1, K, b, b]`` applies K b x b blocks to the
            next K*b channels, as ``rotate_blocks`` does. Sizes must sum to D; leading dims
            broadcast with x's (e.g. blocks ``[B, 1, T, K, b, b]`` shared by the heads of
            ``x [B, H, T, D]``); a token dim of 1 shares the blocks over tokens. Repeat tensors to
            alternate block sizes: ``D1, D2, D1, D2`` for two copies of SO(3) degrees 1 and 2.
        transpose: apply R^T (without materialising it): ``True`` for every segment, or one
            bool per segment (ignored for identity segments), e.g. GTA's query
            ``apply_representation(q, n_triv, E, D1, D2, R, transpose=(False, True, False, False, False))``
            (E^T on the SE(3) part, one SO(3) copy and the SO(2) part as given).
        impl: ``None`` (CUDA tensors -> Triton, else reference; env ``ZOO_OPS_IMPL`` overrides),
            ``"reference"`` or ``"triton"``.

    Returns:
        ``[*broadcast(leading dims), T, D]``, differentiable in x and in every block tensor.

    Raises:
        TypeError, ValueError: a segment, size, dtype, device or ``transpose`` does not fit (the
            message names the segment); bad ``impl``.
        zoo_core.ops.TritonUnavailableError: ``"triton"`` forced without Triton.

    Example:
        >>> import torch
        >>> from zoo_core.ops import apply_representation, rotate_blocks
        >>> x = torch.randn(2, 6, 5, 16)                             # [B, H, T, D]
        >>> E = torch.linalg.qr(torch.randn(2, 1, 5, 2, 4, 4))[0]    # per-token 4x4, shared by the heads
        >>> R = torch.linalg.qr(torch.randn(5, 3, 2, 2))[0]          # per-token 2x2, shared by the batch
        >>> y = apply_representation(x, 2, E, R)                     # 2 identity + 8 + 6 channels
        >>> torch.allclose(y[..., 2:10], rotate_blocks(x[..., 2:10], E))
        True
        >>> torch.allclose(apply_representation(y, 2, E, R, transpose=True), x, atol=1e-5)
        True
    """
    return OP(x, *segments, transpose=transpose, impl=impl)

"""Block-diagonal 2x2 / 3x3 rotation applied per token (shared by GTA, AKOrN and NFT).

Layout: ``reference.py`` (the spec and the input check), ``kernels.py`` (Triton), ``function.py``
(launchers + autograd Function). ``OP`` is the ``zoo_core.ops.Op`` tying them together.
"""

from __future__ import annotations

import torch

from zoo_core.ops.op import Op
from zoo_core.ops.rotate_blocks.reference import check_inputs, rotate_blocks_reference

__all__ = ["KERNEL_DTYPES", "OP", "rotate_blocks", "rotate_blocks_reference"]

KERNEL_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
"""dtypes the Triton kernel computes in (others run on the reference)."""


def _triton_unsupported(x: torch.Tensor, R: torch.Tensor, *, transpose: bool = False) -> str | None:
    if x.dtype not in KERNEL_DTYPES:
        return f"the kernel supports {', '.join(map(str, KERNEL_DTYPES))}, not {x.dtype}"
    return None


OP = Op("rotate_blocks", reference=rotate_blocks_reference,
        triton="zoo_core.ops.rotate_blocks.function:rotate_blocks_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported,
        example=lambda: ((torch.randn(3, 4), torch.randn(3, 2, 2, 2)), {}))


def rotate_blocks(x: torch.Tensor, R: torch.Tensor, *, transpose: bool = False, impl: str | None = None) -> torch.Tensor:
    """Rotate each token's feature blocks: ``y[..., t, k*b:(k+1)*b] = R[..., t, k] @ x[..., t, k*b:(k+1)*b]``.

    Args:
        x: ``[..., T, D]`` features, ``D = K * b``.
        R: ``[..., T, K, b, b]`` per-token blocks (b = 2 or 3 in practice; up to 8). Leading dims
            broadcast against x's; the token dim may be 1 to share R across tokens.
        transpose: apply each block's transpose ``R[..., t, k]^T`` instead (the inverse of a
            rotation), without materialising it.
        impl: ``None`` (CUDA tensors -> Triton, else reference; env ``ZOO_OPS_IMPL`` overrides),
            ``"reference"`` or ``"triton"``.

    Returns:
        ``[*broadcast(leading dims), T, D]``, differentiable in x and R.

    Raises:
        TypeError, ValueError: shapes, dtypes or devices do not fit (the message says which); bad ``impl``.
        zoo_core.ops.TritonUnavailableError: ``"triton"`` forced without Triton.

    Example:
        >>> import math, torch
        >>> from zoo_core.ops import rotate_blocks
        >>> c, s = math.cos(0.5), math.sin(0.5)
        >>> R = torch.tensor([[c, -s], [s, c]]).expand(3, 2, 2, 2)   # T=3 tokens, K=2 blocks of 2
        >>> x = torch.randn(5, 3, 4)
        >>> y = rotate_blocks(x, R)
        >>> torch.allclose(y.norm(dim=-1), x.norm(dim=-1))           # rotations keep norms
        True
        >>> torch.allclose(rotate_blocks(y, R, transpose=True), x, atol=1e-6)   # R^T undoes R
        True
    """
    return OP(x, R, transpose=transpose, impl=impl)

"""GTA-style attention in one fused kernel: the representation applied to q, k, v on load and
to the output on store, softmax attention in between (the transforms sit outside the softmax).

Layout: ``reference.py`` (the spec: ``apply_representation`` + softmax attention +
``apply_representation``, and the input check), ``kernels.py`` (a FlashAttention-style Triton
forward), ``function.py`` (the launcher). Forward only on the kernel path: calls that need
gradients run the reference. ``OP`` is the ``zoo_core.ops.Op`` tying them together.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from zoo_core.ops.op import Op
from zoo_core.ops.representation_attention.reference import check_inputs, representation_attention_reference

__all__ = ["KERNEL_DTYPES", "MAX_D", "OP", "representation_attention", "representation_attention_reference"]

KERNEL_DTYPES = (torch.float16, torch.bfloat16, torch.float32)
"""dtypes the fused kernel computes in (tensor-core dots; others run on the reference)."""

MAX_D = 256
"""Largest head dim the kernel holds in registers."""


def _triton_unsupported(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *segments: int | torch.Tensor,
                        transpose: bool | Sequence[bool] = False, scale: float | None = None) -> str | None:
    if q.dtype not in KERNEL_DTYPES:
        return f"the fused kernel supports {', '.join(map(str, KERNEL_DTYPES))}, not {q.dtype}"
    if q.shape[-1] > MAX_D:
        return f"the fused kernel holds head dims up to {MAX_D}, and D is {q.shape[-1]}"
    tensors = (q, k, v, *(s for s in segments if isinstance(s, torch.Tensor)))
    if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
        return "the fused kernel is forward only and an input requires grad (run under torch.no_grad() for inference)"
    return None


def _example() -> tuple[tuple, dict]:
    q, k, v = torch.randn(2, 5, 10), torch.randn(2, 7, 10), torch.randn(2, 7, 10)
    segments = (2, torch.randn(2, 5, 2, 4, 4), 2, torch.randn(2, 7, 2, 4, 4))   # queries' [triv | se3], keys'
    return (q, k, v, *segments), {"transpose": (False, True, False, False)}


OP = Op("representation_attention", reference=representation_attention_reference,
        triton="zoo_core.ops.representation_attention.function:representation_attention_triton",
        validate=check_inputs, triton_unsupported=_triton_unsupported, example=_example)


def representation_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *segments: int | torch.Tensor,
                             transpose: bool | Sequence[bool] = False, scale: float | None = None,
                             impl: str | None = None) -> torch.Tensor:
    """Softmax attention in relative frames: GTA's ``O = rho_q A(rho_q^T Q, rho_k^-1 K, rho_k^-1 V)``.

    With ``A = apply_representation``: ``q' = A(q, *query_segments)``, ``k' = A(k, *key_segments)``,
    ``v' = A(v, *key_segments)``, ``O = A(softmax(q' k'^T * scale) v', *query_segments)`` with the
    query's transposes flipped.

    Args:
        q: ``[..., Tq, D]``; k, v: ``[..., Tk, D]`` (same leading dims, e.g. ``[B, H, T, D]``).
        *segments: the query tokens' segments, then the key tokens' (two halves with the same
            channel layout), each as in ``apply_representation``: an ``int`` of identity
            channels or blocks ``[..., T or 1, K, b, b]`` broadcasting to q's / k's leading dims.
        transpose: one bool, or one per segment of both halves. For GTA: the query half
            transposes the SE(3) blocks (``E_q^T q``; the output then gets ``E_q``) and keeps
            SO(3) / SO(2) as given (the output gets ``D_q^T``, ``R_q^T``); the key half passes
            the inverse matrices untransposed.
        scale: logit scale, default ``D ** -0.5``.
        impl: ``None`` (CUDA tensors without gradients -> the fused kernel, else the reference;
            env ``ZOO_OPS_IMPL`` overrides), ``"reference"`` or ``"triton"``.

    Returns:
        ``[..., Tq, D]``; differentiable on the reference path.

    Example:
        >>> import torch
        >>> from zoo_core.ops import apply_representation, representation_attention
        >>> q, k, v = torch.randn(3, 4, 6, 8), torch.randn(3, 4, 9, 8), torch.randn(3, 4, 9, 8)
        >>> Rq, Rk = torch.linalg.qr(torch.randn(6, 4, 2, 2))[0], torch.linalg.qr(torch.randn(9, 4, 2, 2))[0]
        >>> o = representation_attention(q, k, v, Rq, Rk)       # 4 SO(2) blocks per token
        >>> G = torch.linalg.qr(torch.randn(1, 4, 2, 2))[0]     # one global rotation of every frame ...
        >>> Gq, Gk = Rq @ G, Rk @ G                            # ... (relabelling the world frame)
        >>> torch.allclose(representation_attention(q, k, v, Gq, Gk, transpose=(True, True)),
        ...                representation_attention(q, k, v, Rq, Rk, transpose=(True, True)), atol=1e-5)
        True
    """
    return OP(q, k, v, *segments, transpose=transpose, scale=scale, impl=impl)

"""Multi-head self-attention as used by AKOrN (connectivity ``J``) and its baselines.

Faithful to the official ``Attention`` module (``weight="conv"`` with 1x1 kernels is the
same map as a linear layer over tokens):

* **Interleaved head split**: channel ``j`` of q/k/v belongs to head ``j % heads``
  (official rearrange ``"b (c nh) ... -> b nh ... c"``). Weights are stored in that
  official order; :meth:`Attention.prepare` permutes them once per forward pass into a
  head-contiguous order so that the per-step work needs no strided rearranges.
* **Learnable GTA** (``gta=True``): per-token 2x2 blocks ``mat_q, mat_k, mat_v`` act on
  consecutive channel pairs of each head's q, k, v before attention, and ``mat_o`` on the
  attention output, all initialised from 2-D SO(2) rotations (``mat_o`` transposed) and
  bilinearly resized when the token grid differs from ``hw``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo_akorn.models.layers import apply_pairs, pair_coefficients, resize_token_grid, so2_matrices


@dataclass
class PreparedAttention:
    """Per-forward constants of :class:`Attention` (permuted weights, GTA coefficients)."""

    w_qkv: Tensor
    b_qkv: Tensor | None
    w_o: Tensor
    b_o: Tensor | None
    qkv_diag: Tensor | None = None
    qkv_off: Tensor | None = None
    o_diag: Tensor | None = None
    o_off: Tensor | None = None


class Attention(nn.Module):
    """Softmax self-attention over tokens ``[B, S, C]`` with the official interleaved heads.

    Args:
        ch: channels ``C``.
        heads: number of heads (``C`` must be divisible by it).
        gta: learnable GTA matrices (needs ``hw`` and an even head dimension).
        hw: token grid ``(h, w)`` the GTA matrices are laid out on.
    """

    def __init__(self, *, ch: int, heads: int = 8, gta: bool = False, hw: tuple[int, int] | None = None) -> None:
        super().__init__()
        if ch % heads:
            raise ValueError(f"Attention: ch={ch} is not divisible by heads={heads}")
        self.ch, self.heads, self.head_dim, self.gta = ch, heads, ch // heads, gta
        self.qkv = nn.Linear(ch, 3 * ch)
        self.out = nn.Linear(ch, ch)
        if gta:
            if hw is None:
                raise ValueError("Attention: gta=True needs the token grid hw=(h, w)")
            if self.head_dim % 2:
                raise ValueError(f"Attention: gta=True needs an even head dimension, got {self.head_dim}")
            self.hw = (int(hw[0]), int(hw[1]))
            mat = so2_matrices(self.hw[0], self.hw[1], self.head_dim)
            self.mat_q = nn.Parameter(mat.clone())
            self.mat_k = nn.Parameter(mat.clone())
            self.mat_v = nn.Parameter(mat.clone())
            self.mat_o = nn.Parameter(mat.transpose(-2, -1).clone())
        # head-contiguous order: new index h * head_dim + c <- official index c * heads + h
        order = (torch.arange(self.head_dim)[None, :] * heads + torch.arange(heads)[:, None]).flatten()
        self.register_buffer("_order", order, persistent=False)

    def prepare(self, hw: tuple[int, int] | None = None) -> PreparedAttention:
        """Constants for a forward pass on an ``hw`` token grid (call once, reuse over the T steps)."""
        C, o = self.ch, self._order
        order3 = torch.cat([o, o + C, o + 2 * C])
        b_qkv = self.qkv.bias[order3] if self.qkv.bias is not None else None
        prep = PreparedAttention(self.qkv.weight[order3], b_qkv, self.out.weight[:, o], self.out.bias)
        if self.gta:
            hw = self.hw if hw is None else hw
            mats = torch.stack([resize_token_grid(m, self.hw, hw) for m in (self.mat_q, self.mat_k, self.mat_v)], 1)
            d, f = pair_coefficients(mats)  # [S, 3, head_dim]
            prep.qkv_diag, prep.qkv_off = d[:, :, None, :], f[:, :, None, :]  # [S, 3, 1, head_dim]
            d, f = pair_coefficients(resize_token_grid(self.mat_o, self.hw, hw))
            prep.o_diag, prep.o_off = d[:, None, :], f[:, None, :]  # [S, 1, head_dim]
        return prep

    def forward(self, x: Tensor, prep: PreparedAttention | None = None, hw: tuple[int, int] | None = None,
                out_bias: Tensor | None = None) -> Tensor:
        """Attention output ``[B, S, C]`` for tokens ``x`` ``[B, S, C]`` (row-major ``hw`` grid for GTA).

        ``out_bias`` (``[B, S, C]``), if given, replaces the output projection's bias inside its
        matmul (the Kuramoto layer passes ``b_o + c`` to get ``J x + c`` in one op)."""
        if prep is None:
            prep = self.prepare(hw)
        B, S, _ = x.shape
        qkv = F.linear(x, prep.w_qkv, prep.b_qkv).view(B, S, 3, self.heads, self.head_dim)
        if prep.qkv_diag is not None:
            qkv = apply_pairs(qkv, prep.qkv_diag, prep.qkv_off)
        q, k, v = qkv.unbind(2)
        o = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        o = o.transpose(1, 2)  # [B, S, heads, head_dim]
        if prep.o_diag is not None:
            o = apply_pairs(o, prep.o_diag, prep.o_off)
        o = o.reshape(B * S, self.ch)
        if out_bias is None:
            return F.linear(o, prep.w_o, prep.b_o).view(B, S, self.ch)
        return torch.addmm(out_bias.reshape(B * S, self.ch), o, prep.w_o.t()).view(B, S, self.ch)


__all__ = ["Attention", "PreparedAttention"]

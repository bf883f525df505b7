"""2-D GTA and RoPE attention for image tokens (the ``DiT`` branch of autonomousvision/gta).

Miyato et al., "GTA: A Geometry-Aware Attention Mechanism for Multi-View Transformers",
ICLR 2024, arXiv:2310.10375. Each token i carries a group element g_i with a representation
rho(g_i); GTA attends in relative frames (paper, Sec. 3, the definition of GTA):

    O_i = sum_j softmax_j(Q_i^T rho(g_i g_j^-1) K_j) rho(g_i g_j^-1) V_j,

and, since rho(g_i g_j^-1) = rho(g_i) rho(g_j)^-1, computes it token-wise (its efficient form):

    O = rho(g) (*) Attn(rho(g)^T (*) Q, rho(g)^-1 (*) K, rho(g)^-1 (*) V).

For images, g_i is the token's integer grid position (row, col) and rho is the multi-frequency
SO(2) representation (paper, Sec. 3, "SO(2)" / the image ViT experiments): a block-diagonal
matrix of 2F 2x2 rotations, F = head_dim / 4, frequencies w_f = 10000^(-f/F), f = 0..F-1, with
pair ``2f + d`` (frequency-major, axis-minor) rotated by coord_d * w_f. The official code stores
R = rho(g)^T (rotation by +coord_d * w_f), so, with rho^-1 = rho^T for rotations:

    gta:  q, k, v <- R q, R k, R v;  o <- SDPA(q, k, v);  o <- R^T o
    rope: q, k    <- R q, R k;       o <- SDPA(q, k, v)          (v and o untouched)

Either way the logit q_i^T R_i^T R_j k_j depends on positions only through coord_j - coord_i.
All rotations are applied with ``zoo_core.ops.rotate_blocks`` (the core's per-token
block-diagonal op). The attention module keeps the official ``Attention``'s layout (timm's
``qkv`` / ``q_norm`` / ``k_norm`` / ``proj``, and the official RMSNorm with a ``scale`` vector),
so the DiT branch's state dicts load unchanged.

Example: drop GTA into your own transformer::

    import torch
    from zoo_gta.gta2d import GTA2DAttention
    attn = GTA2DAttention(256, num_heads=4, grid=(8, 8), mode="gta", qkv_bias=True, qk_norm=True)
    tokens = torch.randn(2, 64, 256)          # [B, h*w, C], row-major over the 8x8 grid
    out = attn(tokens)                        # [2, 64, 256]
"""

from __future__ import annotations

from typing import Literal, Sequence

import torch
import torch.nn.functional as F
from timm.models.vision_transformer import Attention
from torch import nn

from zoo_core.ops import rotate_blocks

__all__ = ["MODES", "GTA2DAttention", "OfficialRMSNorm", "grid_coords", "gta2d_attention", "so2_rotations"]

Mode = Literal["gta", "rope", "none"]
MODES = ("gta", "rope", "none")
"""``gta``: q, k, v and the output transformed; ``rope``: q and k only; ``none``: plain attention."""


def grid_coords(h: int, w: int) -> torch.Tensor:
    """Integer (row, col) coordinates ``[h*w, 2]`` of an h x w token grid, row-major (float32)."""
    rows, cols = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                                torch.arange(w, dtype=torch.float32), indexing="ij")
    return torch.stack([rows.flatten(), cols.flatten()], -1)


def so2_rotations(coords: torch.Tensor, n_freqs: int, *, base: float = 10000.0) -> torch.Tensor:
    """Per-token 2x2 rotation blocks R = rho(g)^T of the multi-frequency SO(2) representation.

    Args:
        coords: ``[..., T, 2]`` token positions (row, col); integers in the DiT branch.
        n_freqs: F; the head dimension the blocks cover is 4F.
        base: w_f = base^(-f/F) (the official 10000).

    Returns:
        ``[..., T, 2F, 2, 2]``: block ``2f + d`` is [[cos a, -sin a], [sin a, cos a]] with
        a = coords[..., d] * w_f (the official ``make_SO2mats`` ordering).
    """
    if coords.shape[-1] != 2:
        raise ValueError(f"coords must be [..., T, 2] (row, col), got {list(coords.shape)}")
    if n_freqs < 1:
        raise ValueError(f"n_freqs must be >= 1 (head_dim = 4 * n_freqs), got {n_freqs}")
    freqs = base ** (-torch.arange(n_freqs, dtype=torch.float64) / n_freqs)       # w_f
    angles = coords.to(torch.float64)[..., None, :] * freqs[:, None]                # [..., T, F, 2]
    angles = angles.flatten(-2)                                                     # pair 2f + d
    cos, sin = angles.cos(), angles.sin()
    rot = torch.stack([cos, -sin, sin, cos], -1).unflatten(-1, (2, 2))
    return rot.to(coords.dtype if coords.dtype.is_floating_point else torch.float32)


def gta2d_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, rotations: torch.Tensor | None,
                    *, mode: Mode = "gta", dropout_p: float = 0.0) -> torch.Tensor:
    """Multi-head attention with 2-D GTA, RoPE or nothing (paper: GTA's token-wise form).

    Args:
        q, k, v: ``[B, H, T, D]`` (after any qk-norm), D = 4F for ``gta`` / ``rope``.
        rotations: ``[T, D/2, 2, 2]`` (or broadcastable ``[..., T, D/2, 2, 2]``) from
            :func:`so2_rotations`; ignored (may be None) for ``mode="none"``.
        mode: ``"gta"``, ``"rope"`` or ``"none"``.
        dropout_p: attention dropout (pass 0 at eval).

    Returns:
        ``[B, H, T, D]`` attention output (rotated back by R^T in ``gta`` mode).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "none":
        return F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
    if rotations is None:
        raise ValueError(f"mode {mode!r} needs rotations [T, head_dim/2, 2, 2] (so2_rotations)")
    R = rotations.to(q.dtype)
    q, k = rotate_blocks(q, R), rotate_blocks(k, R)        # rho^T Q, rho^-1 K  (rho^T = rho^-1 = R)
    if mode == "gta":
        v = rotate_blocks(v, R)                            # rho^-1 V
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p)
    if mode == "gta":
        out = rotate_blocks(out, R.transpose(-2, -1))      # rho (*) Attn(...), rho = R^T
    return out


class OfficialRMSNorm(nn.Module):
    """The DiT branch's RMSNorm: ``scale * x / (||x|| / sqrt(d) + eps)`` (eps outside the root).

    Kept as written (parameter ``scale``, eps 1e-8 added to the RMS) so checkpoints load and
    outputs match; ``torch.nn.RMSNorm`` puts eps inside the square root and names it ``weight``.
    """

    def __init__(self, d: int, eps: float = 1e-8, device=None, dtype=None):
        super().__init__()
        self.d, self.eps = d, eps
        self.scale = nn.Parameter(torch.ones(d, device=device, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = x.norm(2, dim=-1, keepdim=True) * self.d ** -0.5
        return self.scale * (x / (rms + self.eps))


class GTA2DAttention(Attention):
    """timm's ``Attention`` (same parameters and keys) with 2-D GTA / RoPE on an h x w grid.

    Args:
        dim, num_heads, qkv_bias, qk_norm, attn_drop, proj_drop: as timm's ``Attention``.
        grid: (h, w) of the token grid the input follows, row-major (DiT-B/2 at 256 px: 16 x 16).
        mode: ``"gta"``, ``"rope"`` or ``"none"`` (see :func:`gta2d_attention`).
        norm_layer: the qk-norm (default: the official RMSNorm).

    ``forward(x, coords=None)``: ``x`` is ``[B, h*w, C]``; ``coords`` (``[T, 2]`` or
    ``[B, T, 2]``) overrides the grid's integer positions, e.g. for shifted or sparse tokens. It
    also works as timm's ``Block(attn_layer=...)`` with ``grid`` and ``mode`` left at their defaults.
    """

    def __init__(self, dim: int, num_heads: int = 8, *, grid: Sequence[int] = (16, 16), mode: Mode = "gta",
                 qkv_bias: bool = False, qk_norm: bool = False, attn_drop: float = 0.0, proj_drop: float = 0.0,
                 norm_layer: type[nn.Module] = OfficialRMSNorm, **timm_kwargs):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        super().__init__(dim, num_heads=num_heads, qkv_bias=qkv_bias, qk_norm=qk_norm, attn_drop=attn_drop,
                         proj_drop=proj_drop, norm_layer=norm_layer, **timm_kwargs)
        if mode != "none" and self.head_dim % 4:
            raise ValueError(f"2-D {mode} needs head_dim divisible by 4 (F = head_dim / 4 frequencies); "
                             f"got head_dim {self.head_dim} = {dim} / {num_heads}")
        self.mode, self.grid = mode, tuple(int(g) for g in grid)
        self.n_freqs = self.head_dim // 4
        rot = so2_rotations(grid_coords(*self.grid), self.n_freqs) if mode != "none" else torch.empty(0)
        self.register_buffer("rotations", rot, persistent=False)   # not a parameter: no checkpoint key

    def forward(self, x: torch.Tensor, coords: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
                is_causal: bool = False) -> torch.Tensor:
        if attn_mask is not None or is_causal:   # timm's Block passes these; the DiT branch never masks
            raise ValueError("GTA2DAttention does not take attention masks (attn_mask / is_causal)")
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        q, k = self.q_norm(q), self.k_norm(k)
        rot = self.rotations
        if coords is not None:
            rot = so2_rotations(coords.to(x.device, torch.float32), self.n_freqs)
            rot = rot[:, None] if rot.ndim == 5 else rot          # [B, T, ...] -> [B, 1(heads), T, ...]
        elif self.mode != "none" and rot.shape[0] != N:
            raise ValueError(f"GTA2DAttention was built for a {self.grid[0]}x{self.grid[1]} grid "
                             f"({rot.shape[0]} tokens), got {N} tokens; pass coords or rebuild with grid=")
        x = gta2d_attention(q, k, v, rot, mode=self.mode, dropout_p=self.attn_drop.p if self.training else 0.0)
        x = x.transpose(1, 2).reshape(B, N, -1)
        return self.proj_drop(self.proj(self.norm(x)))

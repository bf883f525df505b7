"""The official SRT/GTA transformer layers (``source/layers.py`` on ``main``), own code.

State-dict keys equal the official ones, so official checkpoints load without renaming:
``to_qkv`` (self-attention) or ``to_q`` + ``to_kv`` (cross-attention), ``to_q``/``to_k``/``to_v``
(RePAST), ``to_out.0``, ``trans_coeff``; in :class:`Transformer`
``layers.{l}.0.norm``, ``layers.{l}.0.fn.*``, ``layers.{l}.1.norm``, ``layers.{l}.1.fn.net.{0,3}``.

Attention methods (``method=``):

* ``"gta"``: :func:`zoo_gta.gta.geometric_transform_attention` with the token representations
  of :class:`Geometry` and a learnable ``trans_coeff`` (init 0.01) when ``f_dims`` has se3.
* ``"repast"`` (RePAST, Safin et al. 2023): queries and keys are concatenated with ray
  embeddings expressed in each key view's frame (computed by the caller); each query has one
  vector per key view; values are plain (``v_bias=True`` also augments them). Logits are not
  scaled unless ``enable_scale``.
* ``"plain"`` (the official ``''``, SRT): softmax attention; ray embeddings go into the tokens
  before the transformer (the caller's job).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn import init

from zoo_gta.gta import GTAInputError, GTAReps, geometric_transform_attention

__all__ = ["METHODS", "Attention", "FeedForward", "Geometry", "JaxLinear", "PreNorm", "SRTLinear",
           "Transformer", "ViTLinear", "attention_kwargs"]

METHODS = ("gta", "repast", "plain")


class JaxLinear(nn.Linear):
    """Linear with JAX's default init: truncated normal (2 std), std = fan_in^-1/2; zero bias."""

    def reset_parameters(self) -> None:
        std = math.sqrt(1 / self.in_features)
        init.trunc_normal_(self.weight, std=std, a=-2 * std, b=2 * std)
        if self.bias is not None:
            init.zeros_(self.bias)


class ViTLinear(nn.Linear):
    """Linear with the ViT init: Xavier-uniform weight, bias ~ N(0, 1e-6)."""

    def reset_parameters(self) -> None:
        init.xavier_uniform_(self.weight)
        if self.bias is not None:
            init.normal_(self.bias, std=1e-6)


class SRTLinear(nn.Linear):
    """Linear with the SRT decoder init: Xavier-uniform weight, zero bias."""

    def reset_parameters(self) -> None:
        init.xavier_uniform_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


@dataclass(frozen=True)
class Geometry:
    """Per-forward geometric inputs of the attention layers (the official ``extras``).

    Attributes:
        reps_q: :class:`~zoo_gta.gta.GTAReps` of the query tokens (``gta``).
        reps_k: of the key/value tokens; ``None`` means ``reps_q`` (self-attention).
        query_ray_emb: ``[B, Tq, Nk, E]`` query rays embedded in each key view's frame (``repast``;
            only when the queries are not already augmented, i.e. 3-d).
        key_ray_emb: ``[B, Nk, Lk, E]`` key rays embedded in their own view's frame (``repast``).
    """

    reps_q: GTAReps | None = None
    reps_k: GTAReps | None = None
    query_ray_emb: Tensor | None = None
    key_ray_emb: Tensor | None = None


class PreNorm(nn.Module):
    """``fn(LayerNorm(x))`` (or L2 normalisation when ``dim`` is None)."""

    def __init__(self, dim: int | None, fn: nn.Module):
        super().__init__()
        self.norm = nn.LayerNorm(dim) if dim is not None else None
        self.fn = fn

    def forward(self, x: Tensor, **kwargs) -> Tensor:
        x = self.norm(x) if self.norm is not None else F.normalize(x, dim=-1)
        return self.fn(x, **kwargs)


class FeedForward(nn.Module):
    """Linear -> GELU -> Dropout -> Linear -> Dropout (``net.0``, ``net.3``)."""

    def __init__(self, dim: int, hidden_dim: int, dropout: float = 0.0, linear_module=ViTLinear):
        super().__init__()
        drop = (lambda: nn.Dropout(dropout)) if dropout else nn.Identity
        self.net = nn.Sequential(linear_module(dim, hidden_dim), nn.GELU(), drop(),
                                 linear_module(hidden_dim, dim), drop())

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class Attention(nn.Module):
    """Multi-head attention with the official methods ``gta``, ``repast`` and ``plain``.

    Args:
        dim: query token width. heads, dim_head: head count and size.
        kv_dim: key/value token width for cross-attention; ``None`` = self-attention.
        dropout: after the output projection.
        method: ``"gta"``, ``"repast"`` or ``"plain"``.
        f_dims, v_transform, euclid_sim: GTA settings (see ``geometric_transform_attention``).
        q_emb_dim, k_emb_dim, v_bias, enable_scale: RePAST settings.
        use_bias: biases in the q/k/v projections.
    """

    def __init__(self, dim: int, heads: int = 8, dim_head: int = 64, dropout: float = 0.0,
                 kv_dim: int | None = None, *, method: str = "gta", f_dims: Mapping[str, int] | None = None,
                 v_transform: bool = True, euclid_sim: bool = False, q_emb_dim: int = 0, k_emb_dim: int = 0,
                 v_bias: bool = False, enable_scale: bool = False, use_bias: bool = False,
                 linear_module=JaxLinear):
        super().__init__()
        if method not in METHODS:
            raise GTAInputError(f"Attention method must be one of {METHODS}, got {method!r}.")
        inner = dim_head * heads
        self.method, self.heads, self.dim_head = method, heads, dim_head
        self.scale = dim_head ** -0.5
        self.selfatt = kv_dim is None
        self.f_dims = dict(f_dims or {})
        self.v_transform, self.euclid_sim, self.enable_scale = v_transform, euclid_sim, enable_scale
        if method == "gta":
            if sum(self.f_dims.values()) != dim_head:
                raise GTAInputError(f"f_dims {self.f_dims} must sum to dim_head={dim_head}.")
            self.trans_coeff = nn.Parameter(torch.tensor([0.01])) if self.f_dims.get("se3", 0) else None
        if method == "repast":
            kv = dim if kv_dim is None else kv_dim
            self.v_bias = v_bias
            self.to_q = linear_module(dim + q_emb_dim, inner, bias=use_bias)
            self.to_k = linear_module(kv + k_emb_dim, inner, bias=use_bias)
            self.to_v = linear_module(kv + k_emb_dim if v_bias else kv, inner, bias=use_bias)
        elif kv_dim is None:
            self.to_qkv = linear_module(dim, 3 * inner, bias=use_bias)
        else:
            self.to_q = linear_module(dim, inner, bias=use_bias)
            self.to_kv = linear_module(kv_dim, 2 * inner, bias=use_bias)
        project_out = not (heads == 1 and dim_head == dim)
        self.to_out = nn.Sequential(linear_module(inner, dim), nn.Dropout(dropout)) if project_out else nn.Identity()

    def _heads(self, t: Tensor) -> Tensor:     # [..., T, h*d] -> [..., h, T, d]
        return t.unflatten(-1, (self.heads, self.dim_head)).transpose(-3, -2)

    def _merge(self, t: Tensor) -> Tensor:     # [B, h, T, d] -> [B, T, h*d]
        return t.transpose(1, 2).flatten(2)

    def forward(self, x: Tensor, z: Tensor | None = None, geometry: Geometry | None = None) -> Tensor:
        """x ``[B, Tq, dim]`` (RePAST: or ``[B, Tq, Nk, dim]``), z ``[B, Tk, kv_dim]`` or None."""
        if self.method == "repast":
            return self._repast(x, z, geometry)
        if z is None:
            q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        else:
            q = self.to_q(x)
            k, v = self.to_kv(z).chunk(2, dim=-1)
        q, k, v = map(self._heads, (q, k, v))
        if self.method == "gta":
            if geometry is None or geometry.reps_q is None:
                raise GTAInputError("a gta Attention needs geometry=Geometry(reps_q=..., reps_k=...).")
            reps_k = geometry.reps_k if geometry.reps_k is not None else geometry.reps_q
            out = geometric_transform_attention(
                q, k, v, geometry.reps_q, reps_k, self.f_dims,
                trans_coeff=self.trans_coeff if self.trans_coeff is not None else 1.0,
                v_transform=self.v_transform, euclid_sim=self.euclid_sim, scale=self.scale)
        else:
            out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return self.to_out(self._merge(out))

    def _repast(self, x: Tensor, z: Tensor | None, geometry: Geometry | None) -> Tensor:
        kv = x if z is None else z
        if kv.ndim != 3:
            raise GTAInputError(f"RePAST keys/values must be [B, Tk, C] tokens, got {list(kv.shape)}.")
        k_ray = None if geometry is None else geometry.key_ray_emb
        if k_ray is None:
            raise GTAInputError("RePAST needs geometry.key_ray_emb [B, Nk, Lk, E].")
        B, Nk, Lk = k_ray.shape[:3]
        augmented = x.ndim == 4                                    # decoder: [B, Tq, Nk, C] already
        if not augmented:
            q_ray = geometry.query_ray_emb
            if q_ray is None:
                raise GTAInputError("RePAST with 3-d queries needs geometry.query_ray_emb [B, Tq, Nk, E].")
            x = torch.cat([x.unsqueeze(2).expand(-1, -1, Nk, -1), q_ray], -1)   # [B, Tq, Nk, C+E]
        Tq = x.shape[1]
        k = torch.cat([kv.reshape(B, Nk, Lk, -1), k_ray], -1)                   # [B, Nk, Lk, C+E]
        v = torch.cat([kv.reshape(B, Nk, Lk, -1), k_ray], -1).flatten(1, 2) if self.v_bias else kv
        q = self._heads(self.to_q(x).transpose(1, 2))                          # [B, Nk, h, Tq, d]
        k = self._heads(self.to_k(k))                                          # [B, Nk, h, Lk, d]
        v = self._heads(self.to_v(v))                                          # [B, h, Nk*Lk, d]
        sim = (q @ k.mT).permute(0, 2, 3, 1, 4).reshape(B, self.heads, Tq, Nk * Lk)   # per key view
        attn = torch.softmax(sim * self.scale if self.enable_scale else sim, -1)
        out = self._merge(attn @ v)                                            # [B, Tq, h*d]
        if augmented:
            out = out.unsqueeze(2).expand(-1, -1, Nk, -1)
        return self.to_out(out)


class Transformer(nn.Module):
    """``depth`` x [x + PreNorm(Attention), x + PreNorm(FeedForward)] (JaxLinear / ViTLinear init).

    ``attn_kwargs`` go to every :class:`Attention` (``method``, ``f_dims``, ...).
    """

    def __init__(self, dim: int, depth: int, heads: int, dim_head: int, mlp_dim: int, dropout: float = 0.0,
                 kv_dim: int | None = None, **attn_kwargs):
        super().__init__()
        dropout = dropout or 0.0
        self.layers = nn.ModuleList([
            nn.ModuleList([
                PreNorm(dim, Attention(dim, heads=heads, dim_head=dim_head, dropout=dropout, kv_dim=kv_dim,
                                       linear_module=JaxLinear, **attn_kwargs)),
                PreNorm(dim, FeedForward(dim, mlp_dim, dropout=dropout, linear_module=ViTLinear)),
            ]) for _ in range(depth)])

    def forward(self, x: Tensor, z: Tensor | None = None, geometry: Geometry | None = None) -> Tensor:
        for attn, ff in self.layers:
            x = attn(x, z=z, geometry=geometry) + x
            x = ff(x) + x
        return x


def attention_kwargs(attn_args: Mapping) -> dict:
    """Our :class:`Attention` keywords from an official config's ``attn_args`` block.

    ``{"method": {"name": "gta", "args": {"f_dims": ..., "v_transform": ..., ...}}}`` ->
    ``{"method": "gta", "f_dims": ..., ...}``; the official name ``""`` is ``"plain"``.
    """
    name = attn_args["method"]["name"] or "plain"
    args = dict(attn_args["method"].get("args") or {})
    if name not in METHODS:
        raise GTAInputError(f"official attention method {name!r} is not ported; supported: {METHODS}.")
    out = {"method": name, "use_bias": args.get("use_bias", False)}
    if name == "gta":
        out.update(f_dims={k: v for k, v in args["f_dims"].items() if v}, v_transform=args.get("v_transform", True),
                   euclid_sim=args.get("euclid_sim", False))
    elif name == "repast":
        out.update(q_emb_dim=args["q_emb_dim"], k_emb_dim=args["k_emb_dim"], v_bias=args.get("v_bias", False),
                   enable_scale=args.get("enable_scale", False))
    return out

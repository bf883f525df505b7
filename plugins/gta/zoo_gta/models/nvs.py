"""SRT-style novel-view synthesis: TransformingSRT with GTA, and the SRT and RePAST baselines.

One file holds the whole model of the official ``main`` branch (autonomousvision/gta,
``source/encoder.py``, ``decoder.py``, ``models_nvs.py``, ``layers.py``), written anew:

* **Encoder** (``ImprovedSRTEncoder``): per input view 3 ``SRTConvBlock``s (3x3 conv + ReLU,
  3x3 stride-2 conv + ReLU, no bias; channels 3 -> dim/8 -> dim/4 -> ... -> dim), a 1x1
  ``per_patch_linear`` to ``attdim``, the tokens of all views concatenated, then a Transformer
  of ``num_att_blocks`` PreNorm [self-attention, FeedForward(2 attdim, GELU)] blocks.
  ``emb: ray`` (SRT) concatenates the 180-d ray/position encoding to every input pixel.
* **Decoder** (``ImprovedSRTDecoder`` / ``RayPredictor``): every target ray is a query, either
  the learned constant ``initial_emb`` (``emb: const``, GTA) or its ray encoding through a
  2-layer MLP (``emb: ray``, SRT/RePAST); 2 PreNorm [cross-attention to the scene tokens,
  FeedForward] blocks; the render MLP (4 x LeakyReLU layers of ``rmlp_dim``) and a sigmoid.
* **Attention** by ``attn_args.method.name``:
  ``"gta"`` — geometric transform attention (paper Eq. 5, official code convention):
  ``O = rho(g_q) Attn(rho(g_q)^T Q, rho(g_k)^-1 K, rho(g_k)^-1 V)`` with rho block-diagonal per
  head in the order [triv | se3 | so3 | so2 | t2]: SE(3) = the view's world->camera extrinsic E
  (translation scaled by the learned ``trans_coeff``, init 0.01), SO(3) = real Wigner-D of
  degrees 1, 2 of the camera rotation, SO(2) = multi-frequency rotations of the token's image
  coordinate; ``""`` — plain softmax attention; ``"repast"`` — keys and queries concatenated
  with ray encodings expressed in each key view's camera frame (official quirk kept: no
  ``dim_head^-1/2`` scaling unless ``enable_scale``).

The constructor takes the official model config verbatim (``model.args`` of a
``runs/.../config.yaml``): ``model_type`` (``"tsrt"`` or ``"srt"``), ``encoder_kwargs``,
``decoder_kwargs``. Parameter names equal the official ones: ``model.encoder.state_dict()``
and ``model.decoder.state_dict()`` are the official checkpoint's ``"encoder"`` and
``"decoder"`` dicts.

Geometry enters only through cameras: ``forward`` takes the input views with their
world->camera extrinsics and per-pixel world rays, and the target rays with their views'
extrinsics and image coordinates. No canonicalisation happens here (the official datasets do
it: every pose relative to the first input camera, ``zoo_gta.cameras.relative_to``), so the
GTA model is invariant to any rigid motion of the world frame by construction while the SRT
baseline, which embeds absolute positions and directions, is not.

Example::

    import zoo
    model = zoo.create("gta-srt-clevrtr")
    rgb = model(**model.example_inputs())     # [B, target views, rays, 3] in [0, 1]
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn import init

from zoo_core.interfaces import Model
from zoo_gta.cameras import camera_positions, patch_coords, positional_encoding

__all__ = ["TransformingSRT", "ImprovedSRTEncoder", "ImprovedSRTDecoder", "Transformer",
           "Attention", "geometric_transform_attention", "so2_matrices"]

BLOCK_ORDER = ("triv", "se3", "so3", "so2", "t2")


# --- linear layers with the official initialisations ----------------------------------------

class JaxLinear(nn.Linear):
    """Attention projections: truncated normal (std = fan_in^-1/2, cut at 2 std), zero bias."""

    def reset_parameters(self):
        std = math.sqrt(1 / self.weight.shape[-1])
        init.trunc_normal_(self.weight, std=std, a=-2 * std, b=2 * std)
        if self.bias is not None:
            init.zeros_(self.bias)


class ViTLinear(nn.Linear):
    """Feed-forward layers: Xavier uniform, bias N(0, 1e-6)."""

    def reset_parameters(self):
        init.xavier_uniform_(self.weight)
        if self.bias is not None:
            init.normal_(self.bias, std=1e-6)


class SRTLinear(nn.Linear):
    """Decoder MLPs: Xavier uniform, zero bias."""

    def reset_parameters(self):
        init.xavier_uniform_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


# --- the representations ----------------------------------------------------------------------

def so2_matrices(coords: torch.Tensor, nfreqs: int, max_freqs=(1.0, 1.0), shared_freqs: bool = False
                 ) -> torch.Tensor:
    """Official ``make_SO2mats``: 2x2 rotations by ``max_freq_d 2 pi coord_d f_k`` with
    ``f_k = 2^k / 2^F`` (k = 1..F; all 1 when ``shared_freqs``): ``[..., 2] -> [..., 2F, 2, 2]``,
    pair index ``k * 2 + d`` (frequency-major, axis-minor)."""
    if shared_freqs:
        freqs = torch.ones(nfreqs, dtype=coords.dtype, device=coords.device)
    else:
        freqs = 2.0 ** torch.arange(1, nfreqs + 1, dtype=coords.dtype, device=coords.device) / 2.0 ** nfreqs
    scale = torch.tensor(max_freqs, dtype=coords.dtype, device=coords.device)
    theta = 2 * math.pi * (coords * scale)[..., None, :] * freqs[:, None]  # [..., F, 2]
    c, s = torch.cos(theta), torch.sin(theta)
    mats = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # [..., F, 2, 2, 2]
    return mats.flatten(-4, -3)


def scale_translation(mat: torch.Tensor, trans_coeff: torch.Tensor) -> torch.Tensor:
    """Official ``scale_mask``: the translation column of 4x4 matrices times ``trans_coeff``
    (a conjugation by diag(c, c, c, 1), so products and inverses are preserved)."""
    top = torch.cat([mat[..., :3, :3], mat[..., :3, 3:] * trans_coeff], -1)
    return torch.cat([top, mat[..., 3:, :]], -2)


def geometric_transform_attention(q, k, v, reps_q: dict, reps_k: dict, f_dims: dict,
                                  trans_coeff=None, v_transform: bool = True, scale: float | None = None,
                                  dropout_p: float = 0.0):
    """GTA on heads ``q [B, H, Tq, d]``, ``k, v [B, H, Tk, d]`` (tokens grouped by view).

    ``reps_*``: ``"se3"`` world->camera extrinsics ``[B, N, 4, 4]`` per view, ``"so3"`` list of
    Wigner-D matrices ``[B, N, 2l+1, 2l+1]`` per view (of the camera-to-world rotation),
    ``"so2"`` ``[B, T, 2F, 2, 2]`` per token. ``f_dims``: channels per head of each part.
    """
    B, H, Tq, d = q.shape
    Tk = k.shape[2]
    parts_q, parts_k, parts_v, undo = [], [], [], []
    start = 0
    for key in BLOCK_ORDER:
        n = f_dims.get(key, 0) or 0
        if n == 0:
            continue
        sl = slice(start, start + n)
        start += n
        qs, ks, vs = q[..., sl], k[..., sl], v[..., sl]
        if key == "triv":
            parts_q.append(qs), parts_k.append(ks), parts_v.append(vs)
            undo.append(lambda o: o)
        elif key == "se3":
            Eq = scale_translation(reps_q["se3"], trans_coeff)
            Ek_inv = scale_translation(torch.linalg.inv(reps_k["se3"]), trans_coeff)
            Nq, Nk = Eq.shape[1], Ek_inv.shape[1]
            apply = lambda A, x, N, T: torch.einsum("bnij,bhntcj->bhntci", A,
                                                    x.reshape(B, H, N, T // N, -1, 4)).reshape(B, H, T, -1)
            parts_q.append(apply(Eq.transpose(-1, -2), qs, Nq, Tq))
            parts_k.append(apply(Ek_inv, ks, Nk, Tk))
            parts_v.append(apply(Ek_inv, vs, Nk, Tk) if v_transform else vs)
            undo.append(lambda o, Eq=Eq, Nq=Nq: apply(Eq, o, Nq, Tq))
        elif key == "so3":
            Dq, Dk = [D.detach() for D in reps_q["so3"]], [D.detach() for D in reps_k["so3"]]
            sizes = [D.shape[-1] for D in Dq]
            width = sum(sizes)

            def apply3(Ds, x, T, transpose=False):
                N = Ds[0].shape[1]
                x = x.reshape(B, H, N, -1, width)
                out = [torch.einsum("bnij,bhnkj->bhnki", D.transpose(-1, -2) if transpose else D, xi)
                       for D, xi in zip(Ds, x.split(sizes, -1))]
                return torch.cat(out, -1).reshape(B, H, T, -1)

            parts_q.append(apply3(Dq, qs, Tq))
            parts_k.append(apply3(Dk, ks, Tk))
            parts_v.append(apply3(Dk, vs, Tk) if v_transform else vs)
            undo.append(lambda o, Dq=Dq: apply3(Dq, o, Tq, transpose=True))
        elif key == "so2":
            Rq, Rk = reps_q["so2"], reps_k["so2"]
            apply2 = lambda R, x, T: torch.einsum("btcij,bhtcj->bhtci", R,
                                                  x.reshape(B, H, T, R.shape[2], 2)).reshape(B, H, T, -1)
            parts_q.append(apply2(Rq, qs, Tq))
            parts_k.append(apply2(Rk, ks, Tk))
            parts_v.append(apply2(Rk, vs, Tk) if v_transform else vs)
            undo.append(lambda o, Rq=Rq: apply2(Rq.transpose(-1, -2), o, Tq))
        else:
            raise NotImplementedError(f"GTA part {key!r} is not supported by the NVS models "
                                      f"(supported: triv, se3, so3, so2)")
    if start != d:
        raise ValueError(f"f_dims {f_dims} cover {start} channels per head, the heads have {d}")
    out = F.scaled_dot_product_attention(torch.cat(parts_q, -1), torch.cat(parts_k, -1),
                                         torch.cat(parts_v, -1), dropout_p=dropout_p, scale=scale)
    if not v_transform:
        return out
    pieces, start = [], 0
    for fn, piece in zip(undo, out.split([f_dims[k] for k in BLOCK_ORDER if f_dims.get(k, 0)], -1)):
        pieces.append(fn(piece))
    return torch.cat(pieces, -1)


# --- transformer -------------------------------------------------------------------------------

class PreNorm(nn.Module):
    def __init__(self, dim: int, fn: nn.Module):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fn = fn

    def forward(self, x, **kwargs):
        return self.fn(self.norm(x), **kwargs)


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden_dim: int, dropout: float = 0.0):
        super().__init__()
        drop = (lambda: nn.Dropout(dropout)) if dropout > 0 else nn.Identity
        self.net = nn.Sequential(ViTLinear(dim, hidden_dim), nn.GELU(), drop(), ViTLinear(hidden_dim, dim), drop())

    def forward(self, x):
        return self.net(x)


class Attention(nn.Module):
    """Official ``layers.py: Attention`` for the methods ``gta``, ``repast`` and plain (``""``).

    Self-attention when ``kv_dim`` is None (``to_qkv``), cross-attention otherwise (``to_q``,
    ``to_kv``); RePAST has ``to_q``, ``to_k``, ``to_v`` over ray-augmented inputs.
    """

    def __init__(self, dim: int, heads: int = 8, dim_head: int = 64, dropout: float = 0.0,
                 kv_dim: int | None = None, attn_args: dict | None = None):
        super().__init__()
        inner = dim_head * heads
        method = (attn_args or {}).get("method", {"name": "", "args": {}})
        self.method, self.args = method["name"], method.get("args") or {}
        if self.method not in ("", "gta", "repast"):
            raise NotImplementedError(f"attention method {self.method!r}: this port has 'gta', "
                                      "'repast' and '' (plain)")
        if self.args.get("euclid_sim") or self.args.get("elementwise_mul") or self.args.get("rpe"):
            raise NotImplementedError("the euclid_sim / elementwise_mul / rpe ablations are not ported")
        self.heads, self.scale, self.dropout = heads, dim_head ** -0.5, dropout
        bias = self.args.get("use_bias", False)
        if self.method == "gta":
            self.f_dims = dict(self.args["f_dims"])
            if self.f_dims.get("se3", 0) > 0:
                self.trans_coeff = nn.Parameter(torch.tensor([0.01]))
            else:
                self.trans_coeff = None
        if self.method == "repast":
            kv = dim if kv_dim is None else kv_dim
            self.v_bias = self.args.get("v_bias", False)
            self.to_q = JaxLinear(dim + self.args["q_emb_dim"], inner, bias=bias)
            self.to_k = JaxLinear(kv + self.args["k_emb_dim"], inner, bias=bias)
            self.to_v = JaxLinear(kv + self.args["k_emb_dim"] if self.v_bias else kv, inner, bias=bias)
        elif kv_dim is None:
            self.to_qkv = JaxLinear(dim, inner * 3, bias=bias)
        else:
            self.to_q = JaxLinear(dim, inner, bias=bias)
            self.to_kv = JaxLinear(kv_dim, inner * 2, bias=bias)
        self.to_out = nn.Sequential(JaxLinear(inner, dim), nn.Dropout(dropout))

    def _heads(self, t):
        return t.unflatten(-1, (self.heads, -1)).movedim(-2, 1)  # b n (h d) -> b h n d

    def forward(self, x, z=None, geo: dict | None = None):
        if self.method == "repast":
            return self._repast(x, z, geo)
        if z is None:
            q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        else:
            q = self.to_q(x)
            k, v = self.to_kv(z).chunk(2, dim=-1)
        q, k, v = map(self._heads, (q, k, v))
        if self.method == "gta":
            out = geometric_transform_attention(
                q, k, v, geo["q"], geo["k"], self.f_dims, self.trans_coeff,
                v_transform=self.args.get("v_transform", True), scale=self.scale)
        else:
            out = F.scaled_dot_product_attention(q, k, v, scale=self.scale)
        return self.to_out(out.movedim(1, -2).flatten(-2))

    def _repast(self, x, z, geo):
        """RePAST: score of query t and key l of view n is ``to_q[x_t, ray_t in frame n] .
        to_k[z_l, ray_l in frame n]``; the softmax runs over all keys of all views."""
        augmented = x.dim() == 4  # decoder queries arrive already ray-augmented per key view
        if augmented:
            q_in = x
        else:
            q_ray = geo["query_ray_emb"]  # [B, Tq, Nk, E]
            q_in = torch.cat([x[:, :, None].expand(-1, -1, q_ray.shape[2], -1), q_ray], -1)
        B, Tq, Nk = q_in.shape[:3]
        kv = x if z is None else z
        k_ray = geo["key_ray_emb"]  # [B, Nk, Lk, E]
        kv_views = kv.reshape(*k_ray.shape[:-1], -1)
        k = torch.cat([kv_views, k_ray], -1)
        v = k.flatten(1, 2) if self.v_bias else kv
        q = self.to_q(q_in).unflatten(-1, (self.heads, -1)).permute(0, 3, 1, 2, 4)  # [B, H, Tq, Nk, d]
        k = self.to_k(k).unflatten(-1, (self.heads, -1)).permute(0, 3, 1, 2, 4)  # [B, H, Nk, Lk, d]
        v = self._heads(self.to_v(v))
        sim = torch.einsum("bhtnc,bhnlc->bhtnl", q, k).reshape(B, self.heads, Tq, -1)
        if self.args.get("enable_scale", False):
            sim = sim * self.scale
        out = (sim.softmax(-1) @ v).movedim(1, -2).flatten(-2)
        if augmented:
            out = out[:, :, None].expand(-1, -1, Nk, -1)
        return self.to_out(out)


class Transformer(nn.Module):
    """``depth`` x [PreNorm(Attention) + residual, PreNorm(FeedForward) + residual]."""

    def __init__(self, dim, depth, heads, dim_head, mlp_dim, dropout=0.0, kv_dim=None, attn_args=None):
        super().__init__()
        self.layers = nn.ModuleList([
            nn.ModuleList([PreNorm(dim, Attention(dim, heads, dim_head, dropout, kv_dim, attn_args)),
                           PreNorm(dim, FeedForward(dim, mlp_dim, dropout))])
            for _ in range(depth)])

    def forward(self, x, z=None, geo=None):
        for attn, ff in self.layers:
            x = attn(x, z=z, geo=geo) + x
            x = ff(x) + x
        return x


# --- encoder and decoder --------------------------------------------------------------------

def _method(attn_args: dict) -> tuple[str, dict]:
    m = attn_args["method"]
    return m["name"], m.get("args") or {}


def _frame_reps(args: dict, extrinsics: torch.Tensor, coords: torch.Tensor) -> dict:
    """GTA representations of a token set: per-view extrinsics, Wigner-D, per-token SO(2)."""
    f_dims = args["f_dims"]
    reps: dict[str, Any] = {}
    if f_dims.get("se3", 0):
        reps["se3"] = extrinsics
    if f_dims.get("so3", 0):
        from zoo_gta.wigner import wigner_d_matrices  # the official J-matrix basis (zoo-gta)

        R = torch.linalg.inv(extrinsics)[..., :3, :3]
        reps["so3"] = [D.reshape(*R.shape[:-2], *D.shape[-2:])
                       for D in wigner_d_matrices(args["so3"], R.flatten(0, -3))[1:]]
    if f_dims.get("so2", 0):
        reps["so2"] = so2_matrices(coords, args["so2"], (args["max_freq_h"], args["max_freq_w"]),
                                   args.get("shared_freqs", False))
    return reps


def _to_frames(extrinsics: torch.Tensor, points: torch.Tensor, w: float) -> torch.Tensor:
    """Official ``rigid_transform``: points (w = 1) or directions (w = 0) ``[B, N, T, 3]`` in the
    frames of the cameras ``[B, N, 4, 4]``."""
    return points @ extrinsics[:, :, :3, :3].transpose(-1, -2) + w * extrinsics[:, :, None, :3, 3]


class SRTConvBlock(nn.Module):
    def __init__(self, idim: int, hdim: int | None = None, odim: int | None = None):
        super().__init__()
        hdim = idim if hdim is None else hdim
        odim = 2 * hdim if odim is None else odim
        kw = dict(bias=False, kernel_size=3, padding=1)
        self.layers = nn.Sequential(nn.Conv2d(idim, hdim, stride=1, **kw), nn.ReLU(),
                                    nn.Conv2d(hdim, odim, stride=2, **kw), nn.ReLU())

    def forward(self, x):
        return self.layers(x)


class ImprovedSRTEncoder(nn.Module):
    """Conv stem per view + self-attention Transformer over the tokens of all input views."""

    def __init__(self, dim=768, attdim=768, num_conv_blocks=3, num_att_blocks=5, pos_start_octave=0,
                 heads=12, dropout=None, emb="ray", attn_args=None, **unused):
        super().__init__()
        attn_args = attn_args or {"method": {"name": "", "args": {}}}
        self.method, self.args = _method(attn_args)
        if emb not in ("ray", False):
            raise NotImplementedError(f"encoder emb {emb!r}: this port has 'ray' and False")
        self.emb, self.pos_start_octave = emb, pos_start_octave
        emb_dim = 180 if emb == "ray" and self.method != "repast" else 0
        blocks = [SRTConvBlock(idim=3 + emb_dim, hdim=dim // 8)]
        width = dim // 4
        for _ in range(1, num_conv_blocks):
            blocks.append(SRTConvBlock(idim=width))
            width *= 2
        self.conv_blocks = nn.Sequential(*blocks)
        self.stride = 2 ** num_conv_blocks
        self.per_patch_linear = nn.Conv2d(width, attdim, kernel_size=1)
        self.transformer = Transformer(attdim, num_att_blocks, heads, attdim // heads, attdim * 2,
                                       dropout=dropout or 0.0, attn_args=attn_args)

    def ray_emb(self, positions, rays):
        return torch.cat([positional_encoding(positions, 15, self.pos_start_octave),
                          positional_encoding(rays, 15, 0)], -1)

    def forward(self, images, extrinsics, rays):
        """``images [B, N, 3, H, W]``, ``extrinsics [B, N, 4, 4]``, ``rays [B, N, H, W, 3]`` ->
        (tokens ``[B, N * H/8 * W/8, attdim]``, geometry shared with the decoder)."""
        B, N, _, H, W = images.shape
        positions = camera_positions(extrinsics)
        geo: dict[str, Any] = {"input_extrinsics": extrinsics}
        s = self.stride
        if self.method == "gta":
            coords = patch_coords(H, W, s, images.dtype).to(images.device).expand(B * N, -1, -1)
            geo["k_reps"] = _frame_reps(self.args, extrinsics, coords.reshape(B, -1, 2))
            geo["q"] = geo["k"] = geo["k_reps"]
        if self.method == "repast":
            sub = rays[:, :, s // 2::s, s // 2::s].flatten(2, 3)  # rays at the patch centres
            pos = positions[:, :, None].expand_as(sub)
            key_emb = self.ray_emb(_to_frames(extrinsics, pos, 1.0), _to_frames(extrinsics, sub, 0.0))
            geo["key_ray_emb"] = key_emb  # [B, Nk, Lk, 180]: each view's rays in its own frame
            allp, allr = pos.flatten(1, 2)[:, None].expand(-1, N, -1, -1), sub.flatten(1, 2)[:, None].expand(-1, N, -1, -1)
            geo["query_ray_emb"] = self.ray_emb(_to_frames(extrinsics, allp, 1.0),
                                                _to_frames(extrinsics, allr, 0.0)).transpose(1, 2)
        x = images.flatten(0, 1)
        if self.emb == "ray" and self.method != "repast":
            emb = self.ray_emb(positions[:, :, None, None].expand(-1, -1, H, W, -1), rays)
            x = torch.cat([x, emb.flatten(0, 1).permute(0, 3, 1, 2)], 1)
        x = self.per_patch_linear(self.conv_blocks(x))
        x = x.flatten(2).transpose(1, 2).reshape(B, -1, x.shape[1])
        return self.transformer(x, None, geo), geo


class RayPredictor(nn.Module):
    """Queries (constant or ray-encoded) cross-attending to the scene tokens."""

    def __init__(self, dim=180, num_att_blocks=2, pos_start_octave=0, z_dim=768, heads=12, dim_head=128,
                 mlp_dim=3072, emb="ray", dropout=None, attn_args=None):
        super().__init__()
        self.emb, self.pos_start_octave = emb, pos_start_octave
        if emb == "const":
            self.initial_emb = nn.Parameter(torch.randn(dim))
        elif emb == "ray":
            self.input_mlp = nn.Sequential(SRTLinear(180, 360), nn.ReLU(), SRTLinear(360, dim))
        else:
            raise NotImplementedError(f"decoder emb {emb!r}: this port has 'const' and 'ray'")
        self.transformer = Transformer(dim, num_att_blocks, heads, dim_head, mlp_dim, dropout=dropout or 0.0,
                                       kv_dim=z_dim, attn_args=attn_args)

    def forward(self, z, positions, rays, geo):
        if self.emb == "const":
            queries = self.initial_emb.expand(*rays.shape[:2], -1)
        else:
            queries = self.input_mlp(torch.cat([positional_encoding(positions, 15, self.pos_start_octave),
                                                positional_encoding(rays, 15, 0)], -1))
        return self.transformer(queries, z, geo)


class ImprovedSRTDecoder(nn.Module):
    def __init__(self, dim=180, num_att_blocks=2, pos_start_octave=0, z_dim=768, heads=12, rmlp_dim=1536,
                 act="lrelu", dropout=None, dim_head=None, mlp_dim=None, emb="ray", sigmoid=True,
                 attn_args=None, **unused):
        super().__init__()
        attn_args = attn_args or {"method": {"name": "", "args": {}}}
        self.method, self.args = _method(attn_args)
        self.allocation_transformer = RayPredictor(
            dim, num_att_blocks, pos_start_octave, z_dim, heads,
            z_dim // heads if dim_head is None else dim_head, z_dim * 2 if mlp_dim is None else mlp_dim,
            emb, dropout, attn_args)
        acts = {"relu": nn.ReLU, "lrelu": nn.LeakyReLU, "gelu": nn.GELU}
        layers: list[nn.Module] = [SRTLinear(dim, rmlp_dim)]
        for _ in range(3):
            layers += [acts[act](), SRTLinear(rmlp_dim, rmlp_dim)]
        layers += [acts[act](), SRTLinear(rmlp_dim, 3), nn.Sigmoid() if sigmoid else nn.Identity()]
        self.render_mlp = nn.Sequential(*layers)

    def forward(self, z, extrinsics, rays, coords, geo):
        """``z`` scene tokens; ``extrinsics [B, Nt, 4, 4]``, ``rays [B, Nt, P, 3]``, ``coords
        [B, Nt, P, 2]`` of the target rays -> colours ``[B, Nt * P, 3]``."""
        B, Nt, P, _ = rays.shape
        positions = camera_positions(extrinsics)[:, :, None].expand(-1, -1, P, -1)
        if self.method == "gta":
            geo = {**geo, "q": _frame_reps(self.args, extrinsics, coords.flatten(1, 2))}
        if self.method == "repast":
            E = geo["input_extrinsics"]
            Nk = E.shape[1]
            pos = _to_frames(E, positions.flatten(1, 2)[:, None].expand(-1, Nk, -1, -1), 1.0)
            dirs = _to_frames(E, rays.flatten(1, 2)[:, None].expand(-1, Nk, -1, -1), 0.0)
            x = self.allocation_transformer(z, pos.transpose(1, 2), dirs.transpose(1, 2), geo).mean(2)
        else:
            x = self.allocation_transformer(z, positions.flatten(1, 2), rays.flatten(1, 2), geo)
        return self.render_mlp(x)


class TransformingSRT(Model):
    """The official ``TransformingSRT`` ("tsrt") and ``SRT`` ("srt"): encoder + decoder.

    Config: the official ``model.args`` (``model_type``, ``encoder_kwargs``, ``decoder_kwargs``;
    ``encoder``/``decoder`` must be ``"isrt"``). ``forward`` returns target colours
    ``[B, Nt, P, 3]``.
    """

    zoo_components = {"encoder": "encoder", "decoder": "decoder"}

    def __init__(self, *, model_type: str = "tsrt", encoder: str = "isrt", decoder: str = "isrt",
                 encoder_kwargs: dict, decoder_kwargs: dict, ftl: bool = False):
        super().__init__()
        if model_type not in ("tsrt", "srt") or encoder != "isrt" or decoder != "isrt" or ftl:
            raise NotImplementedError("this port has model_type 'tsrt'/'srt' with the 'isrt' encoder "
                                      "and decoder, without ftl")
        self.model_type = model_type
        self.encoder = ImprovedSRTEncoder(**encoder_kwargs)
        self.decoder = ImprovedSRTDecoder(**decoder_kwargs)

    def forward(self, input_images, input_extrinsics, input_rays, target_extrinsics, target_rays, target_coords):
        """
        Args:
            input_images: ``[B, Ni, 3, H, W]`` in [0, 1]; H and W divisible by 8.
            input_extrinsics: ``[B, Ni, 4, 4]`` world->camera.
            input_rays: ``[B, Ni, H, W, 3]`` unit world ray directions of the input pixels.
            target_extrinsics: ``[B, Nt, 4, 4]``.
            target_rays: ``[B, Nt, P, 3]`` the rays to render.
            target_coords: ``[B, Nt, P, 2]`` their image coordinates ``(row / H, col / W)``.
        """
        self._check(input_images, input_extrinsics, input_rays, target_extrinsics, target_rays, target_coords)
        z, geo = self.encoder(input_images, input_extrinsics, input_rays)
        rgb = self.decoder(z, target_extrinsics, target_rays, target_coords, geo)
        return rgb.reshape(*target_rays.shape[:3], 3)

    def _check(self, images, E_in, rays_in, E_t, rays_t, coords_t):
        if images.dim() != 5 or images.shape[2] != 3:
            raise ValueError(f"input_images must be [B, views, 3, H, W], got {tuple(images.shape)}")
        B, N, _, H, W = images.shape
        s = self.encoder.stride
        if H % s or W % s:
            raise ValueError(f"input images must have H and W divisible by {s}, got {H}x{W}")
        if tuple(E_in.shape) != (B, N, 4, 4) or tuple(rays_in.shape) != (B, N, H, W, 3):
            raise ValueError(f"input_extrinsics must be [{B}, {N}, 4, 4] and input_rays [{B}, {N}, {H}, {W}, 3], "
                             f"got {tuple(E_in.shape)} and {tuple(rays_in.shape)}")
        if E_t.dim() != 4 or E_t.shape[0] != B or rays_t.shape[:2] != E_t.shape[:2] or rays_t.shape[-1] != 3 \
                or coords_t.shape != (*rays_t.shape[:3], 2):
            raise ValueError("target_extrinsics [B, Nt, 4, 4], target_rays [B, Nt, P, 3] and target_coords "
                             f"[B, Nt, P, 2] must agree, got {tuple(E_t.shape)}, {tuple(rays_t.shape)}, "
                             f"{tuple(coords_t.shape)}")

    def example_inputs(self, batch_size: int = 2, size: int = 16, views: tuple[int, int] = (2, 1), rays: int = 8):
        """Random cameras looking at the origin from a ring; ``size`` px inputs, ``rays`` per target."""
        from zoo_gta.cameras import pixel_rays, rays_at

        g = torch.Generator().manual_seed(0)
        ni, nt = views
        K = torch.tensor([[size * 1.2, 0, size / 2], [0, size * 1.2, size / 2], [0, 0, 1.0]])
        E = ring_cameras(batch_size, ni + nt, generator=g)
        KK = K.expand(batch_size, ni + nt, 3, 3)
        rows = torch.randint(0, size, (batch_size, nt, rays), generator=g).float()
        cols = torch.randint(0, size, (batch_size, nt, rays), generator=g).float()
        return {"input_images": torch.rand(batch_size, ni, 3, size, size, generator=g),
                "input_extrinsics": E[:, :ni], "input_rays": pixel_rays(KK[:, :ni], E[:, :ni], size, size),
                "target_extrinsics": E[:, ni:], "target_rays": rays_at(KK[:, ni:], E[:, ni:], rows, cols),
                "target_coords": torch.stack([rows / size, cols / size], -1)}


def ring_cameras(batch: int, views: int, radius: float = 4.0, generator=None) -> torch.Tensor:
    """World->camera extrinsics (OpenCV axes) of cameras at random azimuths on a ring at height
    ``radius / 2``, looking at the origin: ``[batch, views, 4, 4]``."""
    az = torch.rand(batch, views, generator=generator) * 2 * math.pi
    eye = torch.stack([radius * torch.cos(az), radius * torch.sin(az), torch.full_like(az, radius / 2)], -1)
    fwd = -eye / eye.norm(dim=-1, keepdim=True)
    up = torch.tensor([0.0, 0.0, 1.0]).expand_as(fwd)
    right = torch.linalg.cross(fwd, up)
    right = right / right.norm(dim=-1, keepdim=True)
    down = torch.linalg.cross(fwd, right)
    R = torch.stack([right, down, fwd], -2)  # rows: camera axes in world coordinates
    E = torch.eye(4).repeat(batch, views, 1, 1)
    E[..., :3, :3] = R
    E[..., :3, 3] = -(R @ eye[..., None])[..., 0]
    return E

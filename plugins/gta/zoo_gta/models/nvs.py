"""SRT-style novel-view synthesis: TransformingSRT with GTA, and the SRT and RePAST baselines.

This file holds the model of the official ``main`` branch (autonomousvision/gta,
``source/encoder.py``, ``decoder.py``, ``models_nvs.py``), written anew; the attention layers
are ``zoo_gta.layers`` (official ``layers.py``) and the GTA math is ``zoo_gta.gta``:

* **Encoder** (``ImprovedSRTEncoder``): per input view 3 ``SRTConvBlock``s (3x3 conv + ReLU,
  3x3 stride-2 conv + ReLU, no bias; channels 3 -> dim/8 -> dim/4 -> ... -> dim), a 1x1
  ``per_patch_linear`` to ``attdim``, the tokens of all views concatenated, then a Transformer
  of ``num_att_blocks`` PreNorm [self-attention, FeedForward(2 attdim, GELU)] blocks.
  ``emb: ray`` (SRT) concatenates the 180-d ray/position encoding to every input pixel.
* **Decoder** (``ImprovedSRTDecoder`` / ``RayPredictor``): every target ray is a query, either
  the learned constant ``initial_emb`` (``emb: const``, GTA) or its ray encoding through a
  2-layer MLP (``emb: ray``, SRT/RePAST); 2 PreNorm [cross-attention to the scene tokens,
  FeedForward] blocks; the render MLP (4 x LeakyReLU layers of ``rmlp_dim``) and a sigmoid.
* **Attention** (``zoo_gta.layers.Attention``) by ``attn_args.method.name``:
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

import torch
from torch import nn

from zoo_core.interfaces import Model
from zoo_gta.cameras import camera_positions, patch_coords, positional_encoding
from zoo_gta.gta import gta_reps
from zoo_gta.layers import Geometry, SRTLinear, Transformer, attention_kwargs

__all__ = ["TransformingSRT", "ImprovedSRTEncoder", "ImprovedSRTDecoder", "RayPredictor", "ring_cameras"]


# --- encoder and decoder --------------------------------------------------------------------

def _method(attn_args: dict | None) -> tuple[str, dict]:
    m = (attn_args or {"method": {"name": "", "args": {}}})["method"]
    return m["name"] or "plain", dict(m.get("args") or {})


def _transformer(dim, depth, heads, dim_head, mlp_dim, dropout, kv_dim, attn_args) -> Transformer:
    """zoo_gta.layers.Transformer from an official ``attn_args`` block."""
    attn_args = attn_args or {"method": {"name": "", "args": {}}}
    return Transformer(dim, depth, heads, dim_head, mlp_dim, dropout=dropout or 0.0, kv_dim=kv_dim,
                       **attention_kwargs(attn_args))


def _reps(args: dict, extrinsics: torch.Tensor, coords: torch.Tensor):
    """GTA representations of a token set: per-view extrinsics (se3, so3), per-token coords (so2)."""
    return gta_reps(args["f_dims"], extrinsics=extrinsics, coords=coords,
                    max_freqs=(args.get("max_freq_h", 1), args.get("max_freq_w", 1)),
                    shared_freqs=args.get("shared_freqs", False))


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
        self.transformer = _transformer(attdim, num_att_blocks, heads, attdim // heads, attdim * 2, dropout,
                                        None, attn_args)

    def ray_emb(self, positions, rays):
        return torch.cat([positional_encoding(positions, 15, self.pos_start_octave),
                          positional_encoding(rays, 15, 0)], -1)

    def forward(self, images, extrinsics, rays):
        """``images [B, N, 3, H, W]``, ``extrinsics [B, N, 4, 4]``, ``rays [B, N, H, W, 3]`` ->
        (tokens ``[B, N * H/8 * W/8, attdim]``, a dict of what the decoder reuses: the input
        extrinsics, the keys' GTA reps, the keys' RePAST ray embeddings)."""
        B, N, _, H, W = images.shape
        positions = camera_positions(extrinsics)
        scene: dict = {"input_extrinsics": extrinsics}
        geometry = None
        s = self.stride
        if self.method == "gta":
            coords = patch_coords(H, W, s, images.dtype).to(images.device).expand(B * N, -1, -1)
            scene["reps_k"] = _reps(self.args, extrinsics, coords.reshape(B, -1, 2))
            geometry = Geometry(reps_q=scene["reps_k"])
        if self.method == "repast":
            sub = rays[:, :, s // 2::s, s // 2::s].flatten(2, 3)  # rays at the patch centres
            pos = positions[:, :, None].expand_as(sub)
            key_emb = self.ray_emb(_to_frames(extrinsics, pos, 1.0), _to_frames(extrinsics, sub, 0.0))
            scene["key_ray_emb"] = key_emb  # [B, Nk, Lk, 180]: each view's rays in its own frame
            allp = pos.flatten(1, 2)[:, None].expand(-1, N, -1, -1)
            allr = sub.flatten(1, 2)[:, None].expand(-1, N, -1, -1)
            query_emb = self.ray_emb(_to_frames(extrinsics, allp, 1.0), _to_frames(extrinsics, allr, 0.0))
            geometry = Geometry(query_ray_emb=query_emb.transpose(1, 2), key_ray_emb=key_emb)
        x = images.flatten(0, 1)
        if self.emb == "ray" and self.method != "repast":
            emb = self.ray_emb(positions[:, :, None, None].expand(-1, -1, H, W, -1), rays)
            x = torch.cat([x, emb.flatten(0, 1).permute(0, 3, 1, 2)], 1)
        x = self.per_patch_linear(self.conv_blocks(x))
        x = x.flatten(2).transpose(1, 2).reshape(B, -1, x.shape[1])
        return self.transformer(x, None, geometry), scene


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
        self.transformer = _transformer(dim, num_att_blocks, heads, dim_head, mlp_dim, dropout, z_dim, attn_args)

    def forward(self, z, positions, rays, geometry):
        if self.emb == "const":
            queries = self.initial_emb.expand(*rays.shape[:2], -1)
        else:
            queries = self.input_mlp(torch.cat([positional_encoding(positions, 15, self.pos_start_octave),
                                                positional_encoding(rays, 15, 0)], -1))
        return self.transformer(queries, z, geometry)


class ImprovedSRTDecoder(nn.Module):
    def __init__(self, dim=180, num_att_blocks=2, pos_start_octave=0, z_dim=768, heads=12, rmlp_dim=1536,
                 act="lrelu", dropout=None, dim_head=None, mlp_dim=None, emb="ray", sigmoid=True,
                 attn_args=None, **unused):
        super().__init__()
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

    def forward(self, z, extrinsics, rays, coords, scene):
        """``z`` scene tokens; ``extrinsics [B, Nt, 4, 4]``, ``rays [B, Nt, P, 3]``, ``coords
        [B, Nt, P, 2]`` of the target rays -> colours ``[B, Nt * P, 3]``."""
        B, Nt, P, _ = rays.shape
        positions = camera_positions(extrinsics)[:, :, None].expand(-1, -1, P, -1)
        geometry = None
        if self.method == "gta":
            geometry = Geometry(reps_q=_reps(self.args, extrinsics, coords.flatten(1, 2)), reps_k=scene["reps_k"])
        if self.method == "repast":
            geometry = Geometry(key_ray_emb=scene["key_ray_emb"])
            E = scene["input_extrinsics"]
            Nk = E.shape[1]
            pos = _to_frames(E, positions.flatten(1, 2)[:, None].expand(-1, Nk, -1, -1), 1.0)
            dirs = _to_frames(E, rays.flatten(1, 2)[:, None].expand(-1, Nk, -1, -1), 0.0)
            x = self.allocation_transformer(z, pos.transpose(1, 2), dirs.transpose(1, 2), geometry).mean(2)
        else:
            x = self.allocation_transformer(z, positions.flatten(1, 2), rays.flatten(1, 2), geometry)
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
        z, scene = self.encoder(input_images, input_extrinsics, input_rays)
        rgb = self.decoder(z, target_extrinsics, target_rays, target_coords, scene)
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

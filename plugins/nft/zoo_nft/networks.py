"""Backbones of the image g-NFT: images -> tokens ``[B, N, C]`` -> images (official ``src/model/network.py``).

* ``conv28`` (rotated MNIST): encoder Conv(c->32, 4, s2, p1) LeakyReLU, Conv(32->64, 4, s2, p1)
  LeakyReLU -> 49 tokens x 64; decoder tokens -> [64, 7, 7], LeakyReLU, ConvT(64->32) LeakyReLU,
  ConvT(32->c), sigmoid.
* ``vit`` (ModelNet10-SO3, BRDFs, ABO): the MAE-style ViT of the official code: patch embedding
  (a strided conv, or with ``dualnorm`` LayerNorm-Linear-LayerNorm on flattened patches), fixed
  sine-cosine positions, pre-norm blocks without qkv bias, final LayerNorm; the decoder is
  blocks + LayerNorm + a Linear head to ``patch_size^2 * c`` pixels per token (no positions:
  the post-adapter supplies them). ``Block`` has the layers and parameter names of the official
  MAE ``Block`` with ``qkv_bias=False`` (``norm1``, ``attn.qkv``, ``attn.proj``, ``norm2``, ``mlp.fc1/fc2``).

Parameter names follow the official modules (``net.0`` ...), so official state dicts load as they are;
the ViT's initialisation is the MAE modules' (Xavier-uniform Linear weights, zero biases).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["NETWORKS", "build_network", "Conv28Encoder", "Conv28Decoder", "ViTEncoder", "ViTDecoder", "Block",
           "sinusoid_table"]


class _Tokens(nn.Module):
    """``[B, C, H, W] -> [B, H*W, C]``."""

    def forward(self, x):
        return x.flatten(2).transpose(1, 2)


class _Grid(nn.Module):
    """``[B, H*W, C] -> [B, C, H, W]`` for a square grid of side ``side``."""

    def __init__(self, side: int):
        super().__init__()
        self.side = side

    def forward(self, x):
        return x.transpose(1, 2).unflatten(2, (self.side, self.side))


class Conv28Encoder(nn.Module):
    def __init__(self, img_channels: int = 1):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(img_channels, 32, 4, 2, 1), nn.LeakyReLU(),   # 28 -> 14
                                 nn.Conv2d(32, 64, 4, 2, 1), nn.LeakyReLU(),             # 14 -> 7
                                 _Tokens())

    def forward(self, x):
        return self.net(x)


class Conv28Decoder(nn.Module):
    def __init__(self, img_channels: int = 1):
        super().__init__()
        self.net = nn.Sequential(_Grid(7), nn.LeakyReLU(), nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.LeakyReLU(),
                                 nn.ConvTranspose2d(32, img_channels, 4, 2, 1), nn.Sigmoid())

    def forward(self, z):
        return self.net(z)


def sinusoid_table(n: int, d: int) -> torch.Tensor:
    """``[1, n, d]`` sine-cosine positions: ``pos / 10000^(2 (j // 2) / d)``, sin on even j, cos on odd j."""
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    j = torch.arange(d)
    angle = pos / torch.pow(10000.0, (2 * (j // 2)).double() / d)
    table = torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
    return table.float()[None]


class _PatchEmbed(nn.Module):
    def __init__(self, patch_size, in_chans, embed_dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class _Patchify(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):  # b c (h p1) (w p2) -> b (h w) (p1 p2 c)
        b, c, H, W = x.shape
        p = self.p
        return x.reshape(b, c, H // p, p, W // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b, (H // p) * (W // p), p * p * c)


class _PatchEmbedDualNorm(nn.Module):
    def __init__(self, patch_size, in_chans, embed_dim):
        super().__init__()
        dim = in_chans * patch_size ** 2
        self.to_patch_embedding = nn.Sequential(_Patchify(patch_size), nn.LayerNorm(dim), nn.Linear(dim, embed_dim),
                                                nn.LayerNorm(embed_dim))

    def forward(self, x):
        return self.to_patch_embedding(x)


class _Attention(nn.Module):
    """Multi-head self-attention without qkv bias; ``head_dim = dim // heads`` (the MAE code allows
    ``heads * head_dim != dim``, e.g. 512 channels in 12 heads of 42, as ModelNet's config uses)."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads, hd = num_heads, dim // num_heads
        self.qkv = nn.Linear(dim, 3 * hd * num_heads, bias=False)
        self.proj = nn.Linear(hd * num_heads, dim)

    def forward(self, x):
        B, N, _ = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(B, N, -1))


class _Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block (MAE ``Block``, ``init_values=0``: no layer scale; no dropout)."""

    def __init__(self, dim, num_heads, mlp_ratio):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), _Attention(dim, num_heads)
        self.norm2, self.mlp = nn.LayerNorm(dim), _Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def _blocks(dim, depth, num_heads, mlp_ratio):
    return nn.ModuleList([Block(dim, num_heads, mlp_ratio) for _ in range(depth)])


class _MAEEncoder(nn.Module):
    def __init__(self, img_size, patch_size, in_chans, embed_dim, depth, num_heads, mlp_ratio, dualnorm):
        super().__init__()
        self.patch_embed = (_PatchEmbedDualNorm if dualnorm else _PatchEmbed)(patch_size, in_chans, embed_dim)
        self.register_buffer("pos_embed", sinusoid_table((img_size // patch_size) ** 2, embed_dim), persistent=False)
        self.blocks = _blocks(embed_dim, depth, num_heads, mlp_ratio)
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Identity()

    def forward(self, x):
        x = self.patch_embed(x) + self.pos_embed.to(x.dtype)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x))


def _mae_init(m: nn.Module) -> None:
    """The MAE modules' ``_init_weights``: Xavier-uniform Linear weights, zero biases, LayerNorm 1 / 0."""
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


class ViTEncoder(nn.Module):
    def __init__(self, img_size=64, img_channels=3, patch_size=4, embed_dim=512, depth=9, num_heads=12,
                 mlp_ratio=4.0, dualnorm=False):
        super().__init__()
        if img_size % patch_size:
            raise ValueError(f"img_size {img_size} must be a multiple of patch_size {patch_size}")
        self.net = _MAEEncoder(img_size, patch_size, img_channels, embed_dim, depth, num_heads, mlp_ratio, dualnorm)
        self.net.apply(_mae_init)

    def forward(self, x):
        return self.net(x)


class _Unpatchify(nn.Module):
    def __init__(self, p, side, c):
        super().__init__()
        self.p, self.side, self.c = p, side, c

    def forward(self, x):  # b (h w) (p1 p2 c) -> b c (h p1) (w p2)
        b, p, s, c = x.shape[0], self.p, self.side, self.c
        return x.reshape(b, s, s, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, s * p, s * p)


class _MAEDecoder(nn.Module):
    def __init__(self, embed_dim, depth, num_heads, mlp_ratio, out_dim):
        super().__init__()
        self.blocks = _blocks(embed_dim, depth, num_heads, mlp_ratio)
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, out_dim)

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x))


class ViTDecoder(nn.Module):
    def __init__(self, img_size=64, img_channels=3, patch_size=4, embed_dim=256, depth=3, num_heads=6, mlp_ratio=4.0):
        super().__init__()
        self.net = nn.Sequential(_MAEDecoder(embed_dim, depth, num_heads, mlp_ratio, img_channels * patch_size ** 2),
                                 _Unpatchify(patch_size, img_size // patch_size, img_channels))
        self.net[0].apply(_mae_init)

    def forward(self, z):
        return self.net(z)


NETWORKS = ("conv28", "vit")


def build_network(network: str, *, img_size: int, img_channels: int, encoder: dict | None = None,
                  decoder: dict | None = None) -> tuple[nn.Module, nn.Module, int, int, int]:
    """``(encoder, decoder, num_patches, enc_embed_dim, dec_embed_dim)`` of a backbone."""
    if network == "conv28":
        if img_size != 28:
            raise ValueError(f"conv28 takes 28x28 images, got img_size {img_size}")
        return Conv28Encoder(img_channels), Conv28Decoder(img_channels), 49, 64, 64
    if network == "vit":
        enc, dec = dict(encoder or {}), dict(decoder or {})
        e = ViTEncoder(img_size=img_size, img_channels=img_channels, **enc)
        d = ViTDecoder(img_size=img_size, img_channels=img_channels, patch_size=enc.get("patch_size", 4), **dec)
        n = (img_size // enc.get("patch_size", 4)) ** 2
        return e, d, n, enc.get("embed_dim", 512), dec.get("embed_dim", 256)
    raise ValueError(f"network must be one of {NETWORKS}, got {network!r}")


"""A small ViT classifier whose position code is 2-D GTA, 2-D RoPE or a learned absolute embedding.

The three variants share every parameter but the position code: timm's ``PatchEmbed`` and
``Mlp``, pre-norm blocks with :class:`zoo_gta.gta2d.GTA2DAttention` (qkv bias and the official
RMSNorm qk-norm, as in the DiT branch), mean-pooled tokens and a linear head. ``posenc="ape"``
adds a learned ``pos_embed`` to the patch tokens and attends plainly; ``"gta"`` / ``"rope"``
add nothing to the tokens and put the token's grid position into every attention layer.
"""

from __future__ import annotations

import torch
from timm.layers import Mlp, PatchEmbed, trunc_normal_
from torch import nn

from zoo_core.interfaces import Model
from zoo_gta.gta2d import GTA2DAttention

POSENCS = ("gta", "rope", "ape")


class _Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), x + mlp(norm(x))."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, grid: tuple[int, int], mode: str):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = GTA2DAttention(dim, heads, grid=grid, mode=mode, qkv_bias=True, qk_norm=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer=nn.GELU)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PositionalViT(Model):
    """Logits ``[B, classes]`` for grey images ``[B, in_chans, image_size, image_size]``.

    Args:
        posenc: ``"gta"`` (q, k, v and output rotated), ``"rope"`` (q, k rotated) or ``"ape"``
            (learned absolute position embedding, plain attention).
        image_size, patch_size, in_chans: the patch grid is (image_size / patch_size)^2 tokens.
        dim, depth, heads, mlp_ratio: transformer width, blocks, heads (head_dim % 4 == 0), MLP ratio.
        classes: output classes.
    """

    def __init__(self, *, posenc: str = "gta", image_size: int = 32, patch_size: int = 4, in_chans: int = 1,
                 dim: int = 64, depth: int = 3, heads: int = 4, mlp_ratio: float = 2.0, classes: int = 10):
        super().__init__()
        if posenc not in POSENCS:
            raise ValueError(f"posenc must be one of {POSENCS}, got {posenc!r}")
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} must be a multiple of patch_size {patch_size}")
        self.posenc, self.image_size, self.in_chans = posenc, image_size, in_chans
        self.patch_embed = PatchEmbed(image_size, patch_size, in_chans, dim)
        grid = self.patch_embed.grid_size
        if posenc == "ape":
            self.pos_embed = nn.Parameter(trunc_normal_(torch.zeros(1, grid[0] * grid[1], dim), std=0.02))
        mode = "none" if posenc == "ape" else posenc
        self.blocks = nn.ModuleList(_Block(dim, heads, mlp_ratio, grid, mode) for _ in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        want = (self.in_chans, self.image_size, self.image_size)
        if images.ndim != 4 or tuple(images.shape[1:]) != want or not images.dtype.is_floating_point:
            raise ValueError(f"PositionalViT expects float images [B, {want[0]}, {want[1]}, {want[2]}], "
                             f"got {images.dtype} {list(images.shape)}")
        x = self.patch_embed(images)
        if self.posenc == "ape":
            x = x + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x).mean(1))

    def example_inputs(self, batch_size: int = 2):
        return (torch.rand(batch_size, self.in_chans, self.image_size, self.image_size),)


__all__ = ["POSENCS", "PositionalViT"]

"""DiT (Peebles & Xie, arXiv:2212.09748) with 2-D GTA or RoPE attention: the ``DiT`` branch of autonomousvision/gta.

The same architecture as the branch's ``models.py`` (itself Meta's DiT with timm's attention
swapped for ``gta.py: Attention``): timm ``PatchEmbed`` over the 4x32x32 SD-VAE latent,
sinusoidal timestep embedder + MLP, class-label table with a null class for classifier-free
guidance, adaLN-Zero blocks (LayerNorm without affine, shift/scale/gate from the conditioning)
around :class:`zoo_gta.gta2d.GTA2DAttention` (qkv bias, RMSNorm qk-norm) and timm's ``Mlp``
(tanh-GELU), and the adaLN final layer. Module names and parameter shapes are the official
ones, so the ``ema`` state dict of a DiT-branch checkpoint loads strictly
(:mod:`zoo_gta.convert_dit`).

Differences from the official code, all outside the model's function: the official
``forward`` always runs under ``torch.autocast("cuda", bfloat16)`` and wraps every block in
``torch.utils.checkpoint``; here precision is the caller's choice and checkpointing is the
``grad_checkpointing`` flag (off by default: faster, more memory). The original DiT's fixed
sin-cos absolute embedding (``posenc="abs"``) is not ported.
"""

from __future__ import annotations

import math

import torch
import torch.utils.checkpoint
from timm.layers import Mlp, PatchEmbed
from torch import nn

from zoo_core.interfaces import Model
from zoo_gta.gta2d import GTA2DAttention

POSENCS = ("gta", "rope")


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """adaLN: x * (1 + scale) + shift, per sample."""
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding ``[N, dim]`` of (possibly fractional) timesteps: [cos | sin] halves (GLIDE's)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t[:, None].float() * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], -1)
    return torch.cat([emb, torch.zeros_like(emb[:, :1])], -1) if dim % 2 else emb


class TimestepEmbedder(nn.Module):
    def __init__(self, hidden_size: int, frequency_embedding_size: int = 256):
        super().__init__()
        self.frequency_embedding_size = frequency_embedding_size
        self.mlp = nn.Sequential(nn.Linear(frequency_embedding_size, hidden_size), nn.SiLU(),
                                 nn.Linear(hidden_size, hidden_size))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.mlp(timestep_embedding(t, self.frequency_embedding_size))


class LabelEmbedder(nn.Module):
    """Class table with one extra "null" row (index ``num_classes``) when labels are dropped for CFG."""

    def __init__(self, num_classes: int, hidden_size: int, dropout_prob: float):
        super().__init__()
        self.num_classes, self.dropout_prob = num_classes, dropout_prob
        self.embedding_table = nn.Embedding(num_classes + int(dropout_prob > 0), hidden_size)

    def forward(self, labels: torch.Tensor, train: bool, force_drop_ids: torch.Tensor | None = None) -> torch.Tensor:
        if (train and self.dropout_prob > 0) or force_drop_ids is not None:
            drop = (torch.rand(labels.shape[0], device=labels.device) < self.dropout_prob
                    if force_drop_ids is None else force_drop_ids == 1)
            labels = torch.where(drop, self.num_classes, labels)
        return self.embedding_table(labels)


class DiTBlock(nn.Module):
    """adaLN-Zero block: x + gate * attn(modulate(norm(x))), x + gate * mlp(modulate(norm(x)))."""

    def __init__(self, hidden_size: int, num_heads: int, mlp_ratio: float, grid: tuple[int, int], mode: str):
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.attn = GTA2DAttention(hidden_size, num_heads, grid=grid, mode=mode, qkv_bias=True, qk_norm=True)
        self.norm2 = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(hidden_size, int(hidden_size * mlp_ratio), act_layer=lambda: nn.GELU(approximate="tanh"))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 6 * hidden_size))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + gate_msa.unsqueeze(1) * self.attn(modulate(self.norm1(x), shift_msa, scale_msa))
        return x + gate_mlp.unsqueeze(1) * self.mlp(modulate(self.norm2(x), shift_mlp, scale_mlp))


class FinalLayer(nn.Module):
    def __init__(self, hidden_size: int, patch_size: int, out_channels: int):
        super().__init__()
        self.norm_final = nn.LayerNorm(hidden_size, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(hidden_size, patch_size * patch_size * out_channels)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden_size, 2 * hidden_size))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class DiT(Model):
    """Class-conditional diffusion transformer on latents: ``forward(x, t, y)`` -> ``[N, out_channels, H, W]``.

    Args (the official ``DiT`` constructor's, DiT-B/2 defaults):
        input_size, patch_size, in_channels: latent side, patch side, latent channels.
        hidden_size, depth, num_heads, mlp_ratio: transformer size (head_dim % 4 == 0).
        class_dropout_prob, num_classes: label dropout for CFG (adds the null class), classes.
        learn_sigma: predict the variance too (out_channels = 2 * in_channels).
        posenc: ``"gta"`` or ``"rope"`` (2-D, on the (input_size / patch_size)^2 token grid).
        grad_checkpointing: recompute each block in backward (the official always does).
    """

    def __init__(self, *, input_size: int = 32, patch_size: int = 2, in_channels: int = 4, hidden_size: int = 768,
                 depth: int = 12, num_heads: int = 12, mlp_ratio: float = 4.0, class_dropout_prob: float = 0.1,
                 num_classes: int = 1000, learn_sigma: bool = True, posenc: str = "gta",
                 grad_checkpointing: bool = False):
        super().__init__()
        if posenc not in POSENCS:
            raise ValueError(f"posenc must be one of {POSENCS} (the official 'abs' is not ported), got {posenc!r}")
        self.in_channels, self.input_size, self.num_classes = in_channels, input_size, num_classes
        self.out_channels = in_channels * 2 if learn_sigma else in_channels
        self.patch_size, self.posenc, self.grad_checkpointing = patch_size, posenc, grad_checkpointing
        self.x_embedder = PatchEmbed(input_size, patch_size, in_channels, hidden_size, bias=True)
        self.t_embedder = TimestepEmbedder(hidden_size)
        self.y_embedder = LabelEmbedder(num_classes, hidden_size, class_dropout_prob)
        grid = self.x_embedder.grid_size
        self.blocks = nn.ModuleList(DiTBlock(hidden_size, num_heads, mlp_ratio, grid, posenc) for _ in range(depth))
        self.final_layer = FinalLayer(hidden_size, patch_size, self.out_channels)
        self.initialize_weights()

    def initialize_weights(self) -> None:
        """The official init: Xavier linears, zero biases, N(0, 0.02) tables, zeroed adaLN and output."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        w = self.x_embedder.proj.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.zeros_(self.x_embedder.proj.bias)
        nn.init.normal_(self.y_embedder.embedding_table.weight, std=0.02)
        nn.init.normal_(self.t_embedder.mlp[0].weight, std=0.02)
        nn.init.normal_(self.t_embedder.mlp[2].weight, std=0.02)
        for layer in [*(b.adaLN_modulation[-1] for b in self.blocks), self.final_layer.adaLN_modulation[-1],
                      self.final_layer.linear]:
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def unpatchify(self, x: torch.Tensor) -> torch.Tensor:
        """``[N, T, p*p*C]`` -> ``[N, C, H, W]``."""
        p, c = self.patch_size, self.out_channels
        h, w = self.x_embedder.grid_size
        x = x.reshape(x.shape[0], h, w, p, p, c)
        return torch.einsum("nhwpqc->nchpwq", x).reshape(x.shape[0], c, h * p, w * p)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """x: latents ``[N, C, H, W]``; t: timesteps ``[N]``; y: labels ``[N]`` (``num_classes`` = null)."""
        want = (self.in_channels, self.input_size, self.input_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != want:
            raise ValueError(f"DiT expects latents [N, {want[0]}, {want[1]}, {want[2]}], got {list(x.shape)}")
        if t.shape != (x.shape[0],) or y.shape != (x.shape[0],):
            raise ValueError(f"t and y must be [N] = [{x.shape[0]}], got t {list(t.shape)}, y {list(y.shape)}")
        h = self.x_embedder(x)
        c = self.t_embedder(t) + self.y_embedder(y, self.training)
        for block in self.blocks:
            if self.grad_checkpointing and torch.is_grad_enabled():
                h = torch.utils.checkpoint.checkpoint(block, h, c, use_reentrant=False)
            else:
                h = block(h, c)
        return self.unpatchify(self.final_layer(h, c))

    def forward_with_cfg(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor, cfg_scale: float) -> torch.Tensor:
        """Classifier-free guidance over a doubled batch ([cond | uncond]); as the official, guidance is
        applied to the first 3 channels only (DiT's "exact reproducibility" quirk)."""
        half = x[: len(x) // 2]
        out = self.forward(torch.cat([half, half]), t, y)
        eps, rest = out[:, :3], out[:, 3:]
        cond, uncond = eps.split(len(eps) // 2)
        guided = uncond + cfg_scale * (cond - uncond)
        return torch.cat([torch.cat([guided, guided]), rest], 1)

    def example_inputs(self, batch_size: int = 2) -> dict:
        g = torch.Generator().manual_seed(0)
        return {"x": torch.randn(batch_size, self.in_channels, self.input_size, self.input_size, generator=g),
                "t": torch.randint(0, 1000, (batch_size,), generator=g),
                "y": torch.randint(0, self.num_classes, (batch_size,), generator=g)}


def dit_b2(**kwargs) -> DiT:
    """DiT-B/2 (depth 12, width 768, 12 heads, patch 2) on 32x32 latents (256 px images)."""
    return DiT(**{"depth": 12, "hidden_size": 768, "patch_size": 2, "num_heads": 12, **kwargs})


__all__ = ["DiT", "DiTBlock", "FinalLayer", "LabelEmbedder", "POSENCS", "TimestepEmbedder", "dit_b2",
           "modulate", "timestep_embedding"]

"""Adapters between backbone tokens ``[B, N, C]`` and the g-NFT latent ``[B, latent_dim, action_dim]``.

Official ``LitEquivariantAE.__init__`` (``image_experiments/src/model/eae.py``):

* ``straight``: flatten the tokens, one Linear to ``latent_dim * action_dim``; back: Linear to
  ``N * C_dec``, reshape to tokens, LayerNorm over ``[N, C_dec]``.
* ``lowrank`` (the ``EncoderAdapter`` of the paper's appendix): Linear on the token dim
  ``C_enc -> C_enc / r``, Linear on the patch dim ``N -> N / r``, GELU, LayerNorm, flatten,
  Linear to the latent; back: Linear to ``(C_dec / r) * (N / r)``, GELU, LayerNorm, Linear on
  the patch dim ``N / r -> N``, Linear on the token dim ``C_dec / r -> C_dec``.
  (Official quirk kept: the decoder side's reduced token dim is ``dec_embed_dim // r`` and the
  encoder side's ``enc_embed_dim // r``.)

Both are ``nn.Sequential``s with the official layer indices, so official state dicts load unchanged.
"""

from __future__ import annotations

from torch import nn

__all__ = ["ADAPTERS", "build_adapters"]

ADAPTERS = ("straight", "lowrank")


class _Swap(nn.Module):
    """Swap the last two dims (``b n c -> b c n``)."""

    def forward(self, x):
        return x.transpose(-1, -2)


def build_adapters(adapter: str, *, num_patches: int, enc_embed_dim: int, dec_embed_dim: int, latent_dim: int,
                   action_dim: int, rank_ratio: int = 4) -> tuple[nn.Sequential, nn.Sequential]:
    """``(pre_adapter, post_adapter)``."""
    total = latent_dim * action_dim
    if adapter == "straight":
        pre = nn.Sequential(nn.Flatten(1), nn.Linear(num_patches * enc_embed_dim, total),
                            nn.Unflatten(1, (latent_dim, action_dim)))
        post = nn.Sequential(nn.Flatten(1), nn.Linear(total, dec_embed_dim * num_patches),
                             nn.Unflatten(1, (num_patches, dec_embed_dim)), nn.LayerNorm([num_patches, dec_embed_dim]))
        return pre, post
    if adapter == "lowrank":
        n_r = num_patches // rank_ratio
        e_out, e_in = enc_embed_dim // rank_ratio, dec_embed_dim // rank_ratio
        if min(n_r, e_out, e_in) < 1:
            raise ValueError(f"rank_ratio {rank_ratio} leaves no channels for {num_patches} tokens of width "
                             f"{enc_embed_dim}/{dec_embed_dim}")
        pre = nn.Sequential(nn.Linear(enc_embed_dim, e_out), _Swap(), nn.Linear(num_patches, n_r), nn.GELU(),
                            nn.LayerNorm([e_out, n_r]), nn.Flatten(1), nn.Linear(e_out * n_r, total),
                            nn.Unflatten(1, (latent_dim, action_dim)))
        post = nn.Sequential(nn.Flatten(1), nn.Linear(total, e_in * n_r), nn.Unflatten(1, (e_in, n_r)), nn.GELU(),
                             nn.LayerNorm([e_in, n_r]), nn.Linear(n_r, num_patches), _Swap(),
                             nn.Linear(e_in, dec_embed_dim))
        return pre, post
    raise ValueError(f"adapter must be one of {ADAPTERS}, got {adapter!r}")

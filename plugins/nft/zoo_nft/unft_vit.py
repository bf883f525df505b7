"""U-NFT on image sequences with a ViT (official fisheye ``SeqAELSTSQ_vit``, arXiv:2305.18484 experiment C).

The sequence logic (least-squares ``M*`` from the conditioning frames through zoo-msp's public
transition, roll-out ``H_{t+1} = H_t M``, per-frame SSE) is ``zoo_nft.unft.SeqNFT``'s; only the
frame networks differ from the 1-D model:

* encoder: the MAE-style ViT of ``zoo_nft.networks`` (patch-embedding conv, fixed sine-cosine
  positions, pre-norm blocks without qkv bias, final LayerNorm) -> ``[B, patches, embed]``;
* ``pre_adapter`` ("straight"): flatten, ``Linear(patches * embed -> dim_m * dim_a)``, reshape to
  ``(dim_m, dim_a)``;
* ``post_adapter``: ``Linear(dim_m * dim_a -> patches * embed)``, reshape to tokens, LayerNorm over
  ``[patches, embed]``;
* decoder: ViT blocks + LayerNorm + a Linear head to ``patch^2 * channels`` pixels per token,
  unpatchified (no sigmoid: outputs are unbounded, as officially).

The official fisheye folder's ``vit.py`` and MAE modules equal the image experiments' ones (only
import paths differ), so the modules are ``zoo_nft.networks``'s; as officially, the decoder takes
the encoder's settings (``vit_args`` for both). Parameter names are the official ones (``enc.net.*``,
``dec.net.0.*``, ``pre_adapter.1``, ``post_adapter.1``/``.3``): official state dicts load unchanged
(``benchmarks/nft_parity.py --fisheye``).

Paper configuration (``vit.yaml``): 32 px RGB, patch 4 (64 patches), depth 8, 6 heads, embed 384,
MLP ratio 4; ``dim_m 128, dim_a 16``; transition LS. Call pattern as ``NFTSeqAE`` with frames
``(N, T, 3, 32, 32)``::

    pred = model(xs[:, :2], n_rolls=2)                     # (N, 2, 3, 32, 32)
    loss, logs = model.loss(xs, T_cond=2, reconst=True)
"""

from __future__ import annotations

import torch

from zoo_nft.adapters import build_adapters
from zoo_nft.networks import ViTDecoder, ViTEncoder
from zoo_nft.unft import SeqNFT

__all__ = ["NFTSeqViT", "VIT_DEFAULTS"]

VIT_DEFAULTS = {"patch_size": 4, "embed_dim": 384, "depth": 8, "num_heads": 6, "mlp_ratio": 4.0}


class NFTSeqViT(SeqNFT):
    """U-NFT sequence autoencoder on images with ViT encoder/decoder and straight adapters.

    Args:
        dim_m, dim_a: latent matrix shape (official 128 x 16).
        img_size, img_channels: frames ``(img_channels, img_size, img_size)`` (32 px RGB).
        vit: ``patch_size``, ``embed_dim``, ``depth``, ``num_heads``, ``mlp_ratio`` of both ViTs
            (``VIT_DEFAULTS``, the official ``vit_args``).
        transition, abelian_convention, abelian_normalize, change_of_basis: as ``NFTSeqAE``
            (the paper uses ``"LS"``).
    """

    def __init__(self, *, dim_m: int = 128, dim_a: int = 16, img_size: int = 32, img_channels: int = 3,
                 vit: dict | None = None, transition: str = "LS", abelian_convention: str = "right",
                 abelian_normalize: bool = False, change_of_basis: bool = False):
        unknown = set(vit or {}) - set(VIT_DEFAULTS)
        if unknown:
            raise ValueError(f"vit settings must be among {sorted(VIT_DEFAULTS)}; got {sorted(unknown)}")
        super().__init__(dim_m=dim_m, dim_a=dim_a, frame_shape=(img_channels, img_size, img_size),
                         transition=transition, abelian_convention=abelian_convention,
                         abelian_normalize=abelian_normalize, change_of_basis=change_of_basis)
        v = {**VIT_DEFAULTS, **(vit or {})}
        self.img_size, self.img_channels = img_size, img_channels
        self.enc = ViTEncoder(img_size=img_size, img_channels=img_channels, **v)
        self.dec = ViTDecoder(img_size=img_size, img_channels=img_channels, **v)
        self.pre_adapter, self.post_adapter = build_adapters(
            "straight", num_patches=(img_size // v["patch_size"]) ** 2, enc_embed_dim=v["embed_dim"],
            dec_embed_dim=v["embed_dim"], latent_dim=dim_m, action_dim=dim_a)

    def encode_frames(self, x: torch.Tensor) -> torch.Tensor:
        return self.pre_adapter(self.enc(x))

    def decode_frames(self, h: torch.Tensor) -> torch.Tensor:
        return self.dec(self.post_adapter(h))

    def example_inputs(self, batch_size: int = 2) -> dict:
        """Two conditioning frames of random images, two roll-outs."""
        gen = torch.Generator().manual_seed(0)
        return {"xs_cond": torch.rand(batch_size, 2, *self.frame_shape, generator=gen), "n_rolls": 2}

"""g-NFT on images: the equivariant autoencoder ``LitEquivariantAE`` of the official image experiments.

NFT (Koyama et al., ICLR 2024, arXiv:2305.18484), setting g-NFT (the group element g of every
view is observed): an encoder Phi maps an image to a latent ``z in R^{latent_dim x action_dim}``
and ``M(g) = (+)_k rho_k(g)`` is FIXED (``zoo_nft.reps.ActionList``: identity + SO(2)
frequencies 1..K, or SO(3) Wigner-D degrees 0..K), acting from the right:
``Phi(g x) ~ Phi(x) M(g)``. Training (official ``train_loss``, views x_1..x_V with g_1..g_V and a
target x_T, g_T):

1. canonicalise each view ``z_i = enc(x_i) M(g_i^-1)`` and average them (``average`` pooling);
2. predict the target ``x_T^ = dec(z M(g_T))``: loss ``MSE(x_T^, x_T)``;
3. with one input view, also the reverse prediction ``dec(enc(x_T) M(g_T^-1) M(g_1))`` vs x_1;
4. options: ``reconst`` (``MSE(dec(enc(x_T)), x_T)``), ``pred_l1``, ``alignl2``
   (``equiv_coef * MSE(enc(x_T), z M(g_T))``), ``nalignl2`` (the same after per-block
   normalisation), ``angle_variance``.

``forward(x, g)`` is the official ``forward``: ``dec(enc(x) M(g))`` (``dec(enc(x))`` without g).
The official ``softmax`` pooling calls ``enc(x, logit=True)`` whose encoder returns no logits,
so it cannot run; only ``average`` is offered here.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo_core.interfaces import Model
from zoo_nft.adapters import build_adapters
from zoo_nft.networks import build_network
from zoo_nft.reps import ActionList, RepresentationError

__all__ = ["EquivariantAE", "LOSS_DEFAULTS", "ImageInputError"]

LOSS_DEFAULTS = {"pred": True, "pred_l1": False, "reconst": False, "alignl2": False, "nalignl2": False,
                 "equiv_coef": 1.0, "angle_variance": False}


class ImageInputError(RepresentationError):
    """Images (or views) of the wrong shape, dtype or count."""


class EquivariantAE(Model):
    """g-NFT equivariant autoencoder (official ``LitEquivariantAE``; config = the Hydra model config).

    Args:
        latent_dim: rows of the latent (``d_m``).
        action: ``{"group": "so2"|"so3", "num_basis": K, "include_identity": bool}``.
        network: ``"conv28"`` or ``"vit"`` (``encoder``/``decoder``: the ViT settings).
        img_size, img_channels: input images ``[B, img_channels, img_size, img_size]`` in [0, 1].
        adapter: ``"straight"`` or ``"lowrank"`` (``rank_ratio``).
        latent_pooling: ``"average"``.
        loss: the official ``loss`` switches (``LOSS_DEFAULTS``).
    """

    def __init__(self, *, latent_dim: int = 32, action: dict | None = None, network: str = "conv28",
                 img_size: int = 28, img_channels: int = 1, encoder: dict | None = None, decoder: dict | None = None,
                 adapter: str = "straight", rank_ratio: int = 4, latent_pooling: str = "average",
                 loss: dict | None = None):
        super().__init__()
        if latent_pooling != "average":
            raise ValueError(f"latent_pooling must be 'average' (the official 'softmax' pooling cannot run), "
                             f"got {latent_pooling!r}")
        unknown = set(loss or {}) - set(LOSS_DEFAULTS)
        if unknown:
            raise ValueError(f"unknown loss switches {sorted(unknown)}; known: {sorted(LOSS_DEFAULTS)}")
        self.actions = ActionList(**(action or {}))
        self.latent_dim, self.img_size, self.img_channels = latent_dim, img_size, img_channels
        self.loss_config = {**LOSS_DEFAULTS, **(loss or {})}
        self.encoder, self.decoder, n, ce, cd = build_network(network, img_size=img_size, img_channels=img_channels,
                                                              encoder=encoder, decoder=decoder)
        self.pre_adapter, self.post_adapter = build_adapters(
            adapter, num_patches=n, enc_embed_dim=ce, dec_embed_dim=cd, latent_dim=latent_dim,
            action_dim=self.actions.dim, rank_ratio=rank_ratio)

    # --- the parts ---------------------------------------------------------------------------

    def check_images(self, x: Tensor, what: str = "images") -> Tensor:
        want = (self.img_channels, self.img_size, self.img_size)
        if not isinstance(x, Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != want or not x.dtype.is_floating_point:
            got = f"{x.dtype}{list(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
            raise ImageInputError(f"{what} must be float [B, {', '.join(map(str, want))}] in [0, 1], got {got}")
        if x.shape[0] == 0:
            raise ImageInputError(f"{what}: empty batch (B = 0)")
        return x

    def enc(self, x: Tensor) -> Tensor:
        """Latents ``[B, latent_dim, action_dim]``."""
        return self.pre_adapter(self.encoder(self.check_images(x)))

    def dec(self, z: Tensor) -> Tensor:
        return self.decoder(self.post_adapter(z))

    def trans(self, z: Tensor, g: Tensor) -> Tensor:
        """``z M(g)``."""
        return self.actions.trans(z, g)

    def canonical(self, views: list[Tensor], params: list[Tensor]) -> Tensor:
        """Average of ``enc(x_i) M(g_i^-1)`` over the views (official ``average_pooling``)."""
        if not views or len(views) != len(params):
            raise ImageInputError(f"need one group parameter per view and at least one view, got {len(views)} views "
                                  f"and {len(params)} parameters")
        return sum(self.trans(self.enc(x), self.actions.invert(g)) for x, g in zip(views, params)) / len(views)

    def forward(self, x: Tensor, g: Tensor | None = None) -> Tensor:
        """``dec(enc(x) M(g))``: the image ``x`` transformed by ``g`` (reconstructed without g)."""
        z = self.enc(x)
        return self.dec(z if g is None else self.trans(z, g))

    def predict(self, views: list[Tensor], params: list[Tensor], target_param: Tensor) -> Tensor:
        """The view at ``target_param`` from the views at ``params``."""
        return self.dec(self.trans(self.canonical(views, params), target_param))

    def features(self, x: Tensor) -> Tensor:
        """Probe features: the flattened latent (the official protocol for this class)."""
        return self.enc(x).flatten(1)

    def invariant_features(self, x: Tensor) -> Tensor:
        """Per-block norms of the latent, flattened (invariant to g)."""
        return self.actions.amplitudes(self.enc(x)).flatten(1)

    def identify(self, z1: Tensor, z2: Tensor, freq: int = 1) -> Tensor:
        return self.actions.identify(z1, z2, freq)

    def example_inputs(self, batch_size: int = 2):
        return (torch.rand(batch_size, self.img_channels, self.img_size, self.img_size),
                self.actions.random(batch_size, generator=torch.Generator().manual_seed(0)))

    # --- training and evaluation (official train_loss / test_loss) ---------------------------

    def train_loss(self, views: list[Tensor], params: list[Tensor]) -> Tensor:
        """The official ``train_loss``: the last view is the target, the others the inputs."""
        cfg = self.loss_config
        if len(views) < 2:
            raise ImageInputError(f"train_loss needs at least 2 views (inputs + target), got {len(views)}")
        xs, gs = list(views[:-1]), list(params[:-1])
        x_last, g_last = views[-1], params[-1]
        z_last = self.enc(x_last)
        z_pred = self.trans(self.canonical(xs, gs), g_last)
        loss = x_last.new_zeros(())
        if cfg["pred"]:
            loss = loss + F.mse_loss(self.dec(z_pred), x_last)
            if len(xs) == 1:
                back = self.trans(self.trans(z_last, self.actions.invert(g_last)), gs[0])
                loss = loss + F.mse_loss(xs[0], self.dec(back))
        if cfg["pred_l1"]:
            loss = loss + F.l1_loss(self.dec(z_pred), x_last)
        if cfg["reconst"]:
            loss = loss + F.mse_loss(self.dec(z_last), x_last)
        if cfg["alignl2"]:
            loss = loss + cfg["equiv_coef"] * F.mse_loss(z_last, z_pred)
        if cfg["nalignl2"]:
            loss = loss + cfg["equiv_coef"] * F.mse_loss(self.actions.normalize(z_last), self.actions.normalize(z_pred))
        if cfg["angle_variance"]:
            loss = loss + self._angle_variance(z_pred).mean()
        return loss

    def _angle_variance(self, z: Tensor) -> Tensor:
        chunks = [c for c in self.actions.chunks(self.actions.normalize(z)) if c.shape[-1] > 1]
        return torch.stack([1 - c.mean(dim=-2).norm(dim=-1) for c in chunks], -1)

    def test_outputs(self, views: list[Tensor], params: list[Tensor]) -> dict[str, Any]:
        """Official ``test_loss``: prediction MSE, the frequency-1 estimate of g_T and its error, the prediction."""
        xs, gs, x, g = list(views[:-1]), list(params[:-1]), views[-1], params[-1]
        z = self.canonical(xs, gs)
        pred = self.dec(self.trans(z, g))
        g_hat = self.identify(z, self.enc(x), 1)
        return {"mse": F.mse_loss(pred, x), "param": g_hat, "angle_err": self.actions.param_error(g, g_hat),
                "prediction": pred}

    def training_loss(self, batch) -> tuple[Tensor, dict]:
        """Loss of a collated batch ``(views [B, V, C, H, W], params [B, V, ...], labels)``."""
        views, params, _ = batch
        return self.train_loss(list(views.unbind(1)), list(params.unbind(1))), {}

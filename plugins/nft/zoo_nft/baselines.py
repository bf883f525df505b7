"""The baselines the official image harness trains beside g-NFT (``image_experiments/src/model``), on conv28.

Every class takes a collated batch ``(views [B, V, C, H, W], params [B, V], labels [B])`` in
``training_loss`` and gives the linear probe its ``features(x)``.

* ``AutoEncoder`` (``ae``): ``dec(enc(x_1))`` vs ``x_1``; the latent is the 49 x 64 conv tokens
  (no adapter, as officially); features: the flattened tokens.
* ``InvariantAE`` (``inv_ae``): ``rotate(dec(enc(x_1)), theta_T)`` vs the target view ``x_T``
  (official quirk kept: it rotates by the target's absolute angle theta_T, so the decoder must
  output the upright digit: an invariant code). One input view, SO(2) only, as officially.
* ``MSPAE`` (``mspae``, U-NFT): straight adapters to a ``latent_dim x action_dim`` latent; M is
  fitted by least squares from the latents of views 1 and 2 with zoo-msp's public
  ``zoo_msp.transition.estimate_transition`` and predicts view 3 from view 2 (data: 2 input
  views, ``stationary`` angles). Features: the row norms ``|z_i|`` (the official probe's
  ``amplitudes`` without a block decomposition, which is what its ``invariance`` switch picks
  for this class).
* ``ContrastiveEncoder`` (``contrastive``): head ReLU + Linear(49*64 -> head_dim); InfoNCE
  between the two views' projections, temperature 0.1, in-batch negatives (the official
  ``info_nce``: cross entropy of the cosine-similarity matrix of view 1 against view 2).
* ``Supervised`` (``supervised``): Linear(49*64 -> classes) on the conv tokens, cross entropy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo_core.interfaces import Model
from zoo_nft.adapters import build_adapters
from zoo_nft.eae import ImageInputError
from zoo_nft.networks import Conv28Decoder, Conv28Encoder
from zoo_nft.rotdigits import rotate

__all__ = ["AutoEncoder", "InvariantAE", "MSPAE", "ContrastiveEncoder", "Supervised", "info_nce"]


def info_nce(query: Tensor, key: Tensor, *, temperature: float = 0.1) -> Tensor:
    """InfoNCE of ``query`` against ``key`` (``[B, D]``): positives on the diagonal, the other keys as negatives."""
    logits = F.normalize(query, dim=-1) @ F.normalize(key, dim=-1).T / temperature
    return F.cross_entropy(logits, torch.arange(len(query), device=query.device))


class _Conv28(Model):
    """Shared input check and example for the conv28 baselines."""

    img_size = 28

    def __init__(self, img_channels: int = 1):
        super().__init__()
        self.img_channels = img_channels

    def check_images(self, x: Tensor) -> Tensor:
        want = (self.img_channels, 28, 28)
        if not isinstance(x, Tensor) or x.ndim != 4 or tuple(x.shape[1:]) != want or not x.dtype.is_floating_point \
                or x.shape[0] == 0:
            got = f"{x.dtype}{list(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
            raise ImageInputError(f"images must be float [B >= 1, {self.img_channels}, 28, 28] in [0, 1], got {got}")
        return x

    def example_inputs(self, batch_size: int = 2):
        return (torch.rand(batch_size, self.img_channels, 28, 28),)


class AutoEncoder(_Conv28):
    """Plain autoencoder (official ``LitAutoEnc`` with conv28)."""

    def __init__(self, *, img_channels: int = 1):
        super().__init__(img_channels)
        self.encoder, self.decoder = Conv28Encoder(img_channels), Conv28Decoder(img_channels)

    def enc(self, x):
        return self.encoder(self.check_images(x))

    def forward(self, x):
        return self.decoder(self.enc(x))

    def features(self, x):
        return self.enc(x).flatten(1)

    def training_loss(self, batch):
        views = batch[0]
        return F.mse_loss(self(views[:, 0]), views[:, 0]), {}


class InvariantAE(AutoEncoder):
    """Official ``LitInvariantAE``: the decoded first view, rotated by the target's angle, vs the target."""

    def training_loss(self, batch):
        views, params = batch[0], batch[1]
        out = rotate(self(views[:, 0]), params[:, -1])
        return F.mse_loss(out, views[:, -1]), {}


class MSPAE(_Conv28):
    """Official ``LitMSPAE`` (U-NFT on images): least-squares M from two views predicts the third."""

    def __init__(self, *, latent_dim: int = 32, action_dim: int = 10, img_channels: int = 1):
        super().__init__(img_channels)
        self.encoder, self.decoder = Conv28Encoder(img_channels), Conv28Decoder(img_channels)
        self.pre_adapter, self.post_adapter = build_adapters("straight", num_patches=49, enc_embed_dim=64,
                                                             dec_embed_dim=64, latent_dim=latent_dim,
                                                             action_dim=action_dim)

    def enc(self, x):
        return self.pre_adapter(self.encoder(self.check_images(x)))

    def dec(self, z):
        return self.decoder(self.post_adapter(z))

    def forward(self, x):
        return self.dec(self.enc(x))

    def predict(self, x0: Tensor, x1: Tensor) -> Tensor:
        """``g^2 x`` from ``(x, g x)``: ``dec(H1 M*)`` with ``M* = argmin ||H0 M - H1||``."""
        from zoo_msp.transition import apply_transition, estimate_transition

        H0, H1 = self.enc(x0), self.enc(x1)
        return self.dec(apply_transition(H1, estimate_transition(H0, H1)))

    def features(self, x):
        return self.enc(x).norm(dim=-1)

    def training_loss(self, batch):
        views = batch[0]
        if views.shape[1] < 3:
            raise ImageInputError(f"MSPAE trains on 3 views (2 inputs + target), got {views.shape[1]}")
        return F.mse_loss(self.predict(views[:, -3], views[:, -2]), views[:, -1]), {}


class ContrastiveEncoder(_Conv28):
    """Official ``LitContrastiveEnc``: conv28 features, ReLU + Linear head, InfoNCE between the two views."""

    def __init__(self, *, head_dim: int = 64, temperature: float = 0.1, img_channels: int = 1):
        super().__init__(img_channels)
        self.encoder = Conv28Encoder(img_channels)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(49 * 64, head_dim))
        self.temperature = temperature

    def features(self, x):
        return self.encoder(self.check_images(x)).flatten(1)

    def forward(self, x):
        return self.head(self.features(x))

    def training_loss(self, batch):
        views = batch[0]
        return info_nce(self(views[:, 0]), self(views[:, 1]), temperature=self.temperature), {}


class Supervised(_Conv28):
    """Official ``LitSupervised``: a linear classifier on the conv28 features."""

    def __init__(self, *, num_classes: int = 10, img_channels: int = 1):
        super().__init__(img_channels)
        self.encoder = Conv28Encoder(img_channels)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(49 * 64, num_classes))

    def features(self, x):
        return self.encoder(self.check_images(x)).flatten(1)

    def forward(self, x):
        return self.classifier(self.encoder(self.check_images(x)))

    def training_loss(self, batch):
        views, _, labels = batch
        logits = self(views[:, 0])
        return F.cross_entropy(logits, labels), {"acc": (logits.argmax(-1) == labels).float().mean()}

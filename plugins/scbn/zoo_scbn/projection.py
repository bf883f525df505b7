"""Manifold projection of a real image onto a conditional generator (paper Sec. 3.3, Eq. 4;
official ``optimization.py``), so that real images can be edited with sCBN / blending.

    L(z) = -cos(phi_D(G(z, y)), phi_D(x)) + lambda_pix * MSE(G(z, y), x),   lambda_pix = 0.2

``phi_D`` is the discriminator's last residual block after ReLU, flattened without pooling
(``ResNetDiscriminator.features(x, pool=False)``), in eval mode; Adam (lr 0.075) on ``z`` for
200 steps, from ``z ~ N(0, I)`` or from an encoder ``E(x, y)``. Several images are projected
at once, each with its own ``z``: the loss is summed over the batch (the official loss sums
the cosine over the batch and runs batch 1; its MSE is per image here, so every image's ``z``
gets exactly the gradient it would get alone).

The encoder (:class:`CollageEncoder`, official ``enc_models/resnetenc_small.py``) is
trained with G and D frozen to minimise the feature loss ``-cos(phi_D(G(E(x, y), y)), phi_D(x))``
(:func:`train_encoder`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo_core.interfaces import Model

__all__ = ["phi_d", "projection_loss", "project", "psnr", "EncoderBlock", "CollageEncoder", "train_encoder", "INITS"]

INITS = ("random", "encoder")


def phi_d(discriminator, x: Tensor) -> Tensor:
    """``phi_D(x)``: the last block's ReLU'd map, flattened, ``(B, C * H * W)``."""
    return discriminator.features(x, pool=False).flatten(1)


def projection_loss(generator, discriminator, z: Tensor, y: Tensor, target_features: Tensor,
                    target: Tensor, *, lambda_pix: float = 0.2) -> tuple[Tensor, Tensor, Tensor]:
    """``(per-image loss, -cos, MSE)``, each ``(B,)``, of ``G(z, y)`` against the target image
    and its precomputed ``phi_D`` features (Eq. 4)."""
    recon = generator(z, y)
    cos = F.cosine_similarity(phi_d(discriminator, recon), target_features, dim=1, eps=1e-12)
    mse = (recon - target).pow(2).flatten(1).mean(1)
    return -cos + lambda_pix * mse, -cos, mse


def psnr(a: Tensor, b: Tensor) -> Tensor:
    """PSNR in dB of images in [-1, 1] (peak-to-peak 2), per image ``(B,)``."""
    mse = (a - b).pow(2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(4.0 / mse)


def _frozen_eval(*modules):
    state = [(m, m.training, [p.requires_grad for p in m.parameters()]) for m in modules]
    for m in modules:
        m.eval().requires_grad_(False)
    return state


def _restore(state) -> None:
    for m, training, flags in state:
        m.train(training)
        for p, f in zip(m.parameters(), flags):
            p.requires_grad_(f)


def project(generator, discriminator, x: Tensor, y: Tensor, *, init: str = "random",
            encoder: nn.Module | None = None, steps: int = 200, lr: float = 0.075,
            lambda_pix: float = 0.2, seed: int = 0) -> tuple[Tensor, dict[str, Tensor]]:
    """Find ``z*`` with ``G(z*, y) ~ x`` (manifold projection).

    Args:
        generator, discriminator: a conditional zoo-sngan ResNet pair (run in eval mode,
            frozen; restored afterwards).
        x: real images ``(B, 3, S, S)`` in [-1, 1] at the generator's resolution.
        y: their classes ``(B,)``.
        init: ``"random"`` (``z ~ N(0, I)`` from ``seed``) or ``"encoder"`` (``encoder(x, y)``).
        steps, lr, lambda_pix: Adam steps and rate on ``z``; pixel weight (official 200,
            0.075, 0.2).

    Returns:
        ``(z*, record)``: ``record`` holds per-image ``feature_loss`` (``-cos``), ``mse``,
        ``psnr`` of the final ``G(z*, y)`` and ``psnr_init`` of the initial one.
    """
    if init not in INITS:
        raise ValueError(f"Unknown init {init!r}; use one of {INITS}")
    if init == "encoder" and encoder is None:
        raise ValueError("init='encoder' needs encoder=..., e.g. zoo.load('collage-encoder-fontdigits32')")
    size = generator.image_size
    if x.dim() != 4 or x.shape[1:] != (3, size, size) or y.shape != (x.shape[0],):
        raise ValueError(f"x must be (B, 3, {size}, {size}) images in [-1, 1] with labels y (B,); "
                         f"got x {tuple(x.shape)}, y {tuple(y.shape)}")
    state = _frozen_eval(*(m for m in (generator, discriminator, encoder) if m is not None))
    try:
        with torch.no_grad():
            target_features = phi_d(discriminator, x)
            if init == "encoder":
                z0 = encoder(x, y)
            else:
                g = torch.Generator().manual_seed(seed)
                z0 = torch.randn(x.shape[0], generator.dim_z, generator=g).to(x)
            psnr_init = psnr(generator(z0, y), x)
        z = z0.clone().requires_grad_(True)
        opt = torch.optim.Adam([z], lr=lr)
        for _ in range(steps):
            loss, _, _ = projection_loss(generator, discriminator, z, y, target_features, x,
                                         lambda_pix=lambda_pix)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
        with torch.no_grad():
            _, feat, mse = projection_loss(generator, discriminator, z, y, target_features, x,
                                           lambda_pix=lambda_pix)
            record = {"feature_loss": feat, "mse": mse, "psnr": psnr(generator(z, y), x),
                      "psnr_init": psnr_init}
    finally:
        _restore(state)
    return z.detach(), record


class EncoderBlock(nn.Module):
    """The official encoder's residual down-block (``enc_models/resblocks.Block``, downsample):
    ``c2(relu(b2(c1(pool(relu(b1(x, y)))), y))) + c_sc(pool(x))``, class-conditional BN ``b1``,
    ``b2``, hidden width = input width, 2x2 average pooling before ``c1`` and ``c_sc``."""

    def __init__(self, in_channels: int, out_channels: int, n_classes: int) -> None:
        super().__init__()
        from zoo_sngan.layers import CategoricalConditionalBatchNorm2d

        self.b1 = CategoricalConditionalBatchNorm2d(in_channels, n_classes=n_classes)
        self.c1 = nn.Conv2d(in_channels, in_channels, 3, padding=1)
        self.b2 = CategoricalConditionalBatchNorm2d(in_channels, n_classes=n_classes)
        self.c2 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.c_sc = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        h = self.c1(F.avg_pool2d(F.relu(self.b1(x, y)), 2))
        h = self.c2(F.relu(self.b2(h, y)))
        return h + self.c_sc(F.avg_pool2d(x, 2))


class CollageEncoder(Model):
    """Image -> latent encoder ``E(x, y)`` (the official ``enc_models/resnetenc_small.py``
    ``ResNetEncoder`` with its widths as a list): a 3x3 stem conv ``l1``, one
    :class:`EncoderBlock` per following width (each halves the resolution), the map flattened
    as it is (no activation, as the official), a linear layer and a PReLU with initial slope 0.1.
    The official 128-px encoder is ``channels=[ch, 2ch, 4ch, 4ch, 8ch, 8ch]``, ``image_size=128``
    (its declared but unused ``b7`` BN is left out).

    Args:
        channels: widths of the stem conv and each down-block (32 px: 32 -> 16 -> 8 -> 4).
        n_classes, dim_z, image_size: as the generator it inverts.
    """

    def __init__(self, *, channels=(32, 64, 128, 128), n_classes: int = 10, dim_z: int = 128,
                 image_size: int = 32) -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        n_down = len(channels) - 1
        if n_down < 1 or image_size % 2 ** n_down:
            raise ValueError(f"channels needs a stem and at least one block, and image_size {image_size} "
                             f"must be divisible by 2^{n_down}; got channels={channels}")
        self.n_classes, self.dim_z, self.image_size = n_classes, dim_z, image_size
        self.l1 = nn.Conv2d(3, channels[0], 3, padding=1)
        self.blocks = nn.ModuleList(EncoderBlock(a, b, n_classes) for a, b in zip(channels, channels[1:]))
        side = image_size // 2 ** n_down
        self.fc = nn.Linear(channels[-1] * side * side, dim_z)
        self.prelu = nn.PReLU(dim_z, init=0.1)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """Latents ``(B, dim_z)`` of images ``x`` ``(B, 3, S, S)`` in [-1, 1] of classes ``y``."""
        if x.dim() != 4 or x.shape[1:] != (3, self.image_size, self.image_size):
            raise ValueError(f"x must be (B, 3, {self.image_size}, {self.image_size}); got "
                             f"{tuple(x.shape)}")
        h = self.l1(x)
        for block in self.blocks:
            h = block(h, y)
        return self.prelu(self.fc(h.flatten(1)))

    def example_inputs(self, batch_size: int = 2):
        return (torch.rand(batch_size, 3, self.image_size, self.image_size) * 2 - 1,
                torch.arange(batch_size) % self.n_classes)


def train_encoder(encoder: CollageEncoder, generator, discriminator, images: Tensor, labels: Tensor,
                  *, steps: int, batch_size: int = 32, lr: float = 1e-3, seed: int = 0,
                  log_every: int = 0) -> list[float]:
    """Train ``encoder`` in place with G and D frozen (G in eval mode) to minimise
    ``-cos(phi_D(G(E(x, y), y)), phi_D(x))`` (official ``updater_enc.py``), Adam
    ``betas (0, 0.9)``; returns the loss per step."""
    state = _frozen_eval(generator, discriminator)
    encoder.train()
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(encoder.parameters(), lr=lr, betas=(0.0, 0.9))
    history = []
    try:
        for step in range(steps):
            idx = torch.randint(len(labels), (batch_size,), generator=g)
            x, y = images[idx], labels[idx]
            with torch.no_grad():
                target = phi_d(discriminator, x)
            recon = generator(encoder(x, y), y)
            loss = -F.cosine_similarity(phi_d(discriminator, recon), target, dim=1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            history.append(float(loss.detach()))
            if log_every and (step + 1) % log_every == 0:
                print(f"encoder step {step + 1}/{steps} loss {loss.item():.4f}", flush=True)
    finally:
        _restore(state)
    encoder.eval()
    return history


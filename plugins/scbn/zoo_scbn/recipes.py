"""``zoo train collage-encoder-*``: the encoder of manifold projection (official
``updater_enc.py``), trained with the conditional generator and discriminator frozen.

    L(E) = -cos(phi_D(G(E(x, y), y)), phi_D(x))          over real training images (x, y)

``gan`` names the conditional SN-GAN whose latent space the encoder maps into: a registry name
(its published weights, ``zoo.load(gan, pretrained=True)``) or ``local-dir:PATH`` of a
``zoo train`` output. G runs in eval mode (running BN statistics), as in projection.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo_core.train import Recipe, single_phase
from zoo_scbn.projection import phi_d

__all__ = ["collage_encoder"]


def _frozen_gan(gan: str):
    import zoo

    model = zoo.load(gan, pretrained=not gan.startswith("local-dir:"))
    if not getattr(model, "n_classes", 0) or not hasattr(model, "discriminator"):
        raise ValueError(f"gan={gan!r} is not a class-conditional SN-GAN with a discriminator "
                         "(an encoder for projection needs both)")
    return model.eval().requires_grad_(False)


def collage_encoder(*, config: dict, gan: str, steps: int, batch_size: int = 32, lr: float = 1e-3,
                    dataset: str = "fontdigits32") -> Recipe:
    """Adam (``lr``, betas (0, 0.9) as the official encoder updater) on the encoder only.

    Args:
        config: the encoder's config (``n_classes``, ``dim_z`` must match the GAN's).
        gan: the frozen GAN (registry name or ``local-dir:PATH``).
        dataset: the real images: ``fontdigits32`` (zoo_sngan.fontdigits train split).
    """
    if dataset != "fontdigits32":
        raise ValueError(f"Unknown dataset {dataset!r}; the encoder recipe knows 'fontdigits32'")
    model = _frozen_gan(gan)
    gen, dis = model.generator, model.discriminator
    for key, want in (("n_classes", model.n_classes), ("dim_z", gen.dim_z)):
        if int(config.get(key, want)) != int(want):
            raise ValueError(f"the encoder's {key}={config[key]} does not match gan {gan!r} ({want})")

    def loss(encoder, batch, step):
        x, y = batch
        with torch.no_grad():
            target = phi_d(dis, x)
        recon = gen(encoder(x, y), y)
        return -F.cosine_similarity(phi_d(dis, recon), target, dim=1).mean()

    def data(seed: int):
        from zoo_sngan.fontdigits import font_digits32

        return font_digits32("train")

    return Recipe(dataset=data, phases=single_phase(loss, lr, betas=(0.0, 0.9)), steps=steps,
                  batch_size=batch_size,
                  data="fontdigits32 train split (zoo_sngan.fontdigits: 12,000 digits from 17 matplotlib fonts)",
                  card=f"Encoder for manifold projection into `{gan}` (G and D frozen, G in eval mode): "
                       f"loss `-cos(phi_D(G(E(x, y), y)), phi_D(x))`, Adam lr {lr}, betas (0, 0.9).")

"""Task ``projection/fontdigits32``: how well a collage encoder starts manifold projection
(paper Sec. 3.3, Eq. 4) on held-out fontdigits32 digits, against random starts.

``evaluate(encoder, limit=None, seed=0)`` on ``n`` test digits (default 40: half from the
training fonts, half from the four held-out fonts) and the frozen GAN ``gan``:

* ``psnr_encoder``, ``feature_loss_encoder``: ``G(E(x, y), y)`` alone (no optimisation);
* ``psnr_projected_encoder`` / ``feature_loss_projected_encoder``: after ``steps`` Adam steps
  on z from the encoder's latent; ``psnr_projected_random`` / ``feature_loss_projected_random``:
  the same from ``z ~ N(0, I)`` (seed); ``psnr_random``: the random start before optimising.

PSNR of images in [-1, 1] (peak-to-peak 2); feature loss ``-cos(phi_D(G(z)), phi_D(x))``.
"""

from __future__ import annotations

import torch

__all__ = ["FontDigitsProjection"]


class FontDigitsProjection:
    """The Task contract for encoders of ``gan`` (default the published fontdigits32 cGAN)."""

    name = "projection/fontdigits32"

    def __init__(self, *, gan: str = "sngan-projection-fontdigits32", n: int = 40, steps: int = 200) -> None:
        if n < 2 or steps < 0:
            raise ValueError(f"n must be >= 2 and steps >= 0, got n={n}, steps={steps}")
        self.gan, self.n, self.steps = gan, n, steps

    def dataset(self, split: str):
        from zoo_sngan.fontdigits import font_digits32

        return font_digits32(split)

    def load_gan(self):
        import zoo

        return zoo.load(self.gan, pretrained=not self.gan.startswith("local-dir:")).eval()

    def evaluate(self, encoder, *, limit: int | None = None, seed: int = 0, gan=None) -> dict[str, float]:
        """The numbers above, single-threaded (200 Adam steps amplify float-order differences)."""
        from zoo_core.eval import single_thread

        with single_thread():
            return self._evaluate(encoder, limit=limit, seed=seed, gan=gan)

    def _evaluate(self, encoder, *, limit, seed, gan) -> dict[str, float]:
        from zoo_scbn.projection import phi_d, project, psnr
        from zoo_sngan.fontdigits import font_digits32_tensors

        gan = gan if gan is not None else self.load_gan()
        n = max(2, min(self.n, limit)) if limit else self.n
        x, y = font_digits32_tensors("test")
        idx = torch.cat([torch.arange(n // 2), 1000 + torch.arange(n - n // 2)])  # train fonts, held-out fonts
        x, y = x[idx], y[idx]
        g, d = gan.generator, gan.discriminator
        encoder.eval()
        with torch.no_grad():
            recon = g(encoder(x, y), y)
            feat = -torch.nn.functional.cosine_similarity(phi_d(d, recon), phi_d(d, x), dim=1)
            out = {"psnr_encoder": psnr(recon, x).mean(), "feature_loss_encoder": feat.mean()}
        _, enc = project(g, d, x, y, init="encoder", encoder=encoder, steps=self.steps)
        _, rnd = project(g, d, x, y, init="random", steps=self.steps, seed=seed)
        out.update(psnr_projected_encoder=enc["psnr"].mean(), feature_loss_projected_encoder=enc["feature_loss"].mean(),
                   psnr_projected_random=rnd["psnr"].mean(), feature_loss_projected_random=rnd["feature_loss"].mean(),
                   psnr_random=rnd["psnr_init"].mean())
        return {k: round(float(v), 4) for k, v in out.items()} | {"n": n}

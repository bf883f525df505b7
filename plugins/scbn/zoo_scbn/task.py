"""Task ``editing/fontdigits32``: what sCBN promises, measured on a conditional generator of
fontdigits32 (no official numbers exist; issue 17's protocol).

``evaluate(model, limit=None, seed=0)`` on ``n`` latents (default 200) with random
``(base, target)`` class pairs, ``target != base``, in eval mode:

* ``edit_success_t{0.25,0.5,0.75,1}``: how often zoo-sngan's fontdigits32 classifier
  (:meth:`zoo_sngan.task.FontDigitsGeneration.feature_net`) calls the sCBN image the target
  class, mask = the whole image, strength ``t`` at every CBN layer (``t=0`` is the base image);
* ``edit_success_coarse`` / ``edit_success_fine``: the same at ``t=1`` applied only at the
  4 and 8 px layers (coarse: global shape) or only at the 16 and 32 px ones (fine);
* ``base_accuracy``: the classifier's accuracy on the unedited base images (the ceiling);
* ``locality_inside`` / ``locality_outside``: mean ``|delta|`` (pixels in [-1, 1]) inside the
  right half and outside its receptive-field dilation (the left 10 columns: the 16- and 32-px
  layers reach at most 5 px to the left), when the right half is relabelled at the fine layers;
  ``locality_outside_all`` the same outside the mask when every layer is relabelled (the 4-px
  layer sees the whole image, so nothing bounds that one).
"""

from __future__ import annotations

import torch

__all__ = ["FontDigitsEditing", "STRENGTHS"]

STRENGTHS = (0.25, 0.5, 0.75, 1.0)


class FontDigitsEditing:
    """The Task contract: ``name``, ``dataset(split)`` and ``evaluate(model, *, limit, seed)``.

    Args:
        n: latents (and class pairs) per measurement.
        encoder: the projection encoder the figure starts real-digit projection from.
    """

    name = "editing/fontdigits32"

    def __init__(self, *, n: int = 200, encoder: str | None = "collage-encoder-fontdigits32") -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.n = n
        self.encoder = encoder

    def load_encoder(self):
        """The projection encoder named by ``encoder`` with its published weights, or None where
        it has none (projection then starts from random latents)."""
        import zoo

        if not self.encoder or not zoo.registry().resolve(self.encoder).pretrained:
            return None
        return zoo.load(self.encoder, pretrained=True).eval()

    def dataset(self, split: str):
        """The fontdigits32 split (the real digits that projection edits)."""
        from zoo_sngan.fontdigits import font_digits32

        return font_digits32(split)

    def classifier(self):
        from zoo_sngan.task import FontDigitsGeneration

        return FontDigitsGeneration().feature_net()

    @torch.no_grad()
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0) -> dict[str, float]:
        """Edit success and locality of ``model`` (a :class:`~zoo_scbn.models.Collage`),
        single-threaded so the numbers reproduce on any machine."""
        from zoo_core.eval import single_thread

        with single_thread():
            return self._evaluate(model, limit=limit, seed=seed)

    def _evaluate(self, model, *, limit, seed) -> dict[str, float]:
        from zoo_scbn.collage import pair_maps, scbn

        n = min(self.n, limit) if limit else self.n
        model.eval()
        g = model.generator
        net = self.classifier()
        gen = torch.Generator().manual_seed(seed)
        z = model.sample_latents(n, generator=gen)
        base = torch.randint(g.n_classes, (n,), generator=gen)
        target = (base + torch.randint(1, g.n_classes, (n,), generator=gen)) % g.n_classes
        sizes = g.layer_sizes

        def edit(mask, ts):
            return scbn(g, z, pair_maps(g, base, target, mask, strength=ts, resample="nearest"))

        def success(images):
            return round(float((net.classify(images).argmax(-1) == target).float().mean()), 5)

        ones = torch.ones(g.image_size, g.image_size)
        plain = g(z, base)
        results = {"base_accuracy": round(float((net.classify(plain).argmax(-1) == base).float().mean()), 5)}
        for t in STRENGTHS:
            results[f"edit_success_t{t:g}"] = success(edit(ones, [t] * len(sizes)))
        coarse = [1.0 if s <= 8 else 0.0 for s in sizes]
        results["edit_success_coarse"] = success(edit(ones, coarse))
        results["edit_success_fine"] = success(edit(ones, [1 - c for c in coarse]))
        half = torch.zeros(g.image_size, g.image_size)
        half[:, g.image_size // 2:] = 1
        fine = [0.0 if s < g.image_size // 2 else 1.0 for s in sizes]
        delta = (edit(half, fine) - plain).abs().mean(1)  # (n, H, W)
        inside = half.bool()
        outside = torch.zeros_like(inside)
        outside[:, :g.image_size // 2 - 6] = True  # beyond the fine layers' reach
        results["locality_inside"] = round(float(delta[:, inside].mean()), 5)
        results["locality_outside"] = round(float(delta[:, outside].mean()), 5)
        delta_all = (edit(half, [1.0] * len(sizes)) - plain).abs().mean(1)
        results["locality_outside_all"] = round(float(delta_all[:, ~inside].mean()), 5)
        return results

"""``Collage``: a zoo-sngan conditional SN-GAN with the neural-collage editing modes.

The same weights as the ``sngan-projection-*`` entry it wraps (same components, generator
and discriminator, same keys): sCBN needs no retraining. Methods:

* :meth:`Collage.label_collage` -- sCBN with ``{class: mask}`` and per-layer strengths;
* :meth:`Collage.feature_collage` -- feature blending of two latents inside a mask;
* :meth:`Collage.project` -- manifold projection of real images (Eq. 4).

Example::

    >>> import torch
    >>> m = Collage(n_classes=10, generator={"channels": [8, 8, 8, 8]},
    ...             discriminator={"channels": [8, 8], "downsample": [True, True]}).eval()
    >>> z = m.sample_latents(2, generator=torch.Generator().manual_seed(0))
    >>> half = torch.zeros(32, 32); half[:, 16:] = 1
    >>> m.label_collage(z, base=3, masks={8: half}, strength=0.5).shape
    torch.Size([2, 3, 32, 32])
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor

from zoo_scbn.collage import blend_weights, feature_blend, label_maps, scbn
from zoo_scbn.projection import project
from zoo_sngan.models import SNGAN

__all__ = ["Collage"]


class Collage(SNGAN):
    """A class-conditional zoo-sngan ResNet SN-GAN exposing sCBN, feature blending and
    manifold projection. The constructor takes :class:`~zoo_sngan.models.SNGAN`'s config."""

    def __init__(self, **config) -> None:
        super().__init__(**config)
        if not self.n_classes or self.arch != "resnet":
            raise ValueError("Collage needs a class-conditional ResNet SN-GAN (n_classes > 0, "
                             "arch='resnet')")

    @torch.no_grad()
    def label_collage(self, z: Tensor, *, base: int | Tensor,
                      masks: Mapping[int, Tensor] | None = None,
                      strength: float | Sequence[float] = 1.0, maps: Sequence[Tensor] | None = None,
                      resample: str = "bicubic") -> Tensor:
        """sCBN images: class ``base`` everywhere, each ``masks`` class inside its mask with
        strength ``t`` (one value, or one per CBN layer); or explicit per-layer ``maps``."""
        if maps is None:
            maps = label_maps(self.generator, base=base, masks=masks, strength=strength,
                              batch=z.shape[0], resample=resample)
        return scbn(self.generator, z, maps)

    @torch.no_grad()
    def feature_collage(self, z_source: Tensor, z_reference: Tensor, mask: Tensor, *,
                        y: Tensor | int, strength: float | Sequence[float] = 1.0,
                        resample: str = "bicubic") -> Tensor:
        """Feature blending: the reference's features pasted into the source inside ``mask``
        with per-blend-point strength (:func:`~zoo_scbn.collage.blend_weights`)."""
        b = z_source.shape[0]
        y = torch.full((b,), y, dtype=torch.long) if isinstance(y, int) else y
        blends = blend_weights(self.generator, mask, strength=strength, batch=b, resample=resample)
        return feature_blend(self.generator, [z_source, z_reference], blends, y=y)

    def project(self, x: Tensor, y: Tensor, **kwargs) -> tuple[Tensor, dict[str, Tensor]]:
        """Manifold projection of ``x`` (see :func:`zoo_scbn.projection.project`)."""
        return project(self.generator, self.discriminator, x, y, **kwargs)

"""SN-GAN as one Zoo model: a generator and a spectrally normalized discriminator.

``SNGAN(arch=..., n_classes=..., dim_z=..., generator={...}, discriminator={...})`` builds
the pair named by ``arch`` (``"resnet"``: :mod:`zoo_sngan.models.resnet`; ``"cnn"``: the
standard CNN of :mod:`zoo_sngan.models.cnn`). ``n_classes`` and ``dim_z`` are shared and
passed to both parts; the two dicts hold the remaining constructor kwargs of each part.
The catalog ``config`` of every ``sngan-*`` entry is exactly these kwargs.

Example::

    >>> import torch
    >>> gan = SNGAN(arch="resnet", n_classes=10, generator={"channels": [32, 32, 32, 32]},
    ...             discriminator={"channels": [32, 32, 32, 32],
    ...                            "downsample": [True, True, False, False],
    ...                            "head_bias": False})
    >>> x = gan.eval().sample(4, generator=torch.Generator().manual_seed(0))
    >>> x.shape, bool(x.abs().max() <= 1)
    (torch.Size([4, 3, 32, 32]), True)
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import Tensor

from zoo_core.interfaces import Model
from zoo_sngan.models.cnn import DCGANGenerator, SNDCGANDiscriminator
from zoo_sngan.models.resnet import ResNetDiscriminator, ResNetGenerator, sample_z

__all__ = ["SNGAN", "ARCHITECTURES"]

ARCHITECTURES = {
    "resnet": (ResNetGenerator, ResNetDiscriminator),
    "cnn": (DCGANGenerator, SNDCGANDiscriminator),
}


class SNGAN(Model):
    """Generator + discriminator of SN-GAN / the projection-discriminator cGAN.

    Args:
        arch: ``"resnet"`` or ``"cnn"`` (standard CNN).
        n_classes: 0 for unconditional; else the class count of the conditional BN
            generator and the projection (or concat) discriminator.
        dim_z: latent size.
        generator: remaining kwargs of the generator class.
        discriminator: remaining kwargs of the discriminator class.

    Components: ``generator`` and ``discriminator`` (saved to separate files).
    """

    zoo_components = {"generator": "generator", "discriminator": "discriminator"}
    zoo_stochastic = True

    def __init__(self, *, arch: Literal["resnet", "cnn"] = "resnet", n_classes: int = 0,
                 dim_z: int = 128, generator: dict[str, Any], discriminator: dict[str, Any]) -> None:
        super().__init__()
        if arch not in ARCHITECTURES:
            raise ValueError(f"Unknown SN-GAN arch {arch!r}; use one of {sorted(ARCHITECTURES)}")
        for part, kwargs in (("generator", generator), ("discriminator", discriminator)):
            shared = {"n_classes", "dim_z"} & set(kwargs)
            if shared:
                raise ValueError(f"Pass {sorted(shared)} at the top level of the SNGAN config, "
                                 f"not inside {part!r}")
        g_cls, d_cls = ARCHITECTURES[arch]
        self.arch, self.n_classes, self.dim_z = arch, n_classes, dim_z
        self.generator = g_cls(dim_z=dim_z, n_classes=n_classes, **generator)
        self.discriminator = d_cls(n_classes=n_classes, **discriminator)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """The generator: images in [-1, 1] from latents ``z`` (and labels if conditional)."""
        return self.generator(z, labels)

    def example_inputs(self, batch_size: int = 2) -> tuple[Tensor, Tensor | None]:
        """``(z, labels)`` for :meth:`forward`: seeded latents and labels ``0, 1, ...``."""
        z = self.sample_latents(batch_size, generator=torch.Generator().manual_seed(0))
        labels = None
        if self.n_classes:
            labels = torch.arange(batch_size, device=z.device) % self.n_classes
        return z, labels

    def sample_latents(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``n`` latent codes from the generator's prior, on its device."""
        ref = self.generator.fc.weight
        return sample_z(n, self.dim_z, distribution=self.generator.z_distribution,
                        device=ref.device, dtype=ref.dtype, generator=generator)

    def sample_labels(self, n: int, *, generator: torch.Generator | None = None) -> Tensor | None:
        """``n`` labels drawn uniformly (None for an unconditional model)."""
        if self.n_classes == 0:
            return None
        return torch.randint(self.n_classes, (n,), generator=generator,
                             device=self.generator.fc.weight.device)

    @torch.no_grad()
    def sample(self, n: int, labels: Tensor | int | None = None, *,
               generator: torch.Generator | None = None) -> Tensor:
        """``n`` images in [-1, 1], ``(n, 3, S, S)``.

        Uses the module's current mode: call ``.eval()`` first for the official evaluation
        behaviour (running batch-norm statistics).

        Args:
            n: number of images.
            labels: class labels ``(n,)`` or one class for all; drawn uniformly when None
                for a conditional model; must be None for an unconditional one.
            generator: ``torch.Generator`` for the latents and labels (on the model's device).

        Raises:
            ValueError: labels for an unconditional model, wrong count or out of range.
        """
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        z = self.sample_latents(n, generator=generator)
        if labels is None:
            labels = self.sample_labels(n, generator=generator)
        elif isinstance(labels, int):
            labels = torch.full((n,), labels, dtype=torch.long, device=z.device)
        else:
            labels = torch.as_tensor(labels, device=z.device)
        return self.generator(z, labels)

"""zoo-sngan: SN-GAN (Miyato et al., 2018) and cGANs with a projection discriminator
(Miyato & Koyama, 2018) for the Zoo model zoo.

Importing this package is cheap (no torch). Models live in ``zoo_sngan.models``, the
spectral-normalization and conditional-BN layers in ``zoo_sngan.layers``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

"""zoo-nft: the Neural Fourier Transform (Koyama, Fukumizu, Hayashi & Miyato, ICLR 2024) for the Zoo.

Importing this package is cheap (no torch). 1-D models: ``zoo_nft.unft`` (U-NFT, G-NFT, g-NFT
sequence autoencoder), ``zoo_nft.gnft``, ``zoo_nft.character``, ``zoo_nft.signals``, ``zoo_nft.dft``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

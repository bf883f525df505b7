"""zoo-scbn: spatially controllable synthesis by collaging internal representations
(Suzuki et al., arXiv:1811.10153) on zoo-sngan's class-conditional generators.

Importing this package is cheap (no torch). Label collage (sCBN) and feature blending live in
``zoo_scbn.collage``, manifold projection and the encoder in ``zoo_scbn.projection``, the
``Collage`` model in ``zoo_scbn.models``, the edit command in ``zoo_scbn.edit``.
"""

__version__ = "0.1.0"

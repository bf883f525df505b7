"""zoo-akorn: Artificial Kuramoto Oscillatory Neurons for the Zoo model zoo.

Importing this package is cheap (no torch). Models live in :mod:`zoo_akorn.models`,
the fused Kuramoto update in :mod:`zoo_akorn.ops`, the official-checkpoint converter in
:mod:`zoo_akorn.convert`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

"""zoo-msp: Meta-Sequential Prediction (MSP) and its baselines for the Zoo model zoo.

Importing this package is cheap (no torch). Models live in ``zoo_msp.models``, the
least-squares transition machinery in ``zoo_msp.transition``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

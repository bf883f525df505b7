"""zoo_core: the registry, plugin host and hub behind ``import zoo``.

Importing this package is cheap: no torch, no model code. Model code is imported
only when a model is built (``zoo.create`` / ``zoo.load``).
"""

__version__ = "0.1.0"

from zoo_core.hookspecs import hookimpl  # noqa: E402  (pluggy only: cheap)

__all__ = ["__version__", "hookimpl"]

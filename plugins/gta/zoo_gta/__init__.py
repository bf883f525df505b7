"""zoo-gta: a Zoo plugin (gta-mlp-quadrants on classification/gta-quadrants)."""

__version__ = "0.1.0"

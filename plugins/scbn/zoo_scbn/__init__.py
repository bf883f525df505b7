"""zoo-scbn: a Zoo plugin (scbn-mlp-quadrants on classification/scbn-quadrants)."""

__version__ = "0.1.0"

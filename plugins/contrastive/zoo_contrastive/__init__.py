"""zoo-contrastive: a Zoo plugin (contrastive-mlp-quadrants on classification/contrastive-quadrants)."""

__version__ = "0.1.0"

"""zoo-nft: a Zoo plugin (nft-mlp-quadrants on classification/nft-quadrants)."""

__version__ = "0.1.0"

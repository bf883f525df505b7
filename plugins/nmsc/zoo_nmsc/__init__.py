"""zoo-nmsc: a Zoo plugin (nmsc-mlp-quadrants on classification/nmsc-quadrants)."""

__version__ = "0.1.0"

"""zoo-ssdrl: a Zoo plugin (ssdrl-mlp-quadrants on classification/ssdrl-quadrants)."""

__version__ = "0.1.0"

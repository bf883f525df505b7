"""zoo-contrastive: lasso-type contrastive learning (arXiv:2210.07413) on synthetic latent blocks,
and the trainable augmentation channel (arXiv:2111.07679)."""

__version__ = "0.1.0"

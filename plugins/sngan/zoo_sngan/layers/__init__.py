"""Layers of zoo-sngan: spectral normalization and categorical conditional batch norm."""

from zoo_sngan.layers.conditional_bn import CHAINER_BN_EPS, CategoricalConditionalBatchNorm2d
from zoo_sngan.layers.spectral_norm import (SNConv2d, SNEmbedding, SNLinear, SpectralNormMixin,
                                            spectral_normalize)

__all__ = ["CHAINER_BN_EPS", "CategoricalConditionalBatchNorm2d", "SNConv2d", "SNEmbedding",
           "SNLinear", "SpectralNormMixin", "spectral_normalize"]

"""Models of zoo-sngan (importing this imports torch)."""

from zoo_sngan.models.cnn import DCGANGenerator, SNDCGANDiscriminator
from zoo_sngan.models.resnet import (DBlock, DOptimizedBlock, GBlock, ResNetDiscriminator,
                                     ResNetGenerator)
from zoo_sngan.models.sngan import SNGAN

__all__ = ["SNGAN", "ResNetGenerator", "ResNetDiscriminator", "GBlock", "DBlock",
           "DOptimizedBlock", "DCGANGenerator", "SNDCGANDiscriminator"]

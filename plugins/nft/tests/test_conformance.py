"""The core's conformance kit over this plugin's models.

Published weights are read from the repository's hub/ (where `zoo publish --local hub` puts
them), served by a fake Hub on loopback. The paper-size ViT g-NFTs (ViT-B/16 at 224 px: about
220M parameters with their lowrank adapters) are built small here.
"""

from zoo_core.testing.conformance import conformance_suite

_VIT_SMALL = {"latent_dim": 4, "img_size": 32, "encoder": {"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2},
              "decoder": {"embed_dim": 16, "depth": 1, "num_heads": 2}}
OVERRIDES = {n: _VIT_SMALL for n in ("nft-modelnet10-so3", "nft-brdfs", "nft-abo-material")}

TestConformance = conformance_suite("zoo-nft", overrides=OVERRIDES)

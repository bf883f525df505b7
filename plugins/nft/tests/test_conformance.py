"""The core's conformance kit over this plugin's models.

Published weights are read from the repository's hub/ (where `zoo publish --local hub` puts
them), served by a fake Hub on loopback. The paper-size ViT g-NFTs (ViT-B/16 at 224 px: about
220M parameters with their lowrank adapters) and the fisheye U-NFT ViT are built small here.
"""

from zoo_core.testing.conformance import conformance_suite

_VIT_SMALL = {"latent_dim": 4, "img_size": 32, "encoder": {"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2},
              "decoder": {"embed_dim": 16, "depth": 1, "num_heads": 2}}
OVERRIDES = {n: _VIT_SMALL for n in ("nft-modelnet10-so3", "nft-brdfs", "nft-abo-material")}
# the fisheye U-NFT ViT (129M parameters, mostly its straight adapters) built small
OVERRIDES["nft-fisheye-cifar100"] = {"dim_m": 4, "dim_a": 4, "vit": {"patch_size": 8, "embed_dim": 16, "depth": 1,
                                                                   "num_heads": 2}}

TestConformance = conformance_suite("zoo-nft", overrides=OVERRIDES)

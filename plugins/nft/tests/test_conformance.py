"""The core's conformance kit over this plugin's models.

Published weights are read from hub/ beside this folder (where `zoo publish --local hub`
puts them), served by a fake Hub on loopback. The paper-size ViT g-NFTs (ViT-B/16 at 224 px:
about 220M parameters with their lowrank adapters) are built small here.
"""

from pathlib import Path

from zoo_core.testing.conformance import conformance_suite

HUB = Path(__file__).resolve().parents[1] / "hub"

_VIT_SMALL = {"latent_dim": 4, "img_size": 32, "encoder": {"patch_size": 8, "embed_dim": 32, "depth": 1, "num_heads": 2},
              "decoder": {"embed_dim": 16, "depth": 1, "num_heads": 2}}
OVERRIDES = {n: _VIT_SMALL for n in ("nft-modelnet10-so3", "nft-brdfs", "nft-abo-material")}

TestConformance = conformance_suite("zoo-nft", hub_dir=HUB, overrides=OVERRIDES)

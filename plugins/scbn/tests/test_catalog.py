"""The official neural-collage configurations as registry entries (architecture only)."""

import pytest
import torch

import zoo

# (G params, D params, class-map sizes): counts from the official architectures (research
# notes: 22.56M / 24.53M for dog&cat 256 at ch 48 with D hidden = out; 10.61M / 8.57M at 128)
EXPECTED = {
    "scbn-dogcat256": (22_556_547, 24_525_457, [4, 8, 8, 16, 16, 32, 32, 64, 64, 128, 128, 256]),
    "scbn-dogcat128": (10_606_339, 8_574_977, [4, 8, 8, 16, 16, 32, 32, 64, 64, 128]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_official_configs(name):
    with torch.device("meta"):
        m = zoo.create(name)
    g, d, sizes = EXPECTED[name]
    assert sum(p.numel() for p in m.generator.parameters()) == g
    assert sum(p.numel() for p in m.discriminator.parameters()) == d
    assert m.generator.layer_sizes == sizes and m.n_classes == 143
    if name == "scbn-dogcat256":  # neural-collage's D: hidden = out (block 2's c1: 48 -> 96)
        assert m.discriminator.blocks[1].c1.weight.shape[0] == 96

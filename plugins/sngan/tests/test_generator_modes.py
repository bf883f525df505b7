"""The generator's per-layer labels and feature hook, the CBN's per-pixel maps and the
discriminator's unpooled features (the public API zoo-scbn builds on)."""

import pytest
import torch

from zoo_sngan.models import SNGAN


@pytest.fixture(scope="module")
def gan():
    torch.manual_seed(0)
    gan = SNGAN(n_classes=4, generator={"channels": [8, 8, 8]},
                discriminator={"channels": [8, 8], "downsample": [True, True]}).eval()
    with torch.no_grad():  # class tables that differ per class
        for m in gan.generator.modules():
            if hasattr(m, "gammas"):
                m.gammas.normal_(1, 0.3), m.betas.normal_(0, 0.3)
    return gan


def test_layer_labels_and_hook_reproduce_plain_forward(gan):
    g = gan.generator
    z, y = torch.randn(3, 128), torch.tensor([0, 2, 3])
    seen = []
    out = g(z, layer_labels=[y] * 4, feature_hook=lambda i, h: seen.append((i, h.shape[-1])) or h)
    torch.testing.assert_close(out, g(z, y))
    assert seen == [(0, 4), (1, 8), (2, 16)] and g.layer_sizes == [4, 8, 8, 16]
    # a different label at one layer only changes the output
    other = g(z, layer_labels=[y, y, y, torch.tensor([1, 1, 1])])
    assert (other - out).abs().max() > 1e-4


def test_per_pixel_one_hot_maps_equal_labels(gan):
    g = gan.generator
    z, y = torch.randn(2, 128), torch.tensor([1, 3])
    maps = [torch.nn.functional.one_hot(y, 4).float()[:, :, None, None].expand(-1, -1, s, s)
            for s in g.layer_sizes]
    torch.testing.assert_close(g(z, layer_labels=maps), g(z, y), atol=2e-5, rtol=0)


def test_layer_label_errors(gan):
    z = torch.randn(2, 128)
    with pytest.raises(ValueError, match="one entry per conditional BN"):
        gan.generator(z, layer_labels=[torch.tensor([0, 1])])
    with pytest.raises(ValueError, match=r"Labels must lie in \[0, 4\)"):
        gan.generator(z, layer_labels=[torch.tensor([0, 9])] * 4)


def test_unpooled_features(gan):
    x = torch.rand(2, 3, 16, 16)
    f = gan.discriminator.features(x, pool=False)
    assert f.shape == (2, 8, 4, 4) and float(f.min()) >= 0
    torch.testing.assert_close(f.sum((2, 3)), gan.discriminator.features(x))

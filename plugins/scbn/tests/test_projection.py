"""Manifold projection (Eq. 4) and the encoder on a small random conditional G and D."""

import pytest
import torch

from zoo_scbn.projection import CollageEncoder, phi_d, project, projection_loss, psnr, train_encoder
from zoo_sngan.models import SNGAN


@pytest.fixture(scope="module")
def gan():
    torch.manual_seed(0)
    return SNGAN(n_classes=10, generator={"channels": [16, 16, 8, 8]},
                 discriminator={"channels": [16, 16, 16], "downsample": [True, True, True]}).eval()


def test_phi_d_is_the_unpooled_last_block(gan):
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    f = phi_d(gan.discriminator, x)
    assert f.shape == (2, 16 * 4 * 4)
    torch.testing.assert_close(f.view(2, 16, 16).sum(-1), gan.discriminator.features(x))


def test_loss_is_minus_one_at_the_truth_and_projection_improves(gan):
    g, d = gan.generator, gan.discriminator
    z_true, y = torch.randn(3, 128, generator=torch.Generator().manual_seed(5)), torch.tensor([1, 4, 7])
    with torch.no_grad():
        x = g(z_true, y)
        loss, feat, mse = projection_loss(g, d, z_true, y, phi_d(d, x), x)
    torch.testing.assert_close(feat, torch.full((3,), -1.0), atol=1e-5, rtol=0)
    assert float(mse.max()) == 0.0
    z, rec = project(g, d, x, y, steps=60, seed=1)
    assert (rec["psnr"] > rec["psnr_init"] + 1).all(), rec
    assert not g.training and not d.training and all(p.requires_grad for p in g.parameters())


def test_batched_projection_equals_one_image_at_a_time(gan):
    g, d = gan.generator, gan.discriminator
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    y = torch.tensor([2, 3])
    z_both, _ = project(g, d, x, y, steps=5, seed=0)
    z0 = torch.randn(2, 128, generator=torch.Generator().manual_seed(0))
    z_a, _ = project(g, d, x[:1], y[:1], init="encoder", encoder=_Fixed(z0[:1]), steps=5)
    z_b, _ = project(g, d, x[1:], y[1:], init="encoder", encoder=_Fixed(z0[1:]), steps=5)
    torch.testing.assert_close(z_both, torch.cat([z_a, z_b]), atol=1e-4, rtol=1e-4)


class _Fixed(torch.nn.Module):
    def __init__(self, z):
        super().__init__()
        self.z = z

    def forward(self, x, y):
        return self.z.clone()


def test_encoder_shapes_training_and_errors(gan):
    enc = CollageEncoder(channels=[8, 16, 16, 16])
    x, y = enc.example_inputs(4)
    assert enc(x, y).shape == (4, 128)
    with torch.no_grad():
        real = gan.generator(torch.randn(64, 128), torch.arange(64) % 10)
    hist = train_encoder(enc, gan.generator, gan.discriminator, real, torch.arange(64) % 10,
                         steps=30, batch_size=16)
    assert sum(hist[-5:]) / 5 < sum(hist[:5]) / 5
    assert not gan.generator.training
    with pytest.raises(ValueError, match=r"x must be \(B, 3, 32, 32\)"):
        enc(torch.zeros(1, 3, 16, 16), torch.tensor([0]))
    with pytest.raises(ValueError, match="init='encoder' needs encoder"):
        project(gan.generator, gan.discriminator, x, y, init="encoder")
    with pytest.raises(ValueError, match="Unknown init"):
        project(gan.generator, gan.discriminator, x, y, init="aux")


def test_psnr():
    a = torch.zeros(1, 3, 4, 4)
    assert abs(float(psnr(a, a + 0.2)) - 10 * torch.log10(torch.tensor(4 / 0.04)).item()) < 1e-4

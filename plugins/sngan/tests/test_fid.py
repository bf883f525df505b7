"""Frechet distance vs torchmetrics' FID on the same features; the digits metric behaves."""

import numpy as np
import pytest
import torch
from torch import nn

from zoo_sngan.data import digits32_tensors
from zoo_sngan.fid import DigitsFeatureNet, FrechetDistance, frechet_distance


class Identity(nn.Module):
    """Images are already features: lets both implementations see the same vectors."""

    def __init__(self, dim):
        super().__init__()
        self.num_features = dim

    def forward(self, x):
        return x


def test_matches_torchmetrics_fid_on_same_features():
    from torchmetrics.image.fid import FrechetInceptionDistance

    g = torch.Generator().manual_seed(0)
    dim = 16
    mix = torch.randn(dim, dim, generator=g)
    real = torch.randn(400, dim, generator=g, dtype=torch.float64) @ mix.double()
    fake = torch.randn(300, dim, generator=g, dtype=torch.float64) * 1.3 + 0.4
    theirs = FrechetInceptionDistance(feature=Identity(dim))
    theirs.update(real, real=True)
    theirs.update(fake, real=False)
    ours = FrechetDistance(Identity(dim))
    ours.update(real, real=True)
    ours.update(fake, real=False)
    assert float(ours.compute()) == pytest.approx(float(theirs.compute()), rel=1e-6)


def test_closed_form_cases():
    mu, sigma = np.zeros(3), np.eye(3)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0, abs=1e-10)
    # diagonal covariances: d^2 = |dmu|^2 + sum (sqrt(a) - sqrt(b))^2
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    expected = 4.0 + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    assert frechet_distance(mu, np.diag(a), mu + [2, 0, 0], np.diag(b)) == pytest.approx(expected)
    with pytest.raises(ValueError, match="Shapes disagree"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_digits_features_rank_real_above_noise():
    torch.manual_seed(0)
    net = DigitsFeatureNet()
    train, test = digits32_tensors("train")[0], digits32_tensors("test")[0]
    metric = FrechetDistance(net)
    metric.update(train[:360], real=True)
    metric.update(test, real=False)
    real_vs_real = float(metric.compute())
    metric.reset()
    metric.update(train[:360], real=True)
    metric.update(torch.rand(360, 3, 32, 32) * 2 - 1, real=False)
    assert float(metric.compute()) > 5 * real_vs_real
    with pytest.raises(ValueError, match="at least 2"):
        FrechetDistance(net).compute()


def test_inception_path_with_local_weights(tmp_path):
    """Users with Inception-v3 weights plug them in; here random weights stand in for them."""
    import pytest
    from safetensors.torch import save_file
    from torchvision.models import inception_v3

    from zoo_sngan.fid import FrechetDistance, InceptionFeatures

    with pytest.raises(FileNotFoundError, match="Inception-v3 weights not found"):
        InceptionFeatures(str(tmp_path / "missing.safetensors"))
    torch.manual_seed(0)
    state = {k: v.contiguous() for k, v in inception_v3(weights=None, aux_logits=True,
                                                         init_weights=True).state_dict().items()}
    save_file(state, str(tmp_path / "inception.safetensors"))
    features = InceptionFeatures(str(tmp_path / "inception.safetensors"))
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        out = features(x)
    assert out.shape == (3, 2048) and torch.isfinite(out).all()
    fid = FrechetDistance(features)
    fid.update(x, real=True)
    assert fid._stats[True][0] == 3  # features accumulate like any other extractor


def test_inception_features_feed_the_google_weights_their_own_input(tmp_path):
    """torchvision's Inception-v3 weights expect [-1, 1] input (what transform_input=True makes
    of ImageNet-normalised images); features and logits match torchvision's own pretrained path."""
    import torch.nn.functional as F
    from safetensors.torch import save_file
    from torchvision.models import inception_v3

    from zoo_sngan.fid import InceptionFeatures

    torch.manual_seed(0)
    reference = inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=True).eval()
    save_file({k: v.contiguous() for k, v in reference.state_dict().items()}, str(tmp_path / "w.safetensors"))
    ours = InceptionFeatures(str(tmp_path / "w.safetensors"))
    x = torch.rand(1, 3, 40, 40) * 2 - 1
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        pool = ours(x)
        x299 = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        reference.fc = torch.nn.Identity()
        expected = reference(((x299 + 1) / 2 - mean) / std)
    assert pool.shape == (1, 2048)
    torch.testing.assert_close(pool, expected, rtol=1e-3, atol=1e-3 * float(expected.abs().max()))

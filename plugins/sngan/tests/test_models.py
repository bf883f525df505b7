"""Architectures: exact parameter counts, official quirks, every catalog config builds and runs."""

import copy
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.catalog_yaml import load_catalog_file
from zoo_core.interfaces import Model
from zoo_sngan.layers import CategoricalConditionalBatchNorm2d, SNConv2d
from zoo_sngan.models import SNGAN, DBlock, ResNetDiscriminator, ResNetGenerator

REGISTRY = load_catalog_file(Path(__file__).resolve().parents[3] / "registry.yaml")
CATALOG = {k: e.to_dict() for k, e in REGISTRY.entries.items() if e.plugin == "zoo-sngan"}


IMAGE_SIZE = {"generation/cifar10": 32, "generation/stl10": 48, "generation/imagenet128": 128,
              "generation/imagenet64": 64, "generation/dogcat64": 64, "generation/dogcat128": 128,
              "generation/dogcat256": 256, "generation/digits32": 32, "generation/fontdigits32": 32}


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _build_meta(name: str) -> SNGAN:
    with torch.device("meta"):
        return SNGAN(**CATALOG[name]["config"])


def _shrunk_config(config: dict, factor: int = 16) -> dict:
    """The same architecture with every width divided by ``factor`` (for fast forwards)."""
    cfg = copy.deepcopy(config)
    for part in ("generator", "discriminator"):
        sub = cfg[part]
        if "channels" in sub:
            sub["channels"] = [max(4, c // factor) for c in sub["channels"]]
        if "ch" in sub:
            sub["ch"] = max(8, sub["ch"] // factor)
        if "concat_dim" in sub:
            sub["concat_dim"] = max(4, sub["concat_dim"] // factor)
    return cfg


class TestParameterCounts:
    """Counts from the research notes (official nets; StudioGAN logs for the two exact ones)."""

    def test_imagenet128_generator_exact(self):
        assert _count(_build_meta("sngan-projection-imagenet128").generator) == 41_996_931

    def test_cifar10_conditional_generator_exact(self):
        assert _count(_build_meta("sngan-projection-cifar10").generator) == 4_304_387

    @pytest.mark.parametrize("name, part, millions", [
        ("sngan-cifar10", "generator", 4.28), ("sngan-cifar10", "discriminator", 1.05),
        ("sngan-stl10", "generator", 4.88), ("sngan-stl10", "discriminator", 10.14),
        ("sngan-projection-imagenet128", "discriminator", 30.04),
        ("sngan-projection-dogcat128", "generator", 10.61),
        ("sngan-projection-dogcat128", "discriminator", 8.57),
    ])
    def test_rounded_counts_from_notes(self, name, part, millions):
        assert round(_count(getattr(_build_meta(name), part)) / 1e6, 2) == millions


@pytest.mark.parametrize("name", sorted(CATALOG))
class TestCatalogConfigs:
    def test_entry_builds_exactly_from_config(self, name):
        entry = CATALOG[name]
        assert entry["builder"] == "zoo_sngan.models.sngan:SNGAN"
        assert entry["plugin"] == "zoo-sngan"
        for key in ("task", "description", "provenance"):
            assert entry[key], f"{name}: missing {key}"
        model = _build_meta(name)
        assert isinstance(model, Model)
        assert model.zoo_components == {"generator": "generator", "discriminator": "discriminator"}
        assert model.zoo_stochastic is True

    def test_shrunk_forward_shapes(self, name):
        torch.manual_seed(0)
        cfg = _shrunk_config(CATALOG[name]["config"])
        gan = SNGAN(**cfg).eval()
        size = gan.generator.image_size
        expected = IMAGE_SIZE[CATALOG[name]["task"]]
        assert size == expected, f"{name}: generator makes {size} px images"
        x = gan.sample(2, generator=torch.Generator().manual_seed(0))
        assert x.shape == (2, 3, size, size) and x.abs().max() <= 1
        y = gan.sample_labels(2, generator=torch.Generator().manual_seed(0))
        logits = gan.discriminator(x, y)
        assert logits.shape == (2, 1) and torch.isfinite(logits).all()


class TestOfficialDetails:
    def test_bn_eps_is_chainer_default_everywhere(self):
        gan = _build_meta("sngan-projection-imagenet128")
        bns = [m for m in gan.modules()
               if isinstance(m, (nn.BatchNorm2d, CategoricalConditionalBatchNorm2d))]
        assert len(bns) == 11 and all(m.eps == 2e-5 for m in bns)
        assert sum(isinstance(m, CategoricalConditionalBatchNorm2d) for m in bns) == 10

    def test_discriminator_hidden_width_is_in_channels(self):
        d = _build_meta("sngan-projection-imagenet128").discriminator
        for block in d.blocks[1:]:
            assert block.c1.out_channels == block.c1.in_channels

    def test_global_sum_pooling_and_projection(self):
        torch.manual_seed(1)
        d = ResNetDiscriminator(channels=[8, 8, 8], downsample=[True, True, False], n_classes=5).eval()
        x, y = torch.randn(3, 3, 16, 16), torch.tensor([0, 4, 2])
        h = x
        for block in d.blocks:
            h = block(h)
        pooled = F.relu(h).sum(dim=(2, 3))
        torch.testing.assert_close(d.features(x), pooled)
        proj = (d.embed(y) * pooled).sum(1, keepdim=True)
        torch.testing.assert_close(d(x, y) - d(x), proj, rtol=1e-5, atol=1e-5)

    def test_generator_block_upsamples_nearest(self):
        g = ResNetGenerator(channels=[4, 4], bottom_width=2).eval()
        block = g.blocks[0]
        x = torch.randn(1, 4, 2, 2)
        with torch.no_grad():
            nn.init.zeros_(block.c2.weight), nn.init.zeros_(block.c2.bias)
            sc = block(x)  # residual is zero: the shortcut alone
        expected = F.conv2d(x.repeat_interleave(2, 2).repeat_interleave(2, 3),
                            block.c_sc.weight, block.c_sc.bias)
        torch.testing.assert_close(sc, expected)

    def test_glorot_init_gains(self):
        torch.manual_seed(2)
        g = ResNetGenerator(channels=[64, 64])
        w = g.blocks[0].c1.weight  # gain sqrt(2): bound = sqrt(2) * sqrt(6 / (fan_in + fan_out))
        bound = 2 ** 0.5 * (6 / (64 * 9 + 64 * 9)) ** 0.5
        assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound
        assert torch.count_nonzero(g.blocks[0].c1.bias) == 0

    def test_concat_discriminator_embeds_before_block4(self):
        d = _build_meta("sngan-concat-imagenet128").discriminator
        assert d.blocks[3].c1.in_channels == 256 + 128
        assert d.embed.weight.shape == (1000, 128)

    def test_d_uses_spectral_norm_everywhere(self):
        d = _build_meta("sngan-cifar10").discriminator
        convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
        assert convs and all(isinstance(m, SNConv2d) for m in convs)
        assert d.fc.bias is None  # CIFAR-10 head has no bias (snresnet_32.py)


class TestSNGANModel:
    @pytest.fixture
    def gan(self):
        torch.manual_seed(0)
        return SNGAN(**_shrunk_config(CATALOG["sngan-projection-digits32"]["config"], 4))

    def test_every_parameter_gets_a_gradient(self, gan):
        z = gan.sample_latents(4)
        y = torch.tensor([0, 1, 2, 9])
        out = gan.discriminator(gan(z, y), y)
        out.sum().backward()
        missing = [n for n, p in gan.named_parameters() if p.grad is None or not p.grad.abs().sum()]
        assert not missing, f"no gradient for {missing}"

    def test_sample_seeded_and_labels(self, gan):
        gan.eval()
        a = gan.sample(3, generator=torch.Generator().manual_seed(5))
        b = gan.sample(3, generator=torch.Generator().manual_seed(5))
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        same = gan.sample(2, labels=7, generator=torch.Generator().manual_seed(1))
        explicit = gan.sample(2, labels=torch.tensor([7, 7]),
                              generator=torch.Generator().manual_seed(1))
        torch.testing.assert_close(same, explicit, rtol=0, atol=0)

    def test_state_dict_round_trip_strict(self, gan):
        other = SNGAN(**_shrunk_config(CATALOG["sngan-projection-digits32"]["config"], 4))
        other.load_state_dict(gan.state_dict(), strict=True)
        gan.eval(), other.eval()
        z = gan.sample_latents(2, generator=torch.Generator().manual_seed(0))
        torch.testing.assert_close(gan(z, torch.tensor([1, 2])), other(z, torch.tensor([1, 2])))

    def test_bad_inputs_raise(self, gan):
        with pytest.raises(ValueError, match=r"\[0, 10\)"):
            gan.sample(2, labels=torch.tensor([0, 10]))
        with pytest.raises(ValueError, match="class-conditional"):
            gan.generator(gan.sample_latents(2))
        with pytest.raises(ValueError, match="z must have shape"):
            gan.generator(torch.randn(2, 7), torch.tensor([0, 1]))
        uncond = SNGAN(**_shrunk_config(CATALOG["sngan-digits32"]["config"], 4))
        with pytest.raises(ValueError, match="unconditional"):
            uncond.sample(2, labels=1)
        with pytest.raises(ValueError, match="arch"):
            SNGAN(arch="mlp", generator={}, discriminator={})
        with pytest.raises(ValueError, match="top level"):
            SNGAN(generator={"channels": [8, 8], "n_classes": 3}, discriminator={})
        with pytest.raises(ValueError, match="downsample"):
            ResNetDiscriminator(channels=[8, 8], downsample=[False, True])


class TestConditionalBatchNorm:
    def test_one_hot_mixture_equals_labels(self):
        torch.manual_seed(3)
        bn = CategoricalConditionalBatchNorm2d(6, n_classes=4)
        with torch.no_grad():
            bn.gammas.normal_(), bn.betas.normal_()
        bn.eval()
        x, y = torch.randn(3, 6, 5, 5), torch.tensor([0, 3, 1])
        ref = bn(x, y)
        torch.testing.assert_close(bn(x, F.one_hot(y, 4).float()), ref)
        pair = torch.stack([y, (y + 1) % 4], 1)
        torch.testing.assert_close(bn(x, pair, torch.tensor([[1.0, 0.0]] * 3)), ref)
        half = bn(x, pair, torch.full((3, 2), 0.5))
        torch.testing.assert_close(half, 0.5 * (bn(x, pair[:, 0]) + bn(x, pair[:, 1])))

    def test_matches_batchnorm2d_when_classes_share_parameters(self):
        torch.manual_seed(4)
        bn = CategoricalConditionalBatchNorm2d(5, n_classes=3, eps=1e-3)
        ref = nn.BatchNorm2d(5, eps=1e-3)
        with torch.no_grad():
            ref.weight.normal_(), ref.bias.normal_()
            bn.gammas.copy_(ref.weight.expand(3, 5)), bn.betas.copy_(ref.bias.expand(3, 5))
        x = torch.randn(4, 5, 3, 3)
        torch.testing.assert_close(bn(x, torch.tensor([0, 1, 2, 1])), ref(x))
        torch.testing.assert_close(bn.running_var, ref.running_var)
        bn.eval(), ref.eval()
        torch.testing.assert_close(bn(x, torch.tensor([2, 2, 0, 1])), ref(x))

    def test_bad_shapes(self):
        bn = CategoricalConditionalBatchNorm2d(2, n_classes=3)
        with pytest.raises(ValueError, match="mixture"):
            bn(torch.randn(2, 2, 1, 1), torch.rand(2, 4))
        with pytest.raises(ValueError, match="weights"):
            bn(torch.randn(2, 2, 1, 1), torch.zeros(2, 2, dtype=torch.long))

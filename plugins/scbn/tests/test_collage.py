"""The exact invariants of sCBN and feature blending (issue 17), on a small random conditional
generator with non-trivial class tables and running statistics."""

import pytest
import torch

from zoo_scbn.collage import blend_sizes, blend_weights, feature_blend, label_maps, resize_mask, scbn
from zoo_sngan.models.resnet import ResNetGenerator

K = 10


@pytest.fixture(scope="module")
def gen():
    torch.manual_seed(0)
    g = ResNetGenerator(channels=[16, 16, 8, 8], n_classes=K)
    with torch.no_grad():  # class tables that differ per class, running stats off their defaults
        for m in g.modules():
            if hasattr(m, "gammas"):
                m.gammas.normal_(1, 0.5), m.betas.normal_(0, 0.5)
                m.running_mean.normal_(0, 0.3), m.running_var.uniform_(0.5, 2)
    return g.eval()


def one_hot_maps(gen, labels):
    return [torch.nn.functional.one_hot(labels, K).float()[:, :, None, None].expand(-1, -1, s, s)
            for s in gen.layer_sizes]


def test_layer_sizes(gen):
    assert gen.layer_sizes == [4, 8, 8, 16, 16, 32]
    assert blend_sizes(gen) == [4, 8, 16, 32]


def test_one_hot_uniform_maps_equal_cbn(gen):
    z, y = torch.randn(5, 128), torch.tensor([0, 3, 9, 3, 7])
    want = gen(z, y)
    torch.testing.assert_close(scbn(gen, z, one_hot_maps(gen, y)), want, rtol=0, atol=2e-5)
    # and through the {class: mask} form: an all-ones mask at full strength turns base into target
    maps = label_maps(gen, base=torch.tensor([1, 1, 1, 1, 1]), masks={3: torch.ones(5, 32, 32)})
    torch.testing.assert_close(scbn(gen, z, maps), gen(z, torch.full((5,), 3)), rtol=0, atol=2e-5)


def test_constant_mixture_equals_cbn_class_interpolation(gen):
    z = torch.randn(4, 128)
    t = torch.tensor([0.0, 0.3, 0.7, 1.0])
    mix = torch.zeros(4, K)
    mix[:, 2], mix[:, 8] = 1 - t, t
    want = gen(z, torch.tensor([[2, 8]] * 4), torch.stack([1 - t, t], 1))  # CBN class morphing
    maps = [mix[:, :, None, None].expand(-1, -1, s, s) for s in gen.layer_sizes]
    torch.testing.assert_close(scbn(gen, z, maps), want, rtol=0, atol=1e-5)
    for i, ti in enumerate(t.tolist()):  # the mask form at strength t gives the same mixture
        m = label_maps(gen, base=2, masks={8: torch.ones(32, 32)}, strength=ti)
        torch.testing.assert_close(scbn(gen, z[i:i + 1], m), want[i:i + 1], rtol=0, atol=1e-5)


def test_all_out_blend_weights_equal_plain_generation(gen):
    z0, z1, y = torch.randn(3, 128), torch.randn(3, 128), torch.tensor([4, 4, 6])
    zero = torch.zeros(8, 8)
    blends = blend_weights(gen, zero, batch=3)  # source 1 at point 0, output stream elsewhere
    torch.testing.assert_close(feature_blend(gen, [z0, z1], blends, y=y), gen(z0, y), rtol=0, atol=2e-5)
    # all weight on the reference at point 0 (then "out") gives the reference image
    ones = blend_weights(gen, torch.ones(8, 8), strength=[1, 0, 0, 0], batch=3)
    torch.testing.assert_close(feature_blend(gen, [z0, z1], ones, y=y), gen(z1, y), rtol=0, atol=2e-5)


def test_blend_and_scbn_together(gen):
    z0, z1 = torch.randn(2, 128), torch.randn(2, 128)
    maps = label_maps(gen, base=1, masks={5: torch.ones(16, 16)}, strength=0.5, batch=2)
    plain = blend_weights(gen, torch.zeros(4, 4), batch=2)
    torch.testing.assert_close(feature_blend(gen, [z0, z1], plain, maps=maps), scbn(gen, z0, maps),
                               rtol=0, atol=2e-5)
    mask = torch.zeros(32, 32)
    mask[8:24, 8:24] = 1
    edited = feature_blend(gen, [z0, z1], blend_weights(gen, mask, strength=[0, 1, 1, 1], batch=2), maps=maps)
    assert (edited - scbn(gen, z0, maps)).abs().max() > 1e-3  # blending did something


def test_scbn_is_local(gen):
    """Changing the class map inside a mask only (at the fine layers) leaves pixels far from
    it unchanged: the 16- and 32-px layers' 3x3 convs see 2 and 1 px (x2 upsampling)."""
    z = torch.randn(2, 128)
    mask = torch.zeros(32, 32)
    mask[:, 24:] = 1
    ts = [0, 0, 0, 1, 1, 1]  # only the layers at 16 and 32 px
    plain = scbn(gen, z, label_maps(gen, base=0, batch=2))
    edited = scbn(gen, z, label_maps(gen, base=0, masks={9: mask}, strength=ts, resample="nearest", batch=2))
    delta = (edited - plain).abs()
    # receptive field of the 16 px map at the output: 16->32 upsample, two 3x3 convs at 32, ...
    assert delta[..., :16].max() < 1e-6
    assert delta[..., 24:].mean() > 1e-2


def test_bad_maps_get_clear_errors(gen):
    z = torch.randn(2, 128)
    with pytest.raises(ValueError, match="one class map per conditional BN"):
        scbn(gen, z, one_hot_maps(gen, torch.tensor([1, 2]))[:-1])
    bad = one_hot_maps(gen, torch.tensor([1, 2]))
    bad[2] = bad[2][:, :, :4, :4]
    with pytest.raises(ValueError, match=r"\(2, 10, 8, 8\)"):
        scbn(gen, z, bad)
    with pytest.raises(ValueError, match=r"Classes must lie in \[0, 10\)"):
        label_maps(gen, base=0, masks={12: torch.ones(4, 4)})
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        resize_mask(torch.full((4, 4), 2.0), 8)
    with pytest.raises(ValueError, match="one strength per layer"):
        label_maps(gen, base=0, strength=[1, 1])
    with pytest.raises(ValueError, match="eval"):
        feature_blend(gen.train(), [z], blend_weights(gen, torch.zeros(4, 4), batch=2), y=torch.tensor([0, 1]))
    gen.eval()
    with pytest.raises(ValueError, match="conditional"):
        scbn(ResNetGenerator(channels=[8, 8]), z, [])


def test_per_pixel_map_of_wrong_size_in_the_cbn_layer(gen):
    bn = gen.blocks[0].b1
    with pytest.raises(ValueError, match=r"expected \(B, 10, 4, 4\)"):
        bn(torch.randn(2, 16, 4, 4), torch.rand(2, K, 8, 8))

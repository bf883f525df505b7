"""The classifiers match the official architectures and reject bad input clearly."""

import pytest
import torch

from zoo_ssdrl.models import ConvLarge, MNISTClassifier, MoonsMLP


def _count(m):
    return sum(p.numel() for p in m.parameters())


def test_parameter_counts_match_the_official_nets():
    # MNISTClassifier(ch=64): 4x4 convs 1-64-128-256 + Linear(256, 10), with biases
    assert _count(MNISTClassifier()) == (16 * 64 + 64) + (64 * 128 * 16 + 128) + (128 * 256 * 16 + 256) + 2570
    convs = [(3, 128, 9), (128, 128, 9), (128, 128, 9), (128, 256, 9), (256, 256, 9), (256, 256, 9),
             (256, 512, 9), (512, 256, 1), (256, 128, 1)]
    conv = sum(i * o * k + o for i, o, k in convs)
    bn = sum(2 * o for _, o, _ in convs)
    assert _count(ConvLarge()) == conv + bn + 128 * 10 + 10
    assert _count(ConvLarge(bn_logits=True)) == conv + bn + 128 * 10 + 10 + 20  # SVHN: BN on the logits


def test_shapes_and_any_input_size():
    assert MNISTClassifier()(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    assert MNISTClassifier(ch=8)(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    assert ConvLarge(ch=8).eval()(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert MoonsMLP()(torch.zeros(5, 2)).shape == (5, 2)


def test_dropout_only_in_training_mode():
    m = ConvLarge(ch=8)
    x = torch.randn(4, 3, 32, 32)
    m.eval()
    assert torch.equal(m(x), m(x))
    m.train()
    torch.manual_seed(0)
    a = m(x)
    assert not torch.allclose(a, m(x))


def test_bn_is_chainer_bn():
    bn = ConvLarge(ch=8).bns[0]
    assert bn.eps == 2e-5 and bn.momentum == pytest.approx(0.1)


@pytest.mark.parametrize("bad", [torch.zeros(2, 3, 28, 28), torch.zeros(0, 1, 8, 8), torch.zeros(1, 8, 8),
                                 torch.zeros(2, 1, 8, 8, dtype=torch.uint8)])
def test_bad_images_are_refused(bad):
    with pytest.raises(ValueError, match="MNISTClassifier expects"):
        MNISTClassifier(ch=4)(bad)


def test_bad_points_and_activation_are_refused():
    with pytest.raises(ValueError, match=r"\[B, 2\]"):
        MoonsMLP()(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="activation must be one of"):
        MNISTClassifier(activation="tanh")

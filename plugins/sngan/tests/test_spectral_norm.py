"""Spectral normalization: official Chainer semantics, torch semantics, convergence to the
top singular value, and agreement with torch.nn.utils.parametrizations.spectral_norm."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as torch_spectral_norm

from zoo_sngan.layers import SNConv2d, SNEmbedding, SNLinear


def _chainer_step_numpy(w_mat, u, eps=1e-12):
    """Independent float64 transcription of the official ``max_singular_value`` (Ip=1)."""
    w = np.asarray(w_mat, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)[None, :]
    v = u @ w
    v = v / (np.sqrt((v * v).sum()) + eps)
    u2 = v @ w.T
    u2 = u2 / (np.sqrt((u2 * u2).sum()) + eps)
    sigma = float((u2 @ w @ v.T).item())
    return sigma, u2[0], v[0]


LAYERS = [
    lambda **kw: SNConv2d(6, 10, 3, padding=1, **kw),
    lambda **kw: SNConv2d(5, 7, 1, **kw),
    lambda **kw: SNLinear(13, 9, **kw),
    lambda **kw: SNEmbedding(11, 6, **kw),
]


def _input(layer, g):
    if isinstance(layer, SNConv2d):
        return torch.randn(3, layer.in_channels, 8, 8, generator=g, dtype=torch.float64)
    if isinstance(layer, SNLinear):
        return torch.randn(4, layer.in_features, generator=g, dtype=torch.float64)
    return torch.tensor([0, 3, 10, 3])


@pytest.mark.parametrize("make", LAYERS)
class TestChainerSemantics:
    def test_sigma_converges_to_top_singular_value(self, make):
        torch.manual_seed(0)
        layer = make().double()
        for _ in range(300):
            layer.normalized_weight()
        top = torch.linalg.svdvals(layer.weight_matrix().detach())
        assert torch.allclose(layer.sigma_estimate(), top[0], rtol=1e-5)
        w_sn = layer.normalized_weight().detach().reshape(layer.weight.shape[0], -1)
        assert torch.allclose(torch.linalg.svdvals(w_sn)[0], torch.tensor(1.0, dtype=torch.float64),
                              rtol=1e-5)

    def test_training_forward_is_one_official_step_and_stores_u(self, make):
        torch.manual_seed(1)
        g = torch.Generator().manual_seed(1)
        layer = make().double().train()
        u0 = layer.u.clone()
        assert not torch.allclose(u0.norm(), torch.tensor(1.0, dtype=torch.float64))  # N(0,1) raw
        sigma, u1, _ = _chainer_step_numpy(layer.weight_matrix().detach().numpy(), u0.numpy())
        x = _input(layer, g)
        out = layer(x)
        ref_layer = _plain_copy(layer)
        with torch.no_grad():
            ref_layer.weight.div_(sigma)
        torch.testing.assert_close(out, ref_layer(x), rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(layer.u, torch.from_numpy(u1), rtol=1e-10, atol=1e-12)

    def test_eval_uses_stored_u_without_update(self, make):
        torch.manual_seed(2)
        g = torch.Generator().manual_seed(2)
        layer = make().double()
        layer.normalized_weight()  # one training step
        layer.eval()
        u_before = layer.u.clone()
        x = _input(layer, g)
        out1, out2 = layer(x), layer(x)
        assert torch.equal(layer.u, u_before)
        torch.testing.assert_close(out1, out2, rtol=0, atol=0)
        sigma, _, _ = _chainer_step_numpy(layer.weight_matrix().detach().numpy(), u_before.numpy())
        ref_layer = _plain_copy(layer)
        with torch.no_grad():
            ref_layer.weight.div_(sigma)
        torch.testing.assert_close(out1, ref_layer(x), rtol=1e-10, atol=1e-12)

    def test_gradient_flows_through_sigma(self, make):
        torch.manual_seed(3)
        layer = make().double()
        u0 = layer.u.clone()
        w_sn = layer.normalized_weight()
        gout = torch.randn_like(w_sn)
        (w_sn * gout).sum().backward()
        sigma, u1, v1 = _chainer_step_numpy(layer.weight_matrix().detach().numpy(), u0.numpy())
        g_mat = gout.reshape(gout.shape[0], -1).numpy()
        w_sn_mat = w_sn.detach().reshape(gout.shape[0], -1).numpy()
        expected = (g_mat - (g_mat * w_sn_mat).sum() * np.outer(u1, v1)) / sigma  # Eq. 12
        got = layer.weight.grad.reshape(gout.shape[0], -1).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
        # the sigma term is not negligible: a detached sigma gives a different gradient
        assert not np.allclose(got, g_mat / sigma, rtol=1e-3, atol=1e-6)


def _plain_copy(layer):
    """The same layer type without spectral norm, same weights (float64)."""
    if isinstance(layer, SNConv2d):
        plain = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                          layer.stride, layer.padding, bias=layer.bias is not None)
    elif isinstance(layer, SNLinear):
        plain = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
    else:
        plain = nn.Embedding(layer.num_embeddings, layer.embedding_dim)
    plain = plain.double()
    plain.load_state_dict({k: v for k, v in layer.state_dict().items() if k not in ("u", "v")})
    return plain


def _torch_reference(layer):
    """torch.nn.utils.parametrizations.spectral_norm on a plain copy of ``layer``."""
    plain = _plain_copy(layer)
    ref = torch_spectral_norm(plain)
    with torch.no_grad():
        ref.parametrizations.weight.original.copy_(layer.weight)
    return ref


@pytest.mark.parametrize("make", LAYERS)
class TestAgainstTorchParametrization:
    def test_torch_semantics_matches_torch_outputs_grads_and_state(self, make):
        torch.manual_seed(4)
        g = torch.Generator().manual_seed(4)
        ours = make(semantics="torch").double()
        ref = _torch_reference(ours)
        sn = ref.parametrizations.weight[0]
        with torch.no_grad():
            sn._u.copy_(ours.u)
            sn._v.copy_(ours.v)
        for step in range(3):
            x = _input(ours, g)
            for m in (ours, ref):
                m.zero_grad()
            a, b = ours(x), ref(x)
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
            gout = torch.randn_like(a)
            (a * gout).sum().backward()
            (b * gout).sum().backward()
            torch.testing.assert_close(ours.weight.grad, ref.parametrizations.weight.original.grad,
                                       rtol=1e-10, atol=1e-12)
            torch.testing.assert_close(ours.u, sn._u, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(ours.v, sn._v, rtol=1e-12, atol=1e-12)
        ours.eval(), ref.eval()
        x = _input(ours, g)
        torch.testing.assert_close(ours(x), ref(x), rtol=1e-12, atol=1e-12)

    def test_chainer_training_step_equals_torch_eval_with_the_step_vectors(self, make):
        """A Chainer step from u gives (u', v); torch in eval with (u', v) computes the same
        sigma = u' W v: same outputs and gradients."""
        torch.manual_seed(5)
        g = torch.Generator().manual_seed(5)
        ours = make().double().train()
        ref = _torch_reference(ours).eval()
        _, u1, v1 = _chainer_step_numpy(ours.weight_matrix().detach().numpy(), ours.u.numpy())
        sn = ref.parametrizations.weight[0]
        with torch.no_grad():
            sn._u.copy_(torch.from_numpy(u1))
            sn._v.copy_(torch.from_numpy(v1))
        x = _input(ours, g)
        a, b = ours(x), ref(x)
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
        gout = torch.randn_like(a)
        (a * gout).sum().backward()
        (b * gout).sum().backward()
        torch.testing.assert_close(ours.weight.grad, ref.parametrizations.weight.original.grad,
                                   rtol=1e-9, atol=1e-12)


class TestStateAndErrors:
    def test_state_dict_keys(self):
        assert set(SNConv2d(3, 4, 3).state_dict()) == {"weight", "bias", "u"}
        assert set(SNLinear(3, 4, bias=False, semantics="torch").state_dict()) == {"weight", "u", "v"}
        assert SNEmbedding(10, 4).u.shape == (10,)
        assert SNConv2d(3, 4, 3, semantics="torch").v.shape == (27,)

    def test_float32_sigma_close_to_svd(self):
        torch.manual_seed(6)
        conv = SNConv2d(64, 128, 3)
        for _ in range(100):
            conv.normalized_weight()
        top = torch.linalg.svdvals(conv.weight_matrix().detach())[0]
        assert abs(float(conv.sigma_estimate()) - float(top)) < 1e-4 * float(top)

    def test_meta_device_build(self):
        with torch.device("meta"):
            conv = SNConv2d(3, 4, 3)
        assert conv.u.is_meta

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="semantics"):
            SNConv2d(3, 4, 3, semantics="tf")
        with pytest.raises(ValueError, match="n_power_iterations"):
            SNLinear(3, 4, n_power_iterations=0)

    def test_more_power_iterations_converge_faster(self):
        torch.manual_seed(7)
        w = torch.randn(40, 60, dtype=torch.float64)
        top = torch.linalg.svdvals(w)[0]
        errs = []
        for n in (1, 5):
            lin = SNLinear(60, 40, n_power_iterations=n).double()
            with torch.no_grad():
                lin.weight.copy_(w)
                lin.u.copy_(torch.randn(40, generator=torch.Generator().manual_seed(0)))
            lin.normalized_weight()
            errs.append(abs(float(lin.sigma_estimate() - top)))
        assert errs[1] < errs[0]


def test_semantics_none_is_the_plain_layer():
    """The ablation switch: same parameters and state-dict keys, no normalization."""
    import torch.nn.functional as F

    from zoo_sngan.models import ResNetDiscriminator

    torch.manual_seed(0)
    conv = SNConv2d(3, 4, 3, padding=1, semantics="none")
    x = torch.randn(2, 3, 5, 5)
    assert torch.equal(conv(x), F.conv2d(x, conv.weight, conv.bias, padding=1))
    kw = dict(channels=[8, 8], downsample=[True, False], n_classes=3)
    on, off = ResNetDiscriminator(**kw), ResNetDiscriminator(**kw, sn_semantics="none")
    assert on.state_dict().keys() == off.state_dict().keys()
    with pytest.raises(ValueError, match="Unknown spectral-norm semantics"):
        SNLinear(3, 4, semantics="off")

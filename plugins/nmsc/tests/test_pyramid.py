"""The pyramid helpers are exact inverses, the quantisers do what section 3.1 says."""

import math

import pytest
import torch

from zoo_nmsc import pyramid
from zoo_nmsc.quantize import quantize_latent, quantize_output, snake


def test_pack_unpack_inverse():
    c_list = (2, 3, 0, 5)
    zs = [torch.randn(2, c, 64 // n, 96 // n) for c, n in zip(c_list, pyramid.STRIDES)]
    y = pyramid.pack(zs)
    assert y.shape == (2, 2 * 64 + 3 * 16 + 5, 2, 3)
    assert all(torch.equal(a, b) for a, b in zip(pyramid.unpack(y, c_list), zs))


@pytest.mark.parametrize("h,w", [(1, 1), (2, 3), (5, 4), (7, 9)])
def test_split_merge_inverse_odd_sizes(h, w):
    m = torch.randn(1, 3, h, w)
    parts = pyramid.split(m)
    for p, t in parts.items():
        assert t.shape[-2:] == pyramid.part_shape(h, w, p)
    assert torch.equal(pyramid.merge(parts, h, w), m)


def test_resample_subsamples_and_repeats():
    z = torch.arange(16.0).view(1, 1, 4, 4)
    assert torch.equal(pyramid.resample(z, 8, 16), z[..., ::2, ::2])
    up = pyramid.resample(z, 16, 8)
    assert up.shape[-2:] == (8, 8) and torch.equal(up[..., ::2, ::2], z) and torch.equal(up[..., 1::2, 1::2], z)


def test_latent_quantizer_range_and_ste_gradient():
    z = torch.linspace(-3, 6, 1001, requires_grad=True)
    q = quantize_latent(z, 7)
    assert set(q.detach().unique().tolist()) == set(range(7))
    assert torch.all(q[z <= 0] == 0) and torch.all(q[z >= 4] == 6)
    q.sum().backward()
    t = (z.detach() / 4) * 6
    inside = (z.detach() > 0) & (z.detach() < 4)
    slope = (1 - 0.5 * torch.cos(2 * math.pi * t)) * 6 / 4  # snake'(t) * dt/dz
    assert torch.allclose(z.grad[inside], slope[inside], atol=1e-5)
    assert torch.all(z.grad[~inside] == 0)  # the clip passes no gradient outside [0, 4]
    assert torch.all((slope[inside] >= 0.5 * 1.5 - 1e-6) & (slope[inside] <= 1.5 * 1.5 + 1e-6))


def test_output_quantizer_is_8bit():
    y = quantize_output(torch.randn(1000) * 5)
    assert torch.equal(y * 255, (y * 255).round()) and y.min() >= 0 and y.max() <= 1
    assert torch.allclose(snake(torch.arange(5.0)), torch.arange(5.0), atol=1e-6)  # fixed points at integers

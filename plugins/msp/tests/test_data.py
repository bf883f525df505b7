"""Sequential digits: official transformation laws, determinism, splits."""

import colorsys
import math

import pytest
import torch

from zoo_msp.data import (SequentialDigits, accelerated_sequential_digits, digit_images, hsv_to_rgb,
                          perspective_matrix, warp)


def test_splits_are_disjoint_and_sized():
    train, test = digit_images("train"), digit_images("test")
    assert len(train[1]) == 1437 and len(test[1]) == 360
    assert train[0].shape[1:] == (32, 32)
    assert torch.all(train[0][:, :4] == 0) and torch.all(train[0][:, :, -4:] == 0)  # 4-pixel border
    fours = digit_images("test", only_digit=4)[1]
    assert len(fours) > 0 and torch.all(fours == 4)
    with pytest.raises(ValueError, match="split"):
        digit_images("val")


def test_perspective_matrix_matches_the_official_formula():
    # get_RTmat(0, 0, g, 32, 32, dx, dy) reduces to x' = f/(1+f) (R(g) (x - c) + d) + c,
    # f = 16 sqrt(2) / sin(g) (or 32 sqrt(2) when sin(g) == 0).
    g, dx, dy = torch.tensor([0.0, 0.7, -2.0]), torch.tensor([0.0, 2.0, -3.0]), torch.tensor([0.0, 1.0, 5.0])
    M = perspective_matrix(g, dx, dy)
    for i in range(3):
        s, c = math.sin(g[i]), math.cos(g[i])
        f = 32 * math.sqrt(2) / (2 * s if s != 0 else 1)
        x, y = 3.0, 20.0
        u = M[i] @ torch.tensor([x, y, 1.0], dtype=torch.float64)
        ex = f / (1 + f) * (c * (x - 16) - s * (y - 16) + float(dx[i])) + 16
        ey = f / (1 + f) * (s * (x - 16) + c * (y - 16) + float(dy[i])) + 16
        assert torch.allclose(u[:2] / u[2], torch.tensor([ex, ey], dtype=torch.float64))


def test_warp_identity_and_shift():
    img = torch.rand(1, 32, 32)
    eye = torch.eye(3, dtype=torch.float64)[None]
    assert torch.allclose(warp(img, eye), img, atol=1e-5)
    shift = eye.clone()
    shift[0, 0, 2] = 3.0  # destination x = source x + 3
    out = warp(img, shift)
    assert torch.allclose(out[0, :, 3:], img[0, :, :-3], atol=1e-5)
    assert torch.all(out[0, :, :3] == 0)


def test_hsv_matches_colorsys():
    h = torch.linspace(0, 0.999, 97, dtype=torch.float64)
    ref = torch.tensor([colorsys.hsv_to_rgb(float(x), 1, 1) for x in h], dtype=torch.float64)
    assert torch.allclose(hsv_to_rgb(h), ref)


def test_sequences_deterministic_and_in_range():
    ds = SequentialDigits(split="test", T=4, seed=3)
    a, b = ds[5], SequentialDigits(split="test", T=4, seed=3)[5]
    assert a.shape == (4, 3, 32, 32) and torch.equal(a, b)
    assert not torch.equal(a, SequentialDigits(split="test", T=4, seed=4)[5])
    x = ds.sample(6, generator=torch.Generator().manual_seed(0))
    assert x.shape == (6, 4, 3, 32, 32) and x.min() >= 0 and x.max() <= 1
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_laws_velocity_ranges_and_shared_transition():
    ds = SequentialDigits(T=3, max_T=9)
    g = torch.Generator().manual_seed(0)
    p = ds.draw_params(500, generator=g)
    assert p.angle_v.abs().max() <= 0.5 * math.pi and p.angle_v.abs().max() > 0.45 * math.pi
    assert p.color_v.abs().max() <= 0.25 and torch.all(p.angle_a == 0)
    assert p.pos_v.abs().max() <= 20 / 8
    s = ds.draw_params(5, generator=g, shared_transition=True)
    assert torch.all(s.angle_v == s.angle_v[0]) and torch.all(s.pos_v == s.pos_v[0])
    assert len(set(s.angle0.tolist())) == 5


def test_constant_hue_without_colour_action():
    ds = SequentialDigits(T=3, active_actions=(0, 2))
    x = ds.sample(2, generator=torch.Generator().manual_seed(1))
    rgb = x.sum(dim=(3, 4))  # (n, T, 3): colour direction must not change over time
    rgb = rgb / rgb.norm(dim=-1, keepdim=True)
    assert torch.allclose(rgb[:, 0], rgb[:, 2], atol=1e-4)


def test_accelerated_variant():
    ds = accelerated_sequential_digits(split="test")
    p = ds.draw_params(200, generator=torch.Generator().manual_seed(0))
    assert ds.T == 10 and torch.all(p.pos_v == 0) and torch.all(p.pos0 == 0)
    assert p.angle_a.abs().max() <= 0.025 * math.pi and p.angle_a.abs().max() > 0
    assert ds.sample(2).shape == (2, 10, 3, 32, 32)

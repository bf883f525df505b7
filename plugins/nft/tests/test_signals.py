"""The 1-D signals follow the official generators' laws draw for draw."""

import math

import numpy as np
import pytest
import torch

from zoo_nft.signals import (COMPRESSION_FREQUENCIES, CompressionSignals, TimeWarpedSignals,
                             official_frequencies, warped_frames)


def test_official_frequency_draw():
    assert official_frequencies(1) == [37, 43, 12, 8, 63, 9, 11]
    d = TimeWarpedSignals(n_data=40)
    assert d.strong == [37, 43, 12, 8, 63] and d.weak == [9, 11]


def test_draw_order_matches_the_official_global_numpy_calls():
    """np.random.seed(freqseed); randint; (seed(test)); randn per sample; uniform per block."""
    n, block = 45, 20
    np.random.seed(2)
    freqs = np.random.randint(0, 64, 7)
    np.random.seed(1)  # test = 1
    coefs = []
    for _ in range(n):
        c = np.random.randn(7)
        c = c / np.linalg.norm(c)
        c[-2:] *= 0.1
        coefs.append(c)
    shifts = [np.random.uniform(0, math.pi, size=1)[0] for i in range(n) if i % block == 0]
    d = TimeWarpedSignals(n_data=n, freqseed=2, test=1, T=4)
    assert list(d.freqs) == list(freqs)
    assert np.allclose(d.coefs, np.array(coefs))
    assert np.allclose(d.shifts, np.repeat(shifts, block)[:n])
    xs, g = d[21]
    assert xs.shape == (4, 128) and xs.dtype == torch.float32 and float(g) == pytest.approx(shifts[1])


def test_the_shift_acts_on_the_warped_latent_time():
    d = TimeWarpedSignals(n_data=3, T=3)
    xs, g = d[0]
    t = np.arange(128) / 128
    lat = (t ** 3 - 2 * float(g) / (2 * math.pi)) % 1.0
    expected = np.sin(2 * np.pi * np.outer(lat, d.freqs)) @ d.coefs[0]
    assert np.allclose(xs[2].numpy(), expected, atol=1e-5)
    assert not np.allclose(xs[1].numpy(), np.roll(xs[0].numpy(), 1), atol=1e-2)  # not a plain roll


def test_compression_data_law_and_fresh_reproducible_noise():
    np.random.seed(1234)
    coef = np.random.randn(32, 5)
    coef = coef / np.linalg.norm(coef, axis=1, keepdims=True)
    shift0 = np.random.uniform(0, math.pi, size=1)[0]
    d = CompressionSignals(n_data=32, T=5, seed=1234)
    assert np.allclose(d.coefs, coef) and d.shifts[15] == pytest.approx(shift0)
    assert list(d.freqs) == list(COMPRESSION_FREQUENCIES[:5]) == [3, 5, 11, 4, 7]
    assert np.allclose(d[3][0].numpy(), warped_frames(d.freqs, coef[3], d.shifts[3], 5), atol=1e-6)
    noisy = CompressionSignals(n_data=32, T=5, seed=1234, noise=0.1, length=64)
    a, b, again = noisy[3][0], noisy[35][0], noisy[3][0]
    assert torch.equal(a, again)                           # reproducible
    assert not torch.equal(a, b)                           # the same signal, fresh noise next epoch
    assert (a - d[3][0]).std() == pytest.approx(0.1, rel=0.2)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n_data"):
        TimeWarpedSignals(n_data=0)
    with pytest.raises(ValueError, match="noise"):
        CompressionSignals(noise=-1.0)
    with pytest.raises(ValueError, match="n_freq"):
        CompressionSignals(n_freq=13)
    with pytest.raises(IndexError):
        CompressionSignals(n_data=4)[4]

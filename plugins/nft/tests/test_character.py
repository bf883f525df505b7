"""Character analysis and block frequencies on matrices of known structure; the DFT baseline."""

import math

import pytest
import torch

from zoo_nft.character import (block_frequencies, character_spectrum, ground_truth_bumps,
                               top_frequencies)
from zoo_nft.dft import band_limited_dft, dft_sse
from zoo_nft.gnft import pair_blocks


def _representation(freqs, gs, conjugate=True, seed=0):
    """M_i = P (+)_k R_{nu_k}(g_i) P^-1 (a random change of basis keeps the characters)."""
    m = torch.stack([torch.cos(gs[:, None] * torch.tensor(freqs)), torch.sin(gs[:, None] * torch.tensor(freqs))], -1)
    M = pair_blocks(m.double())
    if conjugate:
        P = torch.randn(M.shape[-1], M.shape[-1], generator=torch.Generator().manual_seed(seed), dtype=M.dtype)
        M = P @ M @ torch.linalg.inv(P)
    return M


def test_spectrum_peaks_at_the_carried_frequencies():
    gs = torch.rand(4000, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * math.pi
    M = _representation([37, 43, 12, 8, 63], gs)
    freqs, c = character_spectrum(M, gs, max_freq=64)
    assert freqs.shape == (65,) and torch.equal(freqs, torch.arange(65, dtype=torch.float64))
    assert sorted(top_frequencies(freqs, c, 5)) == [8, 12, 37, 43, 63]
    for f in (8, 12, 37, 43, 63):
        assert c[f] == pytest.approx(2.0, abs=0.15)
    others = [f for f in range(1, 65) if f not in (8, 12, 37, 43, 63)]
    assert c[others].abs().max() < 0.3


def test_top_frequencies_skip_zero_and_bumps_mark_the_truth():
    freqs = torch.arange(5, dtype=torch.float64)
    assert top_frequencies(freqs, torch.tensor([9.0, 1, 3, 2, 0]), 2) == [2, 3]
    assert top_frequencies(freqs, torch.tensor([9.0, 1, 3, 2, 0]), 2, exclude_zero=False) == [0, 2]
    assert ground_truth_bumps(freqs, [2])[2] == pytest.approx(2.0) and ground_truth_bumps(freqs, [2])[0] < 1e-6


def test_block_frequencies_of_permuted_blocks():
    gs = torch.rand(500, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * math.pi
    M = _representation([5, 9], gs, conjugate=False)
    perm = torch.tensor([2, 0, 3, 1])
    M = M[:, perm[:, None], perm]
    from zoo_msp.sbd import find_blocks

    blocks = find_blocks(M)
    assert blocks == [[0, 2], [1, 3]]
    assert block_frequencies(M, gs, blocks) == [9, 5]


def test_spectrum_bad_inputs():
    with pytest.raises(ValueError, match="one shift per matrix"):
        character_spectrum(torch.eye(2).expand(3, 2, 2), torch.zeros(2))
    with pytest.raises(ValueError, match="square"):
        character_spectrum(torch.zeros(3, 2, 3), torch.zeros(3))


def test_dft_is_exact_below_the_band_and_lossy_on_warped_signals():
    t = torch.arange(128, dtype=torch.float64) / 128
    x = torch.sin(2 * math.pi * 3 * t) + 0.5 * torch.cos(2 * math.pi * 15 * t)
    assert torch.allclose(band_limited_dft(x, 16), x, atol=1e-10)
    warped = torch.sin(2 * math.pi * 11 * t ** 3)
    assert dft_sse(warped, 16) > 1.0 and dft_sse(warped, 64) < dft_sse(warped, 16)
    with pytest.raises(ValueError, match="n_freq"):
        band_limited_dft(x, 0)

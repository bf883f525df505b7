"""The DFT baseline of NFT's compression experiment (official ``band_limited_dft``).

A signal ``x`` of ``N`` points is compressed to its first ``n_freq`` complex DFT coefficients
(``n_freq = 16``: 32 real numbers, the latent size of the compression g-NFT with
``dim_a = 32, dim_m = 1``) and reconstructed as ``2 Re(ifft(kept))`` (official test script
``neurips_DFT_run_test_ns.py``; the factor 2 restores the negative frequencies of a real
signal and, as officially, doubles the mean). The metric is the SSE over the ``N`` points.
"""

from __future__ import annotations

import torch

__all__ = ["band_limited_dft", "dft_sse"]


def band_limited_dft(x: torch.Tensor, n_freq: int = 16) -> torch.Tensor:
    """``2 Re(ifft(fft(x) * [k < n_freq]))`` along the last axis (any leading shape)."""
    if not 1 <= n_freq <= x.shape[-1]:
        raise ValueError(f"n_freq must lie in [1, {x.shape[-1]}], got {n_freq}")
    X = torch.fft.fft(x.to(torch.float64), dim=-1)
    X[..., n_freq:] = 0
    return 2.0 * torch.fft.ifft(X, dim=-1).real


def dft_sse(x: torch.Tensor, n_freq: int = 16) -> torch.Tensor:
    """Per-signal SSE of the band-limited reconstruction: ``sum (x - 2 Re ifft(...))^2``."""
    return ((x.to(torch.float64) - band_limited_dft(x, n_freq)) ** 2).sum(-1)

"""Character analysis: which frequencies (irreducible representations) a learned latent carries.

NFT (arXiv:2305.18484), the 1-D experiment's analysis (official
``oned_experiments/utils/character_analysis.inner_prod``): given learned transitions ``M_i``
of sequences with known shifts ``g_i``, the inner product of characters

    c(f) = mean_i tr(M_i) tr(R_f(g_i)),      R_f(theta) = 2x2 rotation by f theta, tr = 2 cos(f theta)

estimates, for a representation ``M = (+)_k R_{nu_k}``, ``sum_k <chi_{nu_k}, chi_f>``: with
shifts uniform on ``[0, pi)`` and integer frequencies it is about ``2`` at each carried
frequency ``f = nu_k != 0`` (the real 2-D block counts ``e^{i nu}`` and its conjugate), and
about ``0`` elsewhere. The ground truth is drawn as Gaussian bumps ``2 exp(-(f - nu)^2 / 0.2)``
(official ``deltafxn`` times 2).

The block structure itself is found with zoo-msp's public simultaneous block diagonalisation
(``zoo_msp.sbd``); ``block_frequencies`` reads each block's frequency off its eigenvalues.

    freqs, c = character_spectrum(Ms, gs, max_freq=64)
    top = top_frequencies(freqs, c, k=5)
"""

from __future__ import annotations

import torch

__all__ = ["character_spectrum", "ground_truth_bumps", "top_frequencies", "block_frequencies"]


def character_spectrum(Ms: torch.Tensor, gs: torch.Tensor, *, max_freq: float = 64,
                       n_bins: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(freqs, c)``: ``c(f) = mean_i tr(M_i) 2 cos(f g_i)`` on ``linspace(0, max_freq, n_bins)``.

    Args:
        Ms: ``(n, a, a)`` transitions; gs: ``(n,)`` their shifts (radians).
        max_freq, n_bins: the frequency grid (default ``n_bins = max_freq + 1``: the integers,
            as the official ``inner_prod(maxfreq=64, bins=65)``).
    """
    if Ms.dim() != 3 or Ms.shape[-1] != Ms.shape[-2]:
        raise ValueError(f"Ms must be (n, a, a) square matrices; got {tuple(Ms.shape)}")
    gs = torch.as_tensor(gs).reshape(-1)
    if gs.shape[0] != Ms.shape[0] or Ms.shape[0] == 0:
        raise ValueError(f"need one shift per matrix and at least one matrix; got {Ms.shape[0]} "
                         f"matrices and {gs.shape[0]} shifts")
    n_bins = int(max_freq) + 1 if n_bins is None else n_bins
    freqs = torch.linspace(0, max_freq, n_bins, dtype=torch.float64)
    tr = torch.diagonal(Ms.detach().to(torch.float64), dim1=-2, dim2=-1).sum(-1)
    chi = 2 * torch.cos(freqs[:, None] * gs.to(torch.float64)[None, :])
    return freqs, (chi * tr[None, :]).mean(-1)


def ground_truth_bumps(freqs: torch.Tensor, true_freqs, *, width: float = 0.2) -> torch.Tensor:
    """``2 sum_k exp(-(f - nu_k)^2 / width)`` (the official figure's ground truth)."""
    nu = torch.as_tensor(list(true_freqs), dtype=torch.float64)
    return 2 * torch.exp(-(freqs.to(torch.float64)[:, None] - nu[None, :]) ** 2 / width).sum(-1)


def top_frequencies(freqs: torch.Tensor, c: torch.Tensor, k: int, *, exclude_zero: bool = True
                    ) -> list[int]:
    """The ``k`` grid frequencies with the largest ``c(f)`` (rounded to integers), largest first.

    Frequency 0 is left out by default: every trivial (identity) coordinate adds to ``c(0)``.
    """
    order = torch.argsort(c, descending=True)
    out = []
    for i in order.tolist():
        f = int(round(float(freqs[i])))
        if (exclude_zero and f == 0) or f in out:
            continue
        out.append(f)
        if len(out) == k:
            break
    return out


def block_frequencies(Ms: torch.Tensor, gs: torch.Tensor, blocks: list[list[int]], *,
                      max_freq: int = 64) -> list[int]:
    """Per block of a (block-diagonalised) ``Ms``: the integer frequency ``f`` whose character
    best matches the block's, ``argmax_f mean_i tr(M_i[b, b]) 2 cos(f g_i)`` (0 for 1-D blocks
    with trivial action)."""
    out = []
    for b in blocks:
        idx = torch.tensor(b)
        sub = Ms[:, idx[:, None], idx]
        freqs, c = character_spectrum(sub, gs, max_freq=max_freq)
        out.append(int(round(float(freqs[torch.argmax(c)]))))
    return out

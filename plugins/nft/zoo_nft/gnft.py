"""Transitions of G-NFT (group known, g unknown) and g-NFT (g known) for the shift group SO(2).

The latent ``H`` (``(N, ..., dim_a)``, rows ``dim_m``) is acted on from the right,
``H_{t+1} = H_t M`` (as in MSP and the official NFT code). ``dim_a = 2K``: ``K`` coordinate
pairs, pair ``k`` read as the complex number ``h_k = H[..., 2k] + i H[..., 2k+1]``.

* ``abelian_transition`` (G-NFT for abelian groups, official ``AbelMSP``): each pair's
  transition is one complex scalar fitted in closed form by complex least squares over all
  rows and time pairs, ``m_k = sum H1_k conj(H0_k) / sum |H0_k|^2`` (optionally normalised to
  ``|m_k| = 1``), so that ``H1_k ~= m_k H0_k``. As a real matrix acting from the right, the
  pair ``(a, b) -> (a, b) B`` realises multiplication by ``m = r + i s`` with
  ``B = [[r, s], [-s, r]]`` (``convention="right"``, the default here). The official code
  builds ``[[r, -s], [s, r]]`` (``convention="official"``), which multiplies by ``conj(m)``:
  on data rotating by ``+theta`` it predicts a rotation by ``-theta`` (see
  ``tests/test_gnft.py``; the research notes measured error 282 vs 6e-13). Training still
  works with either (the encoder can learn the mirrored latent), which is why the option exists.
* ``so2_representation`` (g-NFT, official ``Mg_rot2D``): ``M(theta) = diag(R(0 theta),
  R(1 theta), ..., R((K-1) theta))`` with ``R(a) = [[cos a, -sin a], [sin a, cos a]]``;
  frequency 0 is the 2x2 identity (the official compression model has frequencies 0..15 for
  ``dim_a = 32``).
"""

from __future__ import annotations

import torch

__all__ = ["abelian_transition", "complex_least_squares", "pair_blocks", "so2_representation",
           "CONVENTIONS"]

CONVENTIONS = ("right", "official")


def _pairs(H: torch.Tensor) -> torch.Tensor:
    """``(N, ..., 2K) -> (N, R, K, 2)``: rows stacked, coordinates in pairs."""
    if H.dim() < 2 or H.shape[-1] % 2:
        raise ValueError(f"abelian transitions need latents (N, ..., dim_a) with an even dim_a; "
                         f"got {tuple(H.shape)}")
    return H.reshape(H.shape[0], -1, H.shape[-1] // 2, 2)


def _block_diagonal(blocks: torch.Tensor) -> torch.Tensor:
    """``(N, K, 2, 2)`` blocks -> ``(N, 2K, 2K)`` block-diagonal matrices (differentiable)."""
    N, K = blocks.shape[:2]
    eye = torch.eye(K, dtype=blocks.dtype, device=blocks.device)
    return torch.einsum("nkij,kl->nkilj", blocks, eye).reshape(N, 2 * K, 2 * K)


def complex_least_squares(H0: torch.Tensor, H1: torch.Tensor, *, normalize: bool = False
                          ) -> torch.Tensor:
    """``(N, K, 2)``: real and imaginary part of ``m_k = sum H1_k conj(H0_k) / sum |H0_k|^2``.

    ``H0, H1``: ``(N, ..., 2K)`` latents before and after one step (all middle axes are rows).
    A zero ``|H0_k|^2`` term is replaced by ``1e-12`` as officially (no division by zero).
    """
    if H0.shape != H1.shape:
        raise ValueError(f"H0 and H1 must have the same shape; got {tuple(H0.shape)} and {tuple(H1.shape)}")
    x, y = _pairs(H1), _pairs(H0)
    sq = (y ** 2).sum(-1)
    sq = sq + 1e-12 * (sq == 0)
    denom = sq.sum(-2)
    real = (x[..., 0] * y[..., 0] + x[..., 1] * y[..., 1]).sum(-2)
    imag = (x[..., 1] * y[..., 0] - x[..., 0] * y[..., 1]).sum(-2)
    m = torch.stack([real / denom, imag / denom], -1)
    return torch.nn.functional.normalize(m, dim=-1) if normalize else m


def pair_blocks(m: torch.Tensor, *, convention: str = "right") -> torch.Tensor:
    """Block-diagonal ``(N, 2K, 2K)`` real matrices from complex scalars ``m`` (``(N, K, 2)``).

    ``convention="right"``: blocks ``[[r, s], [-s, r]]`` so that ``H @ M`` multiplies each pair
    by ``m``; ``"official"``: ``[[r, -s], [s, r]]`` (multiplies by ``conj(m)``).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    r, s = m[..., 0], m[..., 1]
    if convention == "official":
        s = -s
    return _block_diagonal(torch.stack([torch.stack([r, s], -1), torch.stack([-s, r], -1)], -2))


def abelian_transition(H0: torch.Tensor, H1: torch.Tensor, *, convention: str = "right",
                       normalize: bool = False) -> torch.Tensor:
    """G-NFT transition for an abelian group: ``(N, dim_a, dim_a)``, block diagonal in 2x2 pairs.

    Example::

        >>> import torch, math
        >>> H0 = torch.randn(1, 5, 4); th = 0.3
        >>> z = torch.view_as_complex(H0.reshape(1, 5, 2, 2)) * torch.exp(1j * torch.tensor([th, 2 * th]))
        >>> H1 = torch.view_as_real(z).reshape(1, 5, 4)
        >>> M = abelian_transition(H0, H1)
        >>> bool(torch.allclose(H0 @ M, H1, atol=1e-5))
        True
    """
    return pair_blocks(complex_least_squares(H0, H1, normalize=normalize), convention=convention)


def so2_representation(theta: torch.Tensor, dim_a: int) -> torch.Tensor:
    """Official ``Mg_rot2D``: ``(N, dim_a, dim_a)`` block-diagonal rotations by ``k theta``.

    ``theta``: ``(N,)`` or ``(N, 1)`` angles (radians). Block ``k = 0 .. dim_a // 2 - 1`` is
    ``[[cos k theta, -sin k theta], [sin k theta, cos k theta]]`` (``k = 0``: identity); an odd
    ``dim_a`` leaves its last coordinate zero, as officially (the mask covers pairs only).
    """
    theta = torch.as_tensor(theta)
    if theta.dim() == 2 and theta.shape[1] == 1:
        theta = theta[:, 0]
    if theta.dim() != 1:
        raise ValueError(f"theta must be (N,) or (N, 1) angles; got {tuple(theta.shape)}")
    K = dim_a // 2
    th = theta.to(torch.float32)[:, None] * torch.arange(K, device=theta.device)
    c, s = torch.cos(th), torch.sin(th)
    M = _block_diagonal(torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2))
    if dim_a % 2:
        M = torch.nn.functional.pad(M, (0, 1, 0, 1))
    return M

"""G-NFT's abelian transition (sign convention) and g-NFT's fixed SO(2) representation."""

import math

import pytest
import torch

from zoo_nft.gnft import abelian_transition, complex_least_squares, pair_blocks, so2_representation


def _rotating(N=3, R=7, freqs=(1, 2, 5), seed=0):
    """Latents whose k-th coordinate pair, read as a complex number, rotates by +freqs[k] theta."""
    g = torch.Generator().manual_seed(seed)
    H0 = torch.randn(N, R, 2 * len(freqs), generator=g, dtype=torch.float64)
    theta = torch.rand(N, generator=g, dtype=torch.float64) * math.pi
    z = torch.view_as_complex(H0.reshape(N, R, len(freqs), 2).contiguous())
    rot = torch.exp(1j * theta[:, None, None] * torch.tensor(freqs, dtype=torch.float64))
    H1 = torch.view_as_real(z * rot).reshape(N, R, -1)
    return H0, H1, theta


def test_corrected_convention_is_exact_on_rotation_data():
    H0, H1, _ = _rotating()
    M = abelian_transition(H0, H1)
    assert (H0 @ M - H1).abs().max() < 1e-10


def test_official_convention_rotates_the_wrong_way():
    """The official blocks [[r, -s], [s, r]] under right multiplication predict the inverse
    rotation: large error against the data, exact against the data rotated backwards."""
    H0, H1, _ = _rotating()
    M = abelian_transition(H0, H1, convention="official")
    assert (H0 @ M - H1).abs().max() > 0.5
    M_right = abelian_transition(H0, H1)
    backwards = H0 @ torch.linalg.inv(M_right)
    assert (H0 @ M - backwards).abs().max() < 1e-10


def test_fit_over_rows_and_time_pairs_and_normalisation():
    H0, H1, _ = _rotating(R=5)
    scale = 1.7
    m = complex_least_squares(H0.reshape(3, 1, 5, 6), scale * H1.reshape(3, 1, 5, 6))
    assert torch.allclose(m.norm(dim=-1), torch.full((3, 3), scale, dtype=m.dtype))
    m_unit = complex_least_squares(H0, scale * H1, normalize=True)
    assert torch.allclose(m_unit.norm(dim=-1), torch.ones(3, 3, dtype=m.dtype))


def test_zero_block_does_not_divide_by_zero():
    H0 = torch.zeros(1, 4, 2)
    assert torch.isfinite(abelian_transition(H0, torch.randn(1, 4, 2))).all()


def test_gradients_flow():
    H0, H1, _ = _rotating()
    H0.requires_grad_(True)
    abelian_transition(H0, H1).sum().backward()
    assert torch.isfinite(H0.grad).all() and H0.grad.abs().sum() > 0


def test_so2_representation_is_an_orthogonal_homomorphism_with_the_official_layout():
    a, b = torch.tensor([0.3, 1.1]), torch.tensor([0.5, -2.0])
    Ma, Mb, Mab = so2_representation(a, 32), so2_representation(b, 32), so2_representation(a + b, 32)
    assert torch.allclose(Ma @ Mb, Mab, atol=1e-5)
    assert torch.allclose(Ma @ Ma.transpose(1, 2), torch.eye(32).expand(2, 32, 32), atol=1e-5)
    assert torch.equal(Ma[:, :2, :2], torch.eye(2).expand(2, 2, 2))  # frequency 0: identity
    k, th = 3, 0.3  # block k rotates by k theta, official [[cos, -sin], [sin, cos]]
    expected = torch.tensor([[math.cos(k * th), -math.sin(k * th)], [math.sin(k * th), math.cos(k * th)]])
    assert torch.allclose(Ma[0, 2 * k:2 * k + 2, 2 * k:2 * k + 2], expected, atol=1e-6)
    assert so2_representation(a[:, None], 5).shape == (2, 5, 5)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="even dim_a"):
        abelian_transition(torch.randn(2, 3, 5), torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="same shape"):
        abelian_transition(torch.randn(2, 3, 4), torch.randn(2, 2, 4))
    with pytest.raises(ValueError, match="convention"):
        pair_blocks(torch.randn(1, 2, 2), convention="left")
    with pytest.raises(ValueError, match="angles"):
        so2_representation(torch.randn(2, 2), 4)

"""zoo_msp.transition: the public least-squares machinery."""

import pytest
import torch

from zoo_msp import transition as tr


def test_estimate_recovers_exact_transition(gen):
    H0 = torch.randn(3, 2, 10, 5, generator=gen)
    M = torch.randn(3, 5, 5, generator=gen)
    assert torch.allclose(tr.estimate_transition(H0, tr.apply_transition(H0, M)), M, atol=1e-4)


def test_estimate_is_the_least_squares_solution(gen):
    H0, H1 = torch.randn(4, 20, 3, generator=gen), torch.randn(4, 20, 3, generator=gen)
    M = tr.estimate_transition(H0, H1)
    ref = torch.linalg.lstsq(H0.double(), H1.double()).solution
    assert torch.allclose(M.double(), ref, atol=1e-4)


def test_sequence_and_rollout(gen):
    M = torch.linalg.qr(torch.randn(2, 4, 4, generator=gen))[0]
    H = [torch.randn(2, 1, 6, 4, generator=gen)]
    for _ in range(4):
        H.append(tr.apply_transition(H[-1], M))
    H = torch.cat(H, 1)
    M_hat = tr.transition_from_sequence(H[:, :2])
    assert torch.allclose(tr.rollout(H[:, 1:2], M_hat, 3), H[:, 2:], atol=1e-4)
    assert tr.rollout(H[:, :1], M_hat, 0).shape == (2, 0, 6, 4)
    assert tr.transition_residual(H[:, :-1], H[:, 1:], M_hat) < 1e-6


def test_higher_order_recovers_accelerated_rotation():
    # H_t = H_0 R(theta_t) with theta_t = w t + a t^2 / 2: constant "acceleration" rotation
    def rot(t):
        c, s = torch.cos(t), torch.sin(t)
        return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)

    g = torch.Generator().manual_seed(1)
    H0 = torch.randn(3, 1, 5, 2, generator=g, dtype=torch.float64)
    w, a = torch.tensor([0.3, -0.2, 0.5]), torch.tensor([0.05, 0.1, -0.04])
    t = torch.arange(9.0)
    theta = (w[:, None] * t + 0.5 * a[:, None] * t ** 2).double()
    H = H0 @ rot(theta)  # (3, 9, 2, 2) x broadcasting -> (3, 9, 5, 2)
    M, Ms = tr.higher_order_transition(H[:, :5], n_order=2)
    assert torch.allclose(M, rot(a.double()), atol=1e-8)
    pred = tr.higher_order_rollout([H[:, 4:5]] + [X[:, -1:] for X in Ms], M, 4)
    assert torch.allclose(pred, H[:, 5:], atol=1e-7)
    with pytest.raises(ValueError, match="T > 3"):
        tr.higher_order_transition(H[:, :3], n_order=2)


def test_fix_indices_and_blocks(gen):
    H = torch.randn(2, 3, 8, 4, generator=gen)
    M = tr.transition_from_sequence(H, fix_indices=[1])
    assert torch.equal(M[:, 1], torch.tensor([0.0, 1, 0, 0]).expand(2, 4))
    B = tr.block_transition(H[:, :-1], H[:, 1:], n_blocks=2, fixed_blocks=[1])
    assert torch.equal(B[:, 2:, 2:], torch.eye(2).expand(2, 2, 2))
    assert torch.allclose(B[:, :2, :2], tr.estimate_transition(H[:, :-1, :, :2], H[:, 1:, :, :2]))
    with pytest.raises(ValueError, match="no active coordinate"):
        tr.transition_from_sequence(H, fix_indices=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="divisible"):
        tr.block_transition(H[:, :-1], H[:, 1:], n_blocks=3)


def test_shape_errors(gen):
    with pytest.raises(ValueError, match="same shape"):
        tr.estimate_transition(torch.randn(2, 5, 3), torch.randn(2, 4, 3))
    with pytest.raises(ValueError, match=r"\(N, T>=2"):
        tr.transition_from_sequence(torch.randn(2, 1, 4, 3))
    with pytest.raises(ValueError, match="M must be"):
        tr.apply_transition(torch.randn(2, 1, 4, 3), torch.randn(3, 3, 3))

"""NFTSeqAE: official shapes, the three transitions, the objective, bad input."""

import pytest
import torch

from zoo_msp.transition import estimate_transition
from zoo_nft.gnft import so2_representation
from zoo_nft.unft import NFTSeqAE


def _xs(N=4, T=3, D=128, seed=0):
    return torch.randn(N, T, D, generator=torch.Generator().manual_seed(seed))


def test_official_layer_shapes():
    m = NFTSeqAE(dim_m=16, dim_a=10)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items() if k.endswith("weight")}
    assert shapes == {"enc.phi.0.weight": (256, 128), "enc.phi.2.weight": (160, 256),
                      "enc.linear.weight": (160, 160), "dec.net.0.weight": (256, 160),
                      "dec.net.2.weight": (256, 256), "dec.net.4.weight": (128, 256)}
    c = NFTSeqAE(dim_m=1, dim_a=32, transition="AbelMSP", encoder="mlp", enc_hdim=512, dec_hdim=512)
    shapes = {k: tuple(v.shape) for k, v in c.state_dict().items() if k.endswith("weight")}
    assert shapes == {"enc.phi.0.weight": (512, 128), "enc.phi.2.weight": (512, 512),
                      "enc.linear.weight": (32, 512), "dec.net.0.weight": (512, 32),
                      "dec.net.2.weight": (512, 512), "dec.net.4.weight": (128, 512)}


def test_ls_transition_is_zoo_msps_least_squares_and_rolls_from_the_last_frame():
    m = NFTSeqAE(dim_m=16, dim_a=10).eval()
    xs = _xs(T=3)
    H = m.encode(xs)
    M = m.get_M(xs)
    assert torch.allclose(M, estimate_transition(H[:, :-1], H[:, 1:]), atol=1e-6)
    pred = m(xs, n_rolls=2)
    assert torch.allclose(pred, m.decode(torch.stack([H[:, -1] @ M, H[:, -1] @ M @ M], 1)), atol=1e-5)
    full = m(xs, n_rolls=2, reconst=True)
    assert full.shape == (4, 5, 128) and torch.allclose(full[:, 3:], pred, atol=1e-6)


def test_fixed_transition_uses_the_observed_shift():
    m = NFTSeqAE(dim_m=1, dim_a=32, transition="Fixed", encoder="mlp", act="relu")
    g = torch.tensor([0.1, 0.2, 0.3, 0.4])
    assert torch.allclose(m.get_M(_xs(), g=g), so2_representation(g, 32))
    with pytest.raises(ValueError, match="needs the shifts"):
        m(_xs())


def test_loss_is_the_mean_per_frame_sse_and_trains_every_layer():
    m = NFTSeqAE(dim_m=2, dim_a=4, transition="AbelMSP")
    xs = _xs(T=4)
    loss, logs = m.loss(xs, T_cond=2, reconst=True)
    pred = m(xs[:, :2], n_rolls=2, reconst=True)
    assert loss.item() == pytest.approx(((pred - xs) ** 2).sum(-1).mean().item(), rel=1e-5)
    assert set(logs) == {"pred_sse", "reconst_sse"}
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_change_of_basis_round_trips():
    m = NFTSeqAE(dim_m=2, dim_a=4, change_of_basis=True)
    with torch.no_grad():
        m.change_of_basis.copy_(torch.randn(4, 4) + 3 * torch.eye(4))
    H = torch.randn(2, 3, 2, 4)
    plain = NFTSeqAE(dim_m=2, dim_a=4)
    plain.load_state_dict({k: v for k, v in m.state_dict().items() if k != "change_of_basis"})
    assert torch.allclose(m.decode(H @ m.change_of_basis), plain.decode(H), atol=1e-4)


@pytest.mark.parametrize("xs, match", [
    (torch.randn(2, 3, 64), r"\(N, T, 128\)"),
    (torch.randn(2, 128), r"\(N, T, 128\)"),
    (torch.zeros(2, 3, 128, dtype=torch.long), "float"),
    (torch.zeros(0, 3, 128), "empty batch"),
])
def test_bad_signals_are_named(xs, match):
    with pytest.raises(ValueError, match=match):
        NFTSeqAE(dim_m=2, dim_a=4)(xs)


def test_bad_configs_and_arguments_are_named():
    with pytest.raises(ValueError, match="transition"):
        NFTSeqAE(dim_m=2, dim_a=4, transition="MgDGD")
    with pytest.raises(ValueError, match="even"):
        NFTSeqAE(dim_m=2, dim_a=5, transition="AbelMSP")
    with pytest.raises(ValueError, match="act"):
        NFTSeqAE(dim_m=2, dim_a=4, act="elu")
    m = NFTSeqAE(dim_m=2, dim_a=4)
    with pytest.raises(ValueError, match="at least 2 conditioning frames"):
        m(_xs(T=1))
    with pytest.raises(ValueError, match="T_cond"):
        m.loss(_xs(T=3), T_cond=3)
    with pytest.raises(ValueError, match="one shift per sequence"):
        NFTSeqAE(dim_m=1, dim_a=4, transition="Fixed")(_xs(), g=torch.zeros(3))

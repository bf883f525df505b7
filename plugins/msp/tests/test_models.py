"""Every model class: shapes, finite losses, gradients reach every parameter, state-dict
round trip, invalid input raises a clear error."""

import pytest
import torch

from zoo_msp import models as Z
from zoo_msp.models.blocks import positional_encoding_2d

T_COND = {"MSPHigherOrder": 5}


def _make(name, tiny):
    cls = getattr(Z, name)
    if name == "CPC":
        return cls(dim_a=8, dim_m=1, k=0.25)
    if name == "SimCLR":
        return cls(dim_mlp=16, dim_head=8, k=0.25)
    if name == "MSPFixedBlocks":
        return cls(**tiny, K=2)
    return cls(**tiny)


ALL = ["MSP", "MSPHigherOrder", "MSPFixedBlocks", "NeuralM", "NeuralMLatentPredict",
       "NeuralTransition", "CPC", "SimCLR"]


@pytest.mark.parametrize("name", ALL)
def test_loss_backward_reaches_all_parameters(name, tiny):
    torch.manual_seed(0)
    model = _make(name, tiny)
    tc = T_COND.get(name, 2)
    xs = torch.rand(3, tc + 1, 3, 32, 32)
    loss = model.loss(xs) if name == "SimCLR" else model.loss(xs, T_cond=tc)
    assert loss.dim() == 0 and torch.isfinite(loss)
    loss.backward()
    skip = {"change_of_basis"}
    if name == "NeuralMLatentPredict":
        skip = set()
    missing = [n for n, p in model.named_parameters() if p.grad is None and n not in skip]
    assert not missing, missing


@pytest.mark.parametrize("name", ["MSP", "MSPHigherOrder", "MSPFixedBlocks", "NeuralM",
                                  "NeuralMLatentPredict", "NeuralTransition"])
def test_forward_predicts_requested_frames(name, tiny):
    model = _make(name, tiny).eval()
    tc = T_COND.get(name, 2)
    out = model(torch.rand(2, tc, 3, 32, 32), n_rolls=4)
    assert out.shape == (2, 4, 3, 32, 32)
    assert out.min() >= 0 and out.max() <= 1  # sigmoid output


def test_msp_modes(tiny):
    model = Z.MSP(**tiny).eval()
    xs = torch.rand(2, 3, 3, 32, 32)
    assert model(xs, n_rolls=2, reconst=True).shape == (2, 5, 3, 32, 32)
    assert model(xs, n_rolls=2, predictive=False).shape == (2, 4, 3, 32, 32)
    rec = Z.MSP(**tiny, predictive=False)
    rec.load_state_dict(model.state_dict())
    loss = rec.loss(xs, T_cond=3)  # lstsq_rec: M* from all 3 frames, frames 2..3 from frame 1
    x_hat = rec(xs, n_rolls=0, predictive=False)
    assert torch.allclose(loss, ((xs[:, 1:] - x_hat) ** 2).sum((2, 3, 4)).mean())


def test_msp_loss_is_pixel_sum_of_prediction(tiny):
    model = Z.MSP(**tiny).eval()
    xs = torch.rand(2, 4, 3, 32, 32)
    pred = model(xs[:, :2], n_rolls=2)
    expected = ((xs[:, 2:] - pred) ** 2).sum(dim=(2, 3, 4)).mean()
    assert torch.allclose(model.loss(xs, T_cond=2), expected)
    loss, reg = model.loss(xs, T_cond=2, return_reg_loss=True)
    assert set(reg) == {"loss_bd", "loss_orth", "loss_internal_T"}
    assert torch.allclose(loss, expected)


def test_fix_indices_keeps_identity(tiny):
    model = Z.MSP(**tiny).eval()
    M = model.get_M(torch.rand(2, 3, 3, 32, 32), fix_indices=[0, 2])
    assert torch.equal(M[:, [0, 2]][:, :, [0, 2]], torch.eye(2).expand(2, 2, 2))
    assert torch.all(M[:, 0, [1, 3]] == 0) and torch.all(M[:, [1, 3], 0] == 0)


def test_change_of_basis_roundtrip(tiny):
    model = Z.MSP(**tiny, change_of_basis=True)
    with torch.no_grad():
        model.change_of_basis.copy_(torch.linalg.qr(torch.randn(4, 4))[0])
    H = torch.randn(2, 1, 6, 4)
    plain = Z.MSP(**tiny)
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if k != "change_of_basis"})
    assert torch.allclose(model.decode(H @ model.change_of_basis), plain.decode(H), atol=1e-5)


def test_fixed_blocks_are_block_diagonal(tiny):
    model = Z.MSPFixedBlocks(**tiny, K=2)
    M = model.get_M(torch.rand(2, 3, 3, 32, 32))
    assert torch.all(M[:, :2, 2:] == 0) and torch.all(M[:, 2:, :2] == 0)
    assert model.get_blocks_of_M(torch.rand(2, 3, 3, 32, 32)).shape == (2, 2, 2, 2)


@pytest.mark.parametrize("name", ALL)
def test_state_dict_round_trip(name, tiny):
    a, b = _make(name, tiny), _make(name, tiny)
    b.load_state_dict(a.state_dict())
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)


def test_bad_input_raises_clear_errors(tiny):
    model = Z.MSP(**tiny)
    with pytest.raises(ValueError, match=r"\(N, T, 3, 32, 32\)"):
        model.loss(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match="T_cond"):
        model.loss(torch.rand(2, 3, 3, 32, 32), T_cond=4)
    with pytest.raises(ValueError, match="divisible"):
        Z.MSPFixedBlocks(**tiny, K=3)
    with pytest.raises(ValueError, match="T_cond=2"):
        Z.NeuralM(**tiny).get_M(torch.rand(2, 3, 3, 32, 32))
    with pytest.raises(ValueError, match="needs H of shape"):
        Z.MSPHigherOrder(**tiny).loss(torch.rand(2, 4, 3, 32, 32), T_cond=3)
    with pytest.raises(ValueError, match="exactly one frame"):
        Z.CPC(dim_a=8, dim_m=1, k=0.25).loss(torch.rand(2, 4, 3, 32, 32), T_cond=2)


def test_positional_encoding_values():
    pe = positional_encoding_2d(8, 3, 5)
    assert pe.shape == (8, 3, 5)
    x = torch.arange(5.0)
    assert torch.allclose(pe[0], torch.sin(x).expand(3, 5))  # frequency 1 on the columns
    assert torch.allclose(pe[1], torch.cos(x).expand(3, 5))
    assert torch.allclose(pe[2], torch.sin(x / 100).expand(3, 5))
    assert torch.allclose(pe[4], torch.sin(torch.arange(3.0))[:, None].expand(3, 5))
    with pytest.raises(ValueError, match="divisible by 4"):
        positional_encoding_2d(6, 2, 2)


def test_weight_standardisation():
    from zoo_msp.models.blocks import WSConv2d, _standardize

    conv = WSConv2d(3, 5, 3)
    w = _standardize(conv.weight)
    flat = w.reshape(5, -1)
    assert torch.allclose(flat.mean(1), torch.zeros(5), atol=1e-6)
    assert torch.allclose(flat.std(1), torch.ones(5), atol=1e-3)

"""The Kuramoto layer and its building blocks."""

import pytest
import torch

from zoo_akorn.models.attention import Attention
from zoo_akorn.models.kuramoto import KuramotoLayer, Omega
from zoo_akorn.models.layers import ReadOut, so2_matrices


def test_states_stay_on_sphere_and_energies_shape():
    torch.manual_seed(0)
    layer = KuramotoLayer(n=4, ch=16, J="attn", gta=True, hw=(3, 5), heads=2, c_norm="gn")
    states, energies = layer(torch.randn(2, 3, 5, 16), torch.randn(2, 3, 5, 16), T=4, gamma=1.0)
    assert len(states) == 4 and energies.shape == (5, 2) and torch.equal(energies[0], torch.zeros(2))
    for s in states:
        torch.testing.assert_close(s.unflatten(-1, (4, 4)).norm(dim=-1), torch.ones(2, 3, 5, 4))


def test_energy_decreases_for_symmetric_coupling_and_small_steps():
    """With symmetric J, no Omega and a small step, the energy -sum <x, Jx + c> does not increase."""
    torch.manual_seed(0)
    layer = KuramotoLayer(n=2, ch=8, J="conv", ksize=1, c_norm=None, use_omega=True, init_omg=0.0)
    with torch.no_grad():
        w = torch.randn(8, 8)
        layer.J.weight.copy_((w + w.T)[:, :, None, None] / 2)
        layer.J.bias.zero_()
    x, c = torch.randn(1, 4, 4, 8), torch.randn(1, 4, 4, 8)
    _, energies = layer(x, c, T=30, gamma=0.02)
    # energy of the step-t state uses (Jx + c); symmetric J makes E = -1/2 x'Jx - c'x decrease,
    # and -x'Jx - c'x tracks it closely for small steps; check the trend
    e = energies[1:, 0]
    assert e[-1] < e[0]
    assert (e[1:] - e[:-1] <= 1e-3).all()


def test_omega_param_norm_is_frequency():
    om = Omega(ch=8, init_omg=0.5, global_omg=True)
    torch.testing.assert_close(om(), torch.full((4,), 0.5))
    om = Omega(ch=8, init_omg=0.25, global_omg=False, learn_omg=False)
    assert om.param.shape == (4, 2) and not om.param.requires_grad
    torch.testing.assert_close(om(), torch.full((4,), 0.25))


def test_so2_matrices_are_rotations_with_official_layout():
    m = so2_matrices(3, 4, 6)  # F = 2 frequencies, pairs p = 2f + d, cut to 3 pairs
    assert m.shape == (12, 3, 2, 2)
    torch.testing.assert_close(m @ m.transpose(-1, -2), torch.eye(2).expand(12, 3, 2, 2))
    token = 1 * 4 + 2  # row 1, col 2
    angle_row_f0 = torch.tensor(1.0)
    torch.testing.assert_close(m[token, 0], torch.tensor([[angle_row_f0.cos(), -angle_row_f0.sin()],
                                                          [angle_row_f0.sin(), angle_row_f0.cos()]]))
    angle_col_f0 = torch.tensor(2.0)
    torch.testing.assert_close(m[token, 1, 1, 0], angle_col_f0.sin())


def test_attention_interleaved_heads():
    """Channel j of q/k/v belongs to head j % heads: permuting channels within heads is an equivalence."""
    torch.manual_seed(0)
    att = Attention(ch=8, heads=2)
    x = torch.randn(1, 5, 8)
    out = att(x)
    # manual computation with the interleaved split
    q, k, v = torch.nn.functional.linear(x, att.qkv.weight, att.qkv.bias).chunk(3, -1)
    split = lambda t: t.view(1, 5, 4, 2).permute(0, 3, 1, 2)  # noqa: E731  (c, head) -> [B, head, S, c]
    o = torch.nn.functional.scaled_dot_product_attention(split(q), split(k), split(v))
    o = o.permute(0, 2, 3, 1).reshape(1, 5, 8)  # back to channel c * heads + h
    torch.testing.assert_close(out, torch.nn.functional.linear(o, att.out.weight, att.out.bias))


def test_readout_is_invariant_to_rotating_input_groups_when_weights_are_blockwise():
    ro = ReadOut(inch=4, outch=2, M=2)
    with torch.no_grad():
        ro.conv.weight.zero_()
        ro.conv.weight[0:2, 0:2, 0, 0] = torch.eye(2)
        ro.conv.weight[2:4, 2:4, 0, 0] = torch.eye(2)
        ro.conv.bias.zero_()
    x = torch.randn(1, 2, 2, 4)
    th = torch.tensor(0.7)
    rot = torch.tensor([[th.cos(), -th.sin()], [th.sin(), th.cos()]])
    xr = (x.unflatten(-1, (2, 2)) @ rot.T).flatten(-2)
    torch.testing.assert_close(ro(x), ro(xr))
    torch.testing.assert_close(ro(x), x.unflatten(-1, (2, 2)).norm(dim=-1))


@pytest.mark.parametrize("kw", [dict(J="dense"), dict(c_norm="ln"), dict(ch=10), dict(J="attn", gta=True)])
def test_bad_arguments_raise(kw):
    with pytest.raises(ValueError):
        KuramotoLayer(**dict(dict(n=4, ch=16), **kw))

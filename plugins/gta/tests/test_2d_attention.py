"""2-D GTA / RoPE attention (zoo_gta.gta2d): the paper's properties and the DiT branch's layout."""

import math

import pytest
import torch

from zoo_gta.gta2d import GTA2DAttention, OfficialRMSNorm, grid_coords, gta2d_attention, so2_rotations


def _qkv(B=2, H=3, T=12, D=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(B, H, T, D, generator=g, dtype=torch.float64) for _ in range(3)]


def test_official_ordering_pair_2f_plus_d():
    """Block 2f+d rotates by coord_d * 10000^(-f/F), as [[cos, -sin], [sin, cos]] (make_SO2mats)."""
    F = 3
    coords = torch.tensor([[2.0, 5.0], [0.0, 1.0]])
    R = so2_rotations(coords, F)
    assert R.shape == (2, 2 * F, 2, 2)
    for t in range(2):
        for f in range(F):
            for d in range(2):
                a = coords[t, d].item() * 10000 ** (-f / F)
                want = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
                torch.testing.assert_close(R[t, 2 * f + d], want, atol=1e-6, rtol=0)


def test_grid_coords_row_major_integers():
    c = grid_coords(2, 3)
    assert c.tolist() == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]


def test_rotations_orthogonal_with_unit_determinant():
    R = so2_rotations(grid_coords(5, 7).double(), 4)
    eye = torch.eye(2, dtype=R.dtype).expand_as(R)
    torch.testing.assert_close(R @ R.transpose(-1, -2), eye)
    torch.testing.assert_close(torch.linalg.det(R), torch.ones(R.shape[:-2], dtype=R.dtype))


@pytest.mark.parametrize("mode", ["gta", "rope"])
def test_integer_shift_of_all_coordinates_leaves_outputs_unchanged(mode):
    """rho(g_i g_j^-1) depends on coord_i - coord_j only, so a global shift changes nothing."""
    q, k, v = _qkv()
    coords = grid_coords(3, 4).double()
    out = gta2d_attention(q, k, v, so2_rotations(coords, 4), mode=mode)
    shifted = gta2d_attention(q, k, v, so2_rotations(coords + torch.tensor([7.0, -3.0]).double(), 4), mode=mode)
    torch.testing.assert_close(shifted, out)
    # ... while moving one token does change them (the test can fail)
    moved = coords.clone()
    moved[0] += 2
    assert (gta2d_attention(q, k, v, so2_rotations(moved, 4), mode=mode) - out).abs().max() > 1e-3


def test_rope_logits_depend_only_on_coordinate_differences():
    """q_i^T R_i^T R_j k_j: every pair's logit equals the one with token j moved to the origin."""
    from zoo_core.ops import rotate_blocks

    q, k, _ = _qkv(T=5)
    coords = torch.tensor([[3.0, 1.0], [0.0, 5.0], [2.0, 2.0], [7.0, 0.0], [1.0, 4.0]], dtype=torch.float64)
    logits = rotate_blocks(q, so2_rotations(coords, 4)) @ rotate_blocks(k, so2_rotations(coords, 4)).transpose(-1, -2)
    for i in range(5):
        for j in range(5):
            Ri = so2_rotations((coords[i] - coords[j])[None], 4)
            Rj = so2_rotations(torch.zeros(1, 2, dtype=torch.float64), 4)
            want = (rotate_blocks(q[..., i:i + 1, :], Ri) * rotate_blocks(k[..., j:j + 1, :], Rj)).sum(-1)[..., 0]
            torch.testing.assert_close(logits[..., i, j], want)


def test_gta_output_is_rotated_back():
    """With one token, GTA's output is R^T Attn(Rq, Rk, Rv) = v exactly; RoPE's too (softmax of one)."""
    q, k, v = _qkv(T=1)
    R = so2_rotations(torch.tensor([[4.0, 9.0]], dtype=torch.float64), 4)
    torch.testing.assert_close(gta2d_attention(q, k, v, R, mode="gta"), v)


def test_gta_differs_from_rope_and_plain():
    q, k, v = _qkv()
    R = so2_rotations(grid_coords(3, 4).double(), 4)
    gta, rope = gta2d_attention(q, k, v, R, mode="gta"), gta2d_attention(q, k, v, R, mode="rope")
    plain = gta2d_attention(q, k, v, None, mode="none")
    assert (gta - rope).abs().max() > 1e-3 and (rope - plain).abs().max() > 1e-3


def test_module_keys_match_the_official_attention_and_shift_invariance():
    attn = GTA2DAttention(32, num_heads=2, grid=(3, 4), mode="gta", qkv_bias=True, qk_norm=True).double()
    assert sorted(attn.state_dict()) == ["k_norm.scale", "proj.bias", "proj.weight", "q_norm.scale",
                                         "qkv.bias", "qkv.weight"]
    x = torch.randn(2, 12, 32, dtype=torch.float64)
    out = attn(x)
    torch.testing.assert_close(attn(x, coords=grid_coords(3, 4).double() + 5), out)
    with pytest.raises(ValueError, match="grid"):
        attn(torch.randn(1, 5, 32, dtype=torch.float64))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="divisible by 4"):
        GTA2DAttention(36, num_heads=6, grid=(2, 2))
    with pytest.raises(ValueError, match="mode"):
        GTA2DAttention(32, num_heads=2, mode="alibi")
    with pytest.raises(ValueError, match=r"\[\.\.\., T, 2\]"):
        so2_rotations(torch.zeros(4, 3), 2)


def test_official_rmsnorm_formula():
    x = torch.randn(4, 8, dtype=torch.float64)
    n = OfficialRMSNorm(8).double()
    torch.testing.assert_close(n(x), x / (x.pow(2).mean(-1, keepdim=True).sqrt() + 1e-8))

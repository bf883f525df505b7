"""The official layers (Attention gta / repast / plain, PreNorm, FeedForward, Transformer):
state-dict keys, init conventions, invariance of a GTA transformer, the official config mapping.

With env ``ZOO_GTA_OFFICIAL=<exported official main checkout>`` (and einops importable) the
official ``Attention`` / ``Transformer`` are compared output for output after a state-dict load.
"""

import os
import sys
from pathlib import Path

import pytest
import torch

from zoo_gta.gta import GTAInputError, gta_reps, image_coords
from zoo_gta.layers import Attention, Geometry, JaxLinear, Transformer, ViTLinear, attention_kwargs

CLEVR = {"se3": 32, "so2": 32}
GTA_ARGS = {"method": {"name": "gta", "args": {"so2": 8, "max_freq_h": 1, "max_freq_w": 1, "f_dims": CLEVR}}}


def random_rigid(n: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    Q, Rr = torch.linalg.qr(torch.randn(n, 3, 3, generator=gen))
    Q = Q * torch.sign(torch.diagonal(Rr, dim1=-2, dim2=-1))[:, None, :]
    Q[torch.linalg.det(Q) < 0, :, 0] *= -1
    E = torch.eye(4).repeat(n, 1, 1)
    E[:, :3, :3], E[:, :3, 3] = Q, torch.randn(n, 3, generator=gen)
    return E


def encoder_geometry(B=2, V=2, h=3, w=4, seed=0):
    E = random_rigid(B * V, seed).reshape(B, V, 4, 4)
    coords = image_coords(h, w).reshape(1, h * w, 2).repeat(B, V, 1)
    return E, coords


def test_state_dict_keys_are_the_official_ones():
    enc = Transformer(384, 2, 6, 64, 768, method="gta", f_dims=CLEVR)
    keys = set(enc.state_dict())
    for l in range(2):
        assert {f"layers.{l}.0.norm.weight", f"layers.{l}.0.norm.bias", f"layers.{l}.0.fn.to_qkv.weight",
                f"layers.{l}.0.fn.to_out.0.weight", f"layers.{l}.0.fn.to_out.0.bias", f"layers.{l}.0.fn.trans_coeff",
                f"layers.{l}.1.norm.weight", f"layers.{l}.1.norm.bias", f"layers.{l}.1.fn.net.0.weight", f"layers.{l}.1.fn.net.0.bias",
                f"layers.{l}.1.fn.net.3.weight", f"layers.{l}.1.fn.net.3.bias"} <= keys
    assert len(keys) == 2 * 12
    dec = Transformer(180, 1, 6, 64, 768, kv_dim=384, method="gta", f_dims=CLEVR)
    assert {"layers.0.0.fn.to_q.weight", "layers.0.0.fn.to_kv.weight"} <= set(dec.state_dict())
    assert dec.layers[0][0].fn.to_kv.weight.shape == (2 * 384, 384)
    rep = Attention(384, heads=6, dim_head=64, method="repast", q_emb_dim=180, k_emb_dim=180)
    assert {k.split(".")[0] for k in rep.state_dict()} == {"to_q", "to_k", "to_v", "to_out"}
    assert rep.to_q.weight.shape == (384, 384 + 180) and rep.to_v.weight.shape == (384, 384)
    plain = Attention(384, heads=6, dim_head=64, method="plain")
    assert "trans_coeff" not in plain.state_dict()
    assert Attention(64, heads=1, dim_head=64, method="gta", f_dims={"so2": 64}).trans_coeff is None


def test_init_conventions():
    torch.manual_seed(0)
    jax = JaxLinear(400, 300)
    std = 400 ** -0.5
    assert jax.weight.abs().max() <= 2 * std and abs(jax.weight.std().item() - 0.88 * std) < 0.05 * std
    assert torch.equal(jax.bias, torch.zeros(300))
    vit = ViTLinear(400, 300)
    bound = (6 / 700) ** 0.5
    assert vit.weight.abs().max() <= bound and vit.weight.abs().max() > 0.9 * bound
    assert vit.bias.abs().max() < 1e-5
    att = Attention(384, heads=6, dim_head=64, f_dims=CLEVR)
    assert att.trans_coeff.item() == pytest.approx(0.01)
    assert att.to_qkv.bias is None


def test_gta_transformer_ignores_the_world_frame_and_trains_trans_coeff():
    torch.manual_seed(0)
    enc = Transformer(128, 2, 2, 64, 256, method="gta", f_dims=CLEVR)
    E, coords = encoder_geometry()
    x = torch.randn(2, 24, 128)
    G = random_rigid(1, 9)[0]
    out = enc(x, geometry=Geometry(reps_q=gta_reps(CLEVR, extrinsics=E, coords=coords)))
    moved = enc(x, geometry=Geometry(reps_q=gta_reps(CLEVR, extrinsics=E @ G, coords=coords)))
    assert torch.allclose(out, moved, atol=1e-4)
    out.square().mean().backward()
    assert all(layer[0].fn.trans_coeff.grad.abs().item() > 0 for layer in enc.layers)


def test_cross_attention_and_repast_shapes():
    B, V, Tv, Tq = 2, 2, 12, 7
    z = torch.randn(B, V * Tv, 384)
    E, coords = encoder_geometry()
    Et = random_rigid(B, 3).reshape(B, 1, 4, 4)
    dec = Transformer(180, 2, 6, 64, 360, kv_dim=384, method="gta", f_dims=CLEVR)
    geo = Geometry(reps_q=gta_reps(CLEVR, extrinsics=Et, coords=torch.rand(B, Tq, 2)),
                   reps_k=gta_reps(CLEVR, extrinsics=E, coords=coords))
    assert dec(torch.randn(B, Tq, 180), z, geometry=geo).shape == (B, Tq, 180)
    rep_enc = Attention(384, heads=6, dim_head=64, method="repast", q_emb_dim=180, k_emb_dim=180)
    geo = Geometry(query_ray_emb=torch.randn(B, V * Tv, V, 180), key_ray_emb=torch.randn(B, V, Tv, 180))
    assert rep_enc(z, geometry=geo).shape == (B, V * Tv, 384)
    rep_dec = Attention(180, heads=6, dim_head=64, kv_dim=384, method="repast", k_emb_dim=180)
    assert rep_dec(torch.randn(B, Tq, V, 180), z, geometry=geo).shape == (B, Tq, V, 180)   # queries per key view


def test_errors_and_official_config_mapping():
    with pytest.raises(GTAInputError, match="must sum to dim_head=64"):
        Attention(384, heads=6, dim_head=64, f_dims={"se3": 32})
    with pytest.raises(ValueError, match="needs geometry"):
        Attention(384, heads=6, dim_head=64, f_dims=CLEVR)(torch.randn(1, 4, 384))
    with pytest.raises(ValueError, match="method must be one of"):
        Attention(384, method="ape")
    kw = attention_kwargs({"method": {"name": "gta", "args": {"so2": 6, "f_dims": {"triv": 0, "se3": 48, "so2": 24,
                                                                                   "so3": 24}, "euclid_sim": True}}})
    assert kw == {"method": "gta", "use_bias": False, "f_dims": {"se3": 48, "so2": 24, "so3": 24},
                  "v_transform": True, "euclid_sim": True}
    assert attention_kwargs({"method": {"name": "", "args": {}}})["method"] == "plain"
    with pytest.raises(ValueError, match="not ported"):
        attention_kwargs({"method": {"name": "gbt", "args": {}}})


OFFICIAL = os.environ.get("ZOO_GTA_OFFICIAL")
if OFFICIAL and (Path(OFFICIAL) / "source" / "layers.py").is_file():   # defined only with the official code

    @pytest.fixture(scope="module")
    def official_layers():
        sys.path.insert(0, OFFICIAL)
        try:
            from source import layers
            from source.utils import gta
            yield layers, gta
        finally:
            sys.path.remove(OFFICIAL)

    def test_official_transformer_parity(official_layers):
        layers, ogta = official_layers
        torch.manual_seed(0)
        theirs = layers.Transformer(128, 2, 2, 64, 256, attn_args=GTA_ARGS)
        with torch.no_grad():
            for layer in theirs.layers:
                layer[0].fn.trans_coeff.fill_(0.4)
        ours = Transformer(128, 2, 2, 64, 256, **attention_kwargs(GTA_ARGS))
        ours.load_state_dict(theirs.state_dict(), strict=True)
        E, coords = encoder_geometry()
        so2 = ogta.make_SO2mats(coords, nfreqs=8, max_freqs=[1, 1]).flatten(-4, -3)
        extras = {"so2rep_q": so2, "so2rep_k": so2, "se3rep_q": torch.linalg.inv(E), "se3rep_k": torch.linalg.inv(E),
                  "inv_se3rep_q": E, "so2fn": lambda A, x: torch.einsum("btcij,bhtcj->bhtci", A, x),
                  "se3fn": lambda A, x: torch.einsum("bnij,bhntcj->bhntci", A, x)}
        x = torch.randn(2, 24, 128)
        ref = theirs(x, None, extras)
        out = ours(x, geometry=Geometry(reps_q=gta_reps(CLEVR, extrinsics=E, coords=coords)))
        assert torch.allclose(out, ref, atol=1e-5)

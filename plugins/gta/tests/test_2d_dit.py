"""DiT with 2-D GTA / RoPE (zoo_gta.models.dit) and the DiT-branch checkpoint converter."""

import argparse

import pytest
import torch

import zoo
from zoo_gta.convert_dit import from_official
from zoo_gta.models.dit import DiT

SMALL = dict(input_size=8, patch_size=2, in_channels=4, hidden_size=32, depth=2, num_heads=2, num_classes=10)


def official_layout(hidden=32, depth=2, heads=2, patch=2, in_ch=4, classes=10, freq=256, mlp_ratio=4):
    """Key -> shape of the DiT branch's ``models.DiT`` state dict (read from its models.py / gta.py)."""
    out_ch, head = 2 * in_ch, hidden // heads
    keys = {"x_embedder.proj.weight": (hidden, in_ch, patch, patch), "x_embedder.proj.bias": (hidden,),
            "t_embedder.mlp.0.weight": (hidden, freq), "t_embedder.mlp.0.bias": (hidden,),
            "t_embedder.mlp.2.weight": (hidden, hidden), "t_embedder.mlp.2.bias": (hidden,),
            "y_embedder.embedding_table.weight": (classes + 1, hidden),
            "final_layer.linear.weight": (patch * patch * out_ch, hidden), "final_layer.linear.bias": (patch * patch * out_ch,),
            "final_layer.adaLN_modulation.1.weight": (2 * hidden, hidden),
            "final_layer.adaLN_modulation.1.bias": (2 * hidden,)}
    for i in range(depth):
        b = f"blocks.{i}."
        keys.update({b + "attn.qkv.weight": (3 * hidden, hidden), b + "attn.qkv.bias": (3 * hidden,),
                     b + "attn.q_norm.scale": (head,), b + "attn.k_norm.scale": (head,),
                     b + "attn.proj.weight": (hidden, hidden), b + "attn.proj.bias": (hidden,),
                     b + "mlp.fc1.weight": (mlp_ratio * hidden, hidden), b + "mlp.fc1.bias": (mlp_ratio * hidden,),
                     b + "mlp.fc2.weight": (hidden, mlp_ratio * hidden), b + "mlp.fc2.bias": (hidden,),
                     b + "adaLN_modulation.1.weight": (6 * hidden, hidden),
                     b + "adaLN_modulation.1.bias": (6 * hidden,)})
    return keys


def official_checkpoint(path, seed=0):
    """A file shaped like the branch's train.py output, with the official key names and shapes."""
    g = torch.Generator().manual_seed(seed)
    ema = {k: 0.05 * torch.randn(s, generator=g) for k, s in official_layout().items()}
    torch.save({"model": {k: torch.zeros_like(v) for k, v in ema.items()}, "ema": ema,
                "opt": {"state": {}, "param_groups": [{"lr": 1e-4, "params": [0, 1]}]},
                "args": argparse.Namespace(model="DiT-B/2", posenc="gta", image_size=256),
                "status": {"epoch": 3, "train_steps": 1000}}, path)
    return ema


def test_state_dict_layout_is_the_official_one():
    sd = DiT(**SMALL).state_dict()
    assert {k: tuple(v.shape) for k, v in sd.items()} == official_layout()


@pytest.mark.parametrize("posenc", ["gta", "rope"])
def test_converter_takes_ema_and_loads_strictly(tmp_path, posenc):
    ema = official_checkpoint(tmp_path / "0001000.pt")
    state = zoo.convert("gta-dit-official", tmp_path / "0001000.pt")["model"]
    model = DiT(**SMALL, posenc=posenc)
    model.load_state_dict(state, strict=True)
    torch.testing.assert_close(model.blocks[1].attn.q_norm.scale, ema["blocks.1.attn.q_norm.scale"])
    out = model.eval()(**model.example_inputs(2))
    assert out.shape == (2, 8, 8, 8) and out.abs().max() > 0   # loaded weights, not the zero init


def test_converter_accepts_a_bare_state_dict_and_strips_ddp_prefix(tmp_path):
    sd = {"module." + k: torch.zeros(s) for k, s in official_layout().items()}
    torch.save(sd, tmp_path / "bare.pt")
    DiT(**SMALL).load_state_dict(from_official(tmp_path / "bare.pt")["model"], strict=True)


def test_converter_refuses_other_files(tmp_path):
    torch.save({"encoder": {"w": torch.zeros(1)}, "it": 3}, tmp_path / "srt.pt")
    with pytest.raises(ValueError, match="not a DiT-branch checkpoint"):
        from_official(tmp_path / "srt.pt")
    with pytest.raises(FileNotFoundError):
        from_official(tmp_path / "missing.pt")


def test_adaln_zero_init_and_gta_differs_from_rope():
    torch.manual_seed(0)
    gta = DiT(**SMALL, posenc="gta").eval()
    inputs = gta.example_inputs(2)
    assert gta(**inputs).abs().max() == 0          # adaLN-Zero: the official init outputs zeros
    with torch.no_grad():
        for p in gta.parameters():
            p.add_(0.05 * torch.randn_like(p))
    rope = DiT(**SMALL, posenc="rope").eval()
    rope.load_state_dict(gta.state_dict())
    assert (gta(**inputs) - rope(**inputs)).abs().max() > 1e-4
    cfg = gta.forward_with_cfg(inputs["x"], inputs["t"], torch.tensor([3, 10]), cfg_scale=1.5)
    assert cfg.shape == (2, 8, 8, 8) and torch.equal(cfg[0, :3], cfg[1, :3])


def test_bad_input_and_config_are_named():
    model = DiT(**SMALL)
    with pytest.raises(ValueError, match=r"latents \[N, 4, 8, 8\]"):
        model(torch.zeros(1, 3, 8, 8), torch.zeros(1), torch.zeros(1, dtype=torch.long))
    with pytest.raises(ValueError, match="posenc"):
        DiT(**SMALL, posenc="abs")

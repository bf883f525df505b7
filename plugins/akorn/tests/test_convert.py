"""Official-format checkpoints (key names and shapes recorded from the official classes) convert and load strictly."""

import json
from pathlib import Path

import pytest
import torch

from conftest import build
from zoo_akorn.convert import ConversionError, convert_state_dict, detect_arch, from_official, unwrap

CASES = json.loads((Path(__file__).parent / "fixtures" / "official_keys.json").read_text())


def official_state_dict(case: dict, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for key, shape in case["official_keys"].items():
        if key.endswith("num_batches_tracked"):
            sd[key] = torch.tensor(7)
        else:
            sd[key] = torch.randn(shape, generator=g)
    if case["arch"] == "classifier":  # one shared module, two keys
        for key in list(sd):
            if ".0.1." in key and key.startswith("layers."):
                sd[key] = sd[key.replace(".0.1.", ".0.0.", 1)].clone()
    return sd


@pytest.mark.parametrize("name", sorted(CASES))
def test_convert_and_load_strict(name, tmp_path):
    case = CASES[name]
    sd = official_state_dict(case)
    assert detect_arch(sd) == case["arch"]
    ema = {"initted": torch.tensor(True), "step": torch.tensor(10)}
    ema.update({f"ema_model.{k}": v for k, v in sd.items()})
    ema.update({f"online_model.{k}": v + 1 for k, v in sd.items() if v.is_floating_point()})
    path = tmp_path / "ema_49.pth"
    torch.save({"epoch": 49, "model_state_dict": ema}, path)
    ours = from_official(path)["model"]
    model = build(case["builder"], case["config"])
    model.load_state_dict(ours, strict=True)
    # values come from the EMA weights, not the online ones
    first = next(k for k in sd if k.endswith("weight") and sd[k].dim() >= 2)
    assert any(torch.equal(v.flatten(), sd[first].flatten()) for v in ours.values())


def test_raw_state_dict_file(tmp_path):
    case = CASES["akorn-attn"]
    path = tmp_path / "model.pth"
    torch.save(official_state_dict(case), path)
    model = build(case["builder"], case["config"])
    model.load_state_dict(from_official(path, arch="akorn")["model"], strict=True)


def test_classifier_duplicate_transition_must_agree():
    case = CASES["classifier"]
    sd = official_state_dict(case)
    key = next(k for k in sd if k.startswith("layers.1.0.1.") and k.endswith("weight"))
    sd[key] = sd[key] + 1
    with pytest.raises(ConversionError, match="two different copies"):
        convert_state_dict(sd)


def test_unknown_key_and_missing_file_raise(tmp_path):
    sd = official_state_dict(CASES["akorn-attn"])
    sd["layers.0.9.mystery"] = torch.zeros(1)
    with pytest.raises(ConversionError, match="not understood"):
        convert_state_dict(sd)
    with pytest.raises(FileNotFoundError):
        from_official(tmp_path / "nope.pth")
    with pytest.raises(ConversionError, match="arch"):
        convert_state_dict({"foo": torch.zeros(1)})


def test_unwrap_strips_prefixes():
    assert set(unwrap({"model_state_dict": {"ema_model.a": 1, "online_model.a": 2, "step": 3}})) == {"a"}
    assert set(unwrap({"module.a": 1})) == {"a"}

"""Converter from official snapshots: official key names and shapes (recorded from the
official code in expected/official_state_dict_layouts.json) load strictly into our models."""

import json
from pathlib import Path

import pytest
import torch

from zoo_msp import models as Z
from zoo_msp.convert import convert_state_dict, from_official, to_official

LAYOUTS = json.loads((Path(__file__).parent / "expected" / "official_state_dict_layouts.json").read_text())
OURS = {"SeqAELSTSQ": Z.MSP, "SeqAENeuralTransition": Z.NeuralTransition}


def _official_state(name, gen):
    return {k: torch.randn(*shape, generator=gen) for k, shape in LAYOUTS[name]["state_dict"].items()}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_official_layout_converts_and_loads_strictly(name, gen, tmp_path):
    state = _official_state(name, gen)
    path = tmp_path / "snapshot_model_iter_50000"
    torch.save(state, path)
    converted = from_official(path)["model"]
    assert not any("parametrizations" in k for k in converted)
    model = OURS[name](**LAYOUTS[name]["kwargs"])
    model.load_state_dict(converted, strict=True)  # raises on missing/unexpected/shape errors
    ws = [k for k in state if k.endswith("parametrizations.weight.original")]
    assert ws
    for k in ws:
        assert torch.equal(model.state_dict()[k.replace(".parametrizations.weight.original", ".weight")], state[k])
    assert to_official(converted).keys() == state.keys()


def test_manager_snapshot_and_dataparallel_prefix(gen, tmp_path):
    state = _official_state("SeqAELSTSQ", gen)
    path = tmp_path / "snapshot_manager_iter_50000"
    torch.save({"models": {"main": {"module." + k: v for k, v in state.items()}},
                "optimizers": {}, "iteration": 50000}, path)
    model = Z.MSP(**LAYOUTS["SeqAELSTSQ"]["kwargs"])
    model.load_state_dict(from_official(path)["model"])


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        from_official(tmp_path / "missing")
    bad = tmp_path / "bad.pt"
    torch.save({"a": 1}, bad)
    with pytest.raises(ValueError, match="not an official MSP model state dict"):
        from_official(bad)
    with pytest.raises(ValueError, match="collide"):
        convert_state_dict({"x.parametrizations.weight.original": torch.ones(1), "x.weight": torch.ones(1)})

"""The converter reads official pfn-extras snapshots (official key names and shapes)."""

import pytest
import torch

from zoo_nft.convert import convert_state_dict, from_official, to_official
from zoo_nft.unft import NFTSeqAE

# The official SeqAETSQmlp(dim_m=16, dim_a=10) state dict: MLPEncoder registers lin1/lin2 and
# again inside phi, so both names are saved (shapes as printed by the official model).
OFFICIAL_1D = {"enc.lin1.weight": (256, 128), "enc.lin1.bias": (256,), "enc.lin2.weight": (160, 256),
               "enc.lin2.bias": (160,), "enc.phi.0.weight": (256, 128), "enc.phi.0.bias": (256,),
               "enc.phi.2.weight": (160, 256), "enc.phi.2.bias": (160,), "enc.linear.weight": (160, 160),
               "enc.linear.bias": (160,), "dec.net.0.weight": (256, 160), "dec.net.0.bias": (256,),
               "dec.net.2.weight": (256, 256), "dec.net.2.bias": (256,), "dec.net.4.weight": (128, 256),
               "dec.net.4.bias": (128,)}


def _official_state(seed=0):
    g = torch.Generator().manual_seed(seed)
    state = {k: torch.randn(s, generator=g) for k, s in OFFICIAL_1D.items() if not k.startswith(("enc.lin1", "enc.lin2"))}
    state["enc.lin1.weight"], state["enc.lin1.bias"] = state["enc.phi.0.weight"], state["enc.phi.0.bias"]
    state["enc.lin2.weight"], state["enc.lin2.bias"] = state["enc.phi.2.weight"], state["enc.phi.2.bias"]
    return state


def test_official_snapshot_loads_strictly(tmp_path):
    state = _official_state()
    assert {k: tuple(v.shape) for k, v in state.items()} == OFFICIAL_1D
    torch.save(state, tmp_path / "snapshot_model_iter_100000")
    ours = from_official(tmp_path / "snapshot_model_iter_100000")["model"]
    model = NFTSeqAE(dim_m=16, dim_a=10)
    model.load_state_dict(ours)  # strict
    assert torch.equal(model.enc.phi[0].weight, state["enc.lin1.weight"])
    torch.save({"models": {"main": state}, "optimizers": {}}, tmp_path / "snapshot_manager_iter_1")
    assert from_official(tmp_path / "snapshot_manager_iter_1")["model"].keys() == ours.keys()


def test_round_trip_and_prefix():
    ours = NFTSeqAE(dim_m=16, dim_a=10).state_dict()
    official = to_official(ours)
    assert set(official) == set(OFFICIAL_1D)
    assert convert_state_dict({"module." + k: v for k, v in official.items()}).keys() == ours.keys()


def test_inconsistent_alias_and_bad_files_are_named(tmp_path):
    state = _official_state()
    state["enc.lin1.weight"] = state["enc.lin1.weight"] + 1
    with pytest.raises(ValueError, match="should alias"):
        convert_state_dict(state)
    with pytest.raises(FileNotFoundError, match="snapshot_model_iter"):
        from_official(tmp_path / "missing")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="not an official NFT model state dict"):
        from_official(tmp_path / "list.pt")

"""zoo_core.convert.read_snapshot_state_dict: the pfn-extras snapshots official MSP/NFT runs write."""

import pytest
import torch

from zoo_core.convert import read_snapshot_state_dict


def test_model_and_manager_snapshots_give_the_state_dict(tmp_path):
    state = {"enc.weight": torch.ones(2, 3), "enc.bias": torch.zeros(2)}
    torch.save(state, tmp_path / "snapshot_model_iter_10")
    torch.save({"models": {"main": state}, "optimizers": {}, "iteration": 10}, tmp_path / "snapshot_manager_iter_10")
    for name in ("snapshot_model_iter_10", "snapshot_manager_iter_10"):
        got = read_snapshot_state_dict(tmp_path / name, what="X", example="snapshot_model_iter_N")
        assert set(got) == set(state) and torch.equal(got["enc.weight"], state["enc.weight"])


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="official X checkpoint not found: .*snapshot_model_iter_7"):
        read_snapshot_state_dict(tmp_path / "missing", what="X", example="snapshot_model_iter_7")
    torch.save([1, 2], tmp_path / "list.pt")
    torch.save({}, tmp_path / "empty.pt")
    for bad in ("list.pt", "empty.pt"):
        with pytest.raises(ValueError, match="is not an official X model state dict"):
            read_snapshot_state_dict(tmp_path / bad, what="X", example="e")


def test_pickled_code_is_refused(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("ran",))

    with open(tmp_path / "evil.pt", "wb") as f:
        pickle.dump({"w": Evil()}, f)
    with pytest.raises(Exception, match="(?i)weights.only|unsupported|global"):
        read_snapshot_state_dict(tmp_path / "evil.pt", what="X", example="e")

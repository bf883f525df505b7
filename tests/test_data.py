"""The data convention: ZOO_DATA / --data, DatasetSpec layouts, `zoo data`, errors that name the file."""

import json

import numpy as np
import pytest

from zoo_core.cli import main
from zoo_core.data import (DATA_ENV, DatasetError, DatasetNotFoundError, DatasetSpec, dataset_root,
                           reading, require)

SPEC = DatasetSpec(name="toyset", title="Toy set (Doe 2020)", url="https://example.org/toyset",
                   layout=("train.npz", "images/*.png"), note="unpack toyset.tar as it comes")

PLUGIN = '''
from zoo_core import hookimpl
from zoo_core.data import DatasetSpec

SPEC = DatasetSpec(name="toyset", title="Toy set (Doe 2020)", url="https://example.org/toyset",
                   layout=("train.npz", "images/*.png"))

@hookimpl
def zoo_datasets():
    return {"toyset": "zoo_toydata:SPEC"}
'''


def make_toyset(folder):
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "0.png").write_bytes(b"png")
    np.savez(folder / "train.npz", x=np.zeros((3, 2)))
    return folder


@pytest.fixture
def no_root(monkeypatch):
    monkeypatch.setenv(DATA_ENV, "")  # recorded, so `--data` (which sets it) is undone after the test
    monkeypatch.delenv(DATA_ENV)


def test_found_under_the_root_or_as_the_root(tmp_path, monkeypatch):
    make_toyset(tmp_path / "root" / "toyset")
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "root"))
    assert dataset_root(SPEC) == tmp_path / "root" / "toyset"
    make_toyset(tmp_path / "direct")  # --data pointing at the dataset's own folder
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "direct"))
    assert dataset_root(SPEC) == tmp_path / "direct"


def test_not_found_says_where_it_looked_where_to_get_it_and_the_layout(tmp_path, monkeypatch, no_root):
    with pytest.raises(DatasetNotFoundError, match="no data root is set: pass --data DIR or set ZOO_DATA"):
        dataset_root(SPEC)
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as info:
        dataset_root(SPEC)
    text = str(info.value)
    assert f"not under {tmp_path}" in text and "https://example.org/toyset" in text
    assert "train.npz" in text and "images/*.png" in text and "Nothing is downloaded" in text


def test_partial_copy_names_what_is_missing(tmp_path, monkeypatch):
    make_toyset(tmp_path / "toyset")
    (tmp_path / "toyset" / "images" / "0.png").unlink()
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=r"toyset does not hold Toy set .*nothing matches images/\*\.png"):
        dataset_root(SPEC)


def test_reading_names_the_broken_file(tmp_path):
    path = tmp_path / "train.npz"
    np.savez(path, x=np.zeros((100, 100)))
    path.write_bytes(path.read_bytes()[:200])  # a truncated archive
    with pytest.raises(DatasetError, match=rf"{path}: cannot be read as expected \(part of Toy set"):
        with reading(path, SPEC):
            np.load(path)["x"]
    with pytest.raises(DatasetError, match=r"x\.npy: expected 3 channels, got 2; the file is not in"):
        require(False, "x.npy", "expected 3 channels, got 2")


def test_zoo_data_lists_found_and_missing(site, only_plugins, tmp_path, monkeypatch, capsys, no_root):
    site("zoo-toydata", PLUGIN)
    only_plugins("zoo-toydata")
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert "data root: not set" in out
    assert "missing  toyset" in out and "https://example.org/toyset" in out and "toyset/train.npz" in out
    make_toyset(tmp_path / "root" / "toyset")
    assert main(["data", "--data", str(tmp_path / "root"), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["found"] == str(tmp_path / "root" / "toyset") and row["plugin"] == "zoo-toydata"


def test_data_option_must_be_a_folder(tmp_path, capsys):
    assert main(["data", "--data", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("zoo: error: --data") and "no such folder" in err and len(err.splitlines()) == 1


def test_train_eval_and_bench_take_data(capsys):
    for command in ("train", "eval", "bench"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--data DIR" in capsys.readouterr().out


def test_a_broken_declaration_costs_its_own_row(site, only_plugins, tmp_path, capsys, no_root):
    site("zoo-toydata", PLUGIN)
    site("zoo-baddata", '''
from zoo_core import hookimpl

@hookimpl
def zoo_datasets():
    return {"broken": "zoo_baddata_specs:SPEC"}
''')
    (tmp_path / "site" / "zoo_baddata_specs.py").write_text("SPEC = (\n")  # does not parse
    only_plugins("zoo-toydata", "zoo-baddata")
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert "missing  toyset" in out
    assert "broken   broken" in out and "cannot be imported (SyntaxError" in out

"""The paper datasets from a local copy: SAT-Net and RRN Sudoku, CIFAR-10.

Each test writes a tiny fixture in the official on-disk layout (torch-saved one-hot tensors for
SAT-Net, the RRN CSV, CIFAR-10's pickled python batches) and runs ``zoo train NAME --data DIR
--steps 2`` and ``zoo eval NAME --data DIR --weights RUN --limit 2`` in-process through
``zoo_core.cli.main``, through the loaders a real copy goes through. The official architectures
(ch 512 for Sudoku, ~7 M parameters at batch 128 for CIFAR-10) are too slow for two CPU steps, so
the catalog entries are the real ones with a smaller ``config`` and ``train.batch_size`` (a
registry file written by the test); names, tasks, recipes and every other setting are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest
import torch
import yaml

from zoo_core import api
from zoo_core.cli import main
from zoo_core.data import DATA_ENV, DatasetError
from zoo_akorn.data.sudoku import make_puzzle, to_onehot

SMALL = {  # name: (config overrides, train overrides)
    "akorn-sudoku": ({"ch": 16, "heads": 2, "T": 2}, {"batch_size": 4}),
    "itrsa-sudoku": ({"ch": 16, "heads": 2, "mlp_dim": 32, "T": 2}, {"batch_size": 4}),
    "akorn-conv-cifar10": ({"ch": 8, "T": 1, "ksizes": [3, 3, 3]}, {"batch_size": 4}),
}


@pytest.fixture
def small_catalog(tmp_path, monkeypatch):
    """The entries of SMALL as in the catalog, but small; only this plugin loaded."""
    import zoo

    entries = {}
    for name, (config, train) in SMALL.items():
        entry = zoo.entry(name).to_dict()
        entry["config"].update(config)
        entry["train"].update(train)
        entries[name] = entry
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(entries))
    monkeypatch.setenv("ZOO_REGISTRY", str(path))
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "akorn")
    monkeypatch.setenv(DATA_ENV, "")  # recorded, so `--data` (which sets it) is undone after the test
    monkeypatch.setattr(api, "_registry", None)
    yield entries
    api._registry = None


# --- fixtures in the official layouts ---------------------------------------------------------

def write_satnet(folder, n=10_000, *, shape=(9, 9, 9)):
    """features.pt / labels.pt / perm.pt as SAT-Net's sudoku.zip holds them: one-hot boards and
    solutions; the first 4 of each split are real puzzles, the rest random (nothing reads them)."""
    folder.mkdir(parents=True)
    g = torch.Generator().manual_seed(0)
    labels = torch.nn.functional.one_hot(torch.randint(0, 9, (n, 9, 9), generator=g), 9).float()
    features = labels * (torch.rand(n, 9, 9, 1, generator=g) < 0.4)
    rng = np.random.default_rng(0)
    for i in [*range(4), *range(9000, 9004)]:
        if i < n:
            puzzle, solution = make_puzzle(rng, givens=36)
            features[i], labels[i] = to_onehot(puzzle), to_onehot(solution)
    torch.save(features.reshape(n, *shape), folder / "features.pt")
    torch.save(labels, folder / "labels.pt", _use_new_zipfile_serialization=False)  # 2019's format
    torch.save(torch.randperm(81, generator=g), folder / "perm.pt")
    return features, labels


def write_rrn(folder, n=3):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    rows = []
    for _ in range(n):
        puzzle, solution = make_puzzle(rng, givens=30)
        rows.append(f"{''.join(map(str, puzzle.ravel()))},{''.join(map(str, solution.ravel()))}")
    (folder / "test.csv").write_text("\n".join(rows) + "\n")
    return rows


def write_cifar10(folder, monkeypatch, n=4):
    """cifar-10-batches-py as the python tarball unpacks (pickled dicts), and torchvision's expected
    MD5s set to the fixture's own (everything else about the torchvision loader is unchanged)."""
    from torchvision.datasets import CIFAR10

    batches = folder / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    rng = np.random.default_rng(2)
    md5 = {}
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        entry = {"batch_label": name, "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, n).tolist(), "filenames": [f"{i}.png" for i in range(n)]}
        (batches / name).write_bytes(pickle.dumps(entry, protocol=2))
    (batches / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)],
                                                         "num_cases_per_batch": n, "num_vis": 3072}, protocol=2))
    for path in batches.iterdir():
        md5[path.name] = hashlib.md5(path.read_bytes()).hexdigest()
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    return batches


def train_and_eval(name, data, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", name, "--data", str(data), "--steps", "2", "--out", str(run), "--no-progress"]) == 0, \
        capsys.readouterr().err
    capsys.readouterr()
    assert main(["eval", name, "--data", str(data), "--weights", str(run), "--limit", "2", "--json"]) == 0, \
        capsys.readouterr().err
    return json.loads(capsys.readouterr().out), (run / "README.md").read_text()


# --- end to end -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["akorn-sudoku", "itrsa-sudoku"])
def test_sudoku_trains_on_satnet_and_scores_id_and_ood(name, small_catalog, tmp_path, capsys):
    write_satnet(tmp_path / "data" / "sudoku-satnet")
    write_rrn(tmp_path / "data" / "sudoku-rrn")
    results, card = train_and_eval(name, tmp_path / "data", tmp_path, capsys)
    scores = results.get("results", results)
    assert set(scores) >= {"board_accuracy", "cell_accuracy", "board_accuracy_ood", "cell_accuracy_ood"}
    assert all(0 <= scores[k] <= 1 for k in ("board_accuracy", "cell_accuracy", "board_accuracy_ood"))
    assert "SAT-Net Sudoku boards 0-8999" in card


def test_cifar10_trains_and_scores_clean_accuracy(small_catalog, tmp_path, capsys, monkeypatch):
    write_cifar10(tmp_path / "data" / "cifar10", monkeypatch)
    results, card = train_and_eval("akorn-conv-cifar10", tmp_path / "data", tmp_path, capsys)
    assert set(results.get("results", results)) == {"accuracy"}
    assert results.get("results", results)["accuracy"] in (0.0, 0.5, 1.0)  # 2 images
    assert "CIFAR-10 training set" in card and "AugMix" in card


# --- the readers read what was written --------------------------------------------------------

def test_satnet_split_is_the_official_one(tmp_path, monkeypatch):
    from zoo_akorn.tasks.sudoku import SudokuSATNet

    features, labels = write_satnet(tmp_path / "sudoku-satnet")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    task = SudokuSATNet()
    train, test = task.dataset("train"), task.dataset("test")
    assert (len(train), len(test)) == (9000, 1000)
    assert torch.equal(test.boards, features[9000:]) and torch.equal(train.solutions, labels[:9000])


def test_rrn_rows_become_onehot_boards(tmp_path, monkeypatch):
    from zoo_akorn.data.sudoku_files import rrn_boards

    rows = write_rrn(tmp_path / "sudoku-rrn")
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "sudoku-rrn"))  # --data pointing at the dataset itself
    boards = rrn_boards("test")
    quiz, solution = rows[1].split(",")
    digits = lambda t: (t.argmax(-1) + 1) * (t.sum(-1) > 0)  # noqa: E731
    assert "".join(map(str, digits(boards.boards[1]).ravel().tolist())) == quiz
    assert "".join(map(str, digits(boards.solutions[1]).ravel().tolist())) == solution


def test_cifar10_reader_gives_the_pickled_pixels(tmp_path, monkeypatch):
    from zoo_akorn.data.cifar10 import cifar10_split

    batches = write_cifar10(tmp_path / "cifar10", monkeypatch)
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    test = cifar10_split("test")
    entry = pickle.loads((batches / "test_batch").read_bytes())
    image, label = test[3]
    assert len(test) == 4 and label == entry["labels"][3]
    assert torch.equal(image, torch.from_numpy(entry["data"][3].reshape(3, 32, 32)))


# --- faults: each error names the file --------------------------------------------------------

def _train_error(name, data, out, capsys) -> str:
    assert main(["train", name, "--data", str(data), "--steps", "1", "--out", str(out), "--no-progress"]) == 1
    return capsys.readouterr().err


def test_missing_file_is_named(small_catalog, tmp_path, capsys):
    write_satnet(tmp_path / "sudoku-satnet")
    (tmp_path / "sudoku-satnet" / "labels.pt").unlink()
    err = _train_error("akorn-sudoku", tmp_path, tmp_path / "run", capsys)
    assert "labels.pt" in err and "powei.tw/sudoku.zip" in err and "Traceback" not in err


def test_truncated_tensor_file_is_named(tmp_path, monkeypatch):
    from zoo_akorn.data.sudoku_files import satnet_boards

    write_satnet(tmp_path / "sudoku-satnet")
    path = tmp_path / "sudoku-satnet" / "features.pt"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=r"features\.pt: cannot be read.*file is complete"):
        satnet_boards("test")


def test_wrong_shape_and_too_few_boards_are_named(tmp_path, monkeypatch):
    from zoo_akorn.data.sudoku_files import satnet_boards

    write_satnet(tmp_path / "a" / "sudoku-satnet", n=10_000, shape=(81, 9))
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "a"))
    with pytest.raises(DatasetError, match=r"features\.pt: boards have shape \(10000, 81, 9\), expected one-hot"):
        satnet_boards("train")
    write_satnet(tmp_path / "b" / "sudoku-satnet", n=9500)
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "b"))
    with pytest.raises(DatasetError, match=r"features\.pt: holds 9500 boards; the official split needs 10,000"):
        satnet_boards("test")


def test_pickled_code_is_refused_not_run(tmp_path, monkeypatch):
    """torch.load(weights_only=True): a .pt that would call a function when unpickled is refused."""
    from zoo_akorn.data.sudoku_files import satnet_boards

    write_satnet(tmp_path / "sudoku-satnet")
    marker = tmp_path / "ran"
    torch.save({"x": _Payload(str(marker))}, tmp_path / "sudoku-satnet" / "perm.pt")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=r"perm\.pt: cannot be read"):
        satnet_boards("test")
    assert not marker.exists()


class _Payload:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_bad_rrn_line_is_named(tmp_path, monkeypatch):
    from zoo_akorn.data.sudoku_files import rrn_boards

    rows = write_rrn(tmp_path / "sudoku-rrn")
    (tmp_path / "sudoku-rrn" / "test.csv").write_text(rows[0] + "\n" + rows[1][1:] + "\n")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=r"test\.csv: line 2: the quiz must be 81 digits"):
        rrn_boards("test")


def test_truncated_cifar_batch_is_named(tmp_path, monkeypatch):
    from zoo_akorn.data.cifar10 import cifar10_split

    batches = write_cifar10(tmp_path / "cifar10", monkeypatch)
    data = (batches / "data_batch_3").read_bytes()
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert len(cifar10_split("test")) == 4
    (batches / "data_batch_3").write_bytes(data[: len(data) // 2])
    for split in ("train", "test"):  # torchvision checks all batches for either split
        with pytest.raises(DatasetError, match=r"data_batch_3: its MD5 is not the official"):
            cifar10_split(split)


def test_zoo_data_lists_the_three_datasets(small_catalog, tmp_path, capsys, monkeypatch):
    write_rrn(tmp_path / "sudoku-rrn")
    assert main(["data", "--data", str(tmp_path), "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert {"sudoku-satnet", "sudoku-rrn", "cifar10"} <= set(rows)
    assert rows["sudoku-rrn"]["found"] == str(tmp_path / "sudoku-rrn") and rows["sudoku-satnet"]["found"] is None
    assert rows["cifar10"]["layout"][0] == "cifar-10-batches-py/data_batch_1"

"""SAT-Net Sudoku and RRN sudoku-hard from a local copy, in the layouts the official AKOrN code reads.

* ``sudoku-satnet`` (Wang et al., 2019; official ``data/download_satnet.sh``): ``features.pt`` and
  ``labels.pt``, one-hot boards and solutions ``[10000, 9, 9, 9]`` (blank = all zeros), and
  ``perm.pt``. The official split (``SudokuDataset``): boards 0-8999 train, 9000-9999 test (ID).
* ``sudoku-rrn`` (Palm et al., 2018; official ``data/download_rrn.sh`` unpacks ``sudoku-hard``):
  ``test.csv`` (also ``train.csv``, ``valid.csv``), one puzzle a line, ``quiz,solution`` as two
  81-digit strings with ``0`` for blank (``load_rrn_dataset``). ``test.csv`` is the OOD test set.

The ``.pt`` files are read with ``torch.load(weights_only=True)``: tensors only, no code runs.
This module imports no torch at import time (``zoo data`` reads the specs).

Example::

    boards = satnet_boards("test")          # SudokuBoards: boards[i] -> (board, solution) [9, 9, 9]
    board, solution = boards.tensors(100)   # the first 100, stacked [100, 9, 9, 9]
"""

from __future__ import annotations

import csv
from pathlib import Path

from zoo_core.data import DatasetError, DatasetSpec, dataset_root, reading, require

SATNET = DatasetSpec(
    name="sudoku-satnet", title="SAT-Net Sudoku (Wang et al., ICML 2019)",
    url="https://powei.tw/sudoku.zip (github.com/locuslab/SATNet; AKOrN data/download_satnet.sh)",
    layout=("features.pt", "labels.pt", "perm.pt"),
    note="unzip sudoku.zip; its sudoku/ folder is this dataset: rename it sudoku-satnet, or list it in ZOO_DATA "
         "itself (ZOO_DATA=data:data/sudoku; --data sudoku/ for the SAT-Net split alone)")

RRN = DatasetSpec(
    name="sudoku-rrn", title="RRN sudoku-hard (Palm et al., NeurIPS 2018)",
    url="https://www.dropbox.com/s/rp3hbjs91xiqdgc/sudoku-hard.zip?dl=1 (AKOrN data/download_rrn.sh)",
    layout=("test.csv",),
    note="unzip sudoku-hard.zip; its sudoku-hard/ folder is this dataset (the official script renames it sudoku-rrn)")

SATNET_SPLITS = {"train": (0, 9000), "test": (9000, 10000)}  # official SudokuDataset(train=True/False)
RRN_SPLITS = {"train": "train.csv", "valid": "valid.csv", "test": "test.csv"}  # official load_rrn_dataset


class SudokuBoards:
    """Boards and solutions, one-hot ``[N, 9, 9, 9]`` float (blank = all zeros); item ``i`` is ``(board, solution)``."""

    def __init__(self, boards, solutions) -> None:
        self.boards, self.solutions = boards, solutions

    def __len__(self) -> int:
        return len(self.boards)

    def __getitem__(self, i):
        return self.boards[i], self.solutions[i]

    def tensors(self, n: int | None = None):
        """The first ``n`` (default all) boards and solutions."""
        return self.boards[:n], self.solutions[:n]


def _load(path: Path, *, tensor: bool = True):
    """``torch.load(weights_only=True)``: tensors and plain containers only; nothing pickled is run."""
    import torch

    with reading(path, SATNET):
        value = torch.load(path, map_location="cpu", weights_only=True)
    require(not tensor or isinstance(value, torch.Tensor), path, f"holds a {type(value).__name__}, not a tensor",
            SATNET)
    return value


def _check_onehot(x, path: Path, what: str, *, complete: bool) -> None:
    require(x.dim() == 4 and tuple(x.shape[1:]) == (9, 9, 9), path,
            f"{what} have shape {tuple(x.shape)}, expected one-hot [N, 9, 9, 9]", SATNET)
    sums = x.sum(-1)
    ok = bool(((x == 0) | (x == 1)).all()) and bool((sums == 1).all() if complete else (sums <= 1).all())
    require(ok, path, f"{what} are not one-hot over the last axis (0/1 values, "
            f"{'exactly one' if complete else 'at most one'} digit per cell)", SATNET)


def satnet_boards(split: str) -> SudokuBoards:
    """SAT-Net boards of ``split`` (``train``: 0-8999, ``test``: 9000-9999), read from the local copy."""
    if split not in SATNET_SPLITS:
        raise ValueError(f"unknown SAT-Net split {split!r}; expected one of {sorted(SATNET_SPLITS)}")
    folder = dataset_root(SATNET)
    features, labels = _load(folder / "features.pt"), _load(folder / "labels.pt")
    _load(folder / "perm.pt", tensor=False)  # read by the official loader too (unused by AKOrN): must be intact
    _check_onehot(features, folder / "features.pt", "boards", complete=False)
    _check_onehot(labels, folder / "labels.pt", "solutions", complete=True)
    end = SATNET_SPLITS["test"][1]
    require(len(features) >= end, folder / "features.pt",
            f"holds {len(features)} boards; the official split needs {end:,} (0-8999 train, 9000-9999 test)", SATNET)
    require(labels.shape == features.shape, folder / "labels.pt",
            f"has shape {tuple(labels.shape)}, but features.pt has {tuple(features.shape)}", SATNET)
    lo, hi = SATNET_SPLITS[split]
    return SudokuBoards(features[lo:hi].float(), labels[lo:hi].float())


def _digits(text: str, path: Path, line: int, what: str, *, blanks: bool):
    ok = len(text) == 81 and text.isdigit() and (blanks or "0" not in text)
    require(ok, path, f"line {line}: the {what} must be 81 digits{' (0 = blank)' if blanks else ' 1-9'}, "
            f"got {text[:90]!r}", RRN)
    return [int(ch) for ch in text]


def rrn_boards(split: str = "test") -> SudokuBoards:
    """RRN sudoku-hard puzzles of ``split`` (``test``: the OOD test set; ``valid``, ``train``), from the local copy."""
    import torch

    from zoo_akorn.data.sudoku import to_onehot

    if split not in RRN_SPLITS:
        raise ValueError(f"unknown RRN split {split!r}; expected one of {sorted(RRN_SPLITS)}")
    path = dataset_root(RRN) / RRN_SPLITS[split]
    if not path.is_file():
        raise DatasetError(f"{path}: not found; the RRN {split} split is {RRN_SPLITS[split]} in sudoku-hard.zip "
                           f"({RRN.url})")
    quizzes, solutions = [], []
    with reading(path, RRN), open(path, newline="") as f:
        for line, row in enumerate(csv.reader(f), 1):
            require(len(row) == 2, path, f"line {line}: expected 2 fields quiz,solution, got {len(row)}", RRN)
            quizzes.append(_digits(row[0].strip(), path, line, "quiz", blanks=True))
            solutions.append(_digits(row[1].strip(), path, line, "solution", blanks=False))
    require(len(quizzes) > 0, path, "holds no puzzles", RRN)
    return SudokuBoards(to_onehot(torch.tensor(quizzes).view(-1, 9, 9)),
                        to_onehot(torch.tensor(solutions).view(-1, 9, 9)))


__all__ = ["SATNET", "RRN", "SudokuBoards", "satnet_boards", "rrn_boards"]

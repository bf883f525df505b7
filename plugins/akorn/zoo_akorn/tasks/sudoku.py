"""Sudoku: board accuracy of the official ``eval_sudoku.py`` on generated puzzles and on the paper's
SAT-Net (ID) and RRN sudoku-hard (OOD) boards from a local copy.

A board is solved iff the argmax digit of every blank cell equals the solution. AKOrN is
run with test-time extension ``T`` and ``K``-sample energy voting (lowest energy wins).

Example::

    task = SudokuGenerated()
    task.evaluate(model, split="hard", limit=100, T=128, K=8)   # {"board_accuracy": ..., "cell_accuracy": ...}
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def board_accuracy(logits: Tensor, board: Tensor, solution: Tensor) -> Tensor:
    """Per-board correctness ``[B]`` (bool): all blank cells predicted right."""
    blank = board.sum(-1) == 0
    correct = logits.argmax(-1) == solution.argmax(-1)
    return (correct | ~blank).flatten(1).all(1)


class SudokuGenerated:
    """Generated puzzles: ``train`` / ``test`` (36 givens, SAT-Net-like) and ``hard`` (17-34 givens, RRN-like)."""

    name = "sudoku/generated"

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def dataset(self, split: str):
        """``train`` (9000 puzzles), ``test`` (1000) or ``hard`` (1000, 17 to 34 givens evenly, as in the
        RRN test set; a puzzle whose removals stop early at uniqueness keeps more); disjoint seeds."""
        from zoo_akorn.data.sudoku import SudokuPuzzles

        splits = {"train": (9000, 0, 36), "test": (1000, 1, 36), "hard": (1000, 2, (17, 34))}
        if split not in splits:
            raise ValueError(f"unknown split {split!r}; expected one of {sorted(splits)}")
        size, offset, givens = splits[split]
        return SudokuPuzzles(size=size, seed=1000 * self.seed + offset, givens=givens)

    def evaluate(self, model: nn.Module, *, limit: int | None = None, seed: int = 0, split: str = "test",
                 T: int | None = None, K: int = 1, energy: str = "last", batch_size: int = 100) -> dict[str, float]:
        """Board accuracy (all blank cells right) and blank-cell accuracy, in [0, 1], on the first
        ``limit`` boards of ``split`` (default all 1,000); ``T`` steps (default: the model's),
        ``K`` random starts with energy voting (AKOrN only; with ``K > 1`` also
        ``board_accuracy_any_of_k``, boards solved by at least one start); randomness seeded by ``seed``."""
        check_settings(model, limit, K)
        boards, solutions = self.dataset(split).tensors(limit)
        return score_boards(model, boards, solutions, seed=seed, T=T, K=K, energy=energy, batch_size=batch_size)


class SudokuSATNet(SudokuGenerated):
    """The paper's Sudoku from a local copy: SAT-Net boards (``train`` 0-8999, ``test`` 9000-9999: ID) and
    the RRN sudoku-hard test set (``ood``), scored as the official ``eval_sudoku.py --data id|ood``."""

    name = "sudoku/satnet"
    datasets = ("sudoku-satnet", "sudoku-rrn")

    def dataset(self, split: str):
        """``train`` / ``test`` (SAT-Net, ``features.pt`` + ``labels.pt``) or ``ood`` (RRN ``test.csv``)."""
        from zoo_akorn.data.sudoku_files import rrn_boards, satnet_boards

        if split == "ood":
            return rrn_boards("test")
        if split not in ("train", "test"):
            raise ValueError(f"unknown split {split!r}; expected 'train', 'test' (SAT-Net, ID) or 'ood' (RRN)")
        return satnet_boards(split)

    def evaluate(self, model: nn.Module, *, limit: int | None = None, seed: int = 0,
                 split: str | list[str] = ("test", "ood"), **settings) -> dict[str, float]:
        """The scores of :meth:`SudokuGenerated.evaluate` on each split of ``split`` (default the paper's
        ID and OOD sets), the first ``limit`` boards of each; ``ood`` keys end in ``_ood``
        (``board_accuracy`` is ID, ``board_accuracy_ood`` is OOD)."""
        check_settings(model, limit, settings.get("K", 1))
        out = {}
        for name in [split] if isinstance(split, str) else split:
            boards, solutions = self.dataset(name).tensors(limit)
            suffix = "" if name == "test" else f"_{name}"
            scores = score_boards(model, boards, solutions, seed=seed, **settings)
            out.update({f"{key}{suffix}": value for key, value in scores.items()})
        return out


def check_settings(model: nn.Module, limit: int | None, K: int) -> None:
    """Refuse a non-positive ``limit`` and energy voting (``K > 1``) for a model without ``solve()``."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of boards, got {limit}")
    if K > 1 and not hasattr(model, "solve"):
        raise ValueError(f"K={K}: energy voting needs a model with solve() (AKOrN); {type(model).__name__} has none")


@torch.no_grad()
def score_boards(model: nn.Module, boards: Tensor, solutions: Tensor, *, seed: int = 0, T: int | None = None,
                 K: int = 1, energy: str = "last", batch_size: int = 100) -> dict[str, float]:
    """Board and blank-cell accuracy of ``model`` on one-hot ``boards`` / ``solutions`` ``[N, 9, 9, 9]``."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    hits, any_hits, cells, blanks = 0, 0, 0, 0
    for start in range(0, len(boards), batch_size):
        board, solution = boards[start:start + batch_size], solutions[start:start + batch_size]
        if hasattr(model, "solve"):
            logits, runs = model.solve(board, T=T, K=K, energy=energy, generator=g, return_all=True)
            any_hits += int(torch.stack([board_accuracy(r, board, solution) for r in runs]).any(0).sum())
        else:
            logits = model(board, T=T)
        hits += int(board_accuracy(logits, board, solution).sum())
        blank = board.sum(-1) == 0
        cells += int(((logits.argmax(-1) == solution.argmax(-1)) & blank).sum())
        blanks += int(blank.sum())
    out = {"board_accuracy": round(hits / len(boards), 6), "cell_accuracy": round(cells / max(blanks, 1), 6)}
    if K > 1:  # how often any of the K starts solved the board: the ceiling for energy voting
        out["board_accuracy_any_of_k"] = round(any_hits / len(boards), 6)
    return out


__all__ = ["SudokuGenerated", "SudokuSATNet", "board_accuracy", "score_boards"]

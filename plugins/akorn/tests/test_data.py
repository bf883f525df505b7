"""Generators: deterministic under a seed; masks and solutions valid."""

import numpy as np
import pytest
import torch

from zoo_akorn.data.sudoku import SudokuPuzzles, count_solutions, full_grid
from zoo_akorn.data.tetrominoes import SHAPES, TetrominoesStyle


def test_tetrominoes_scenes():
    assert len(SHAPES) == 19 and all(len(s) == 4 for s in SHAPES)
    ds = TetrominoesStyle(size=5, seed=3)
    for i in range(5):
        image, mask = ds[i]
        assert image.shape == (3, 32, 32) and mask.shape == (32, 32)
        assert set(mask.unique().tolist()) == {0, 1, 2, 3}
        for k in (1, 2, 3):
            assert int((mask == k).sum()) == 4 * 4 * 4  # 4 blocks of 4x4 pixels
            colour = image[:, mask == k]
            assert (colour == colour[:, :1]).all() and colour.sum() > 0
        assert (image[:, mask == 0] == 0).all()
    a, b = TetrominoesStyle(size=2, seed=3)[1], TetrominoesStyle(size=2, seed=3)[1]
    assert torch.equal(a[0], b[0]) and not torch.equal(a[1], TetrominoesStyle(size=2, seed=4)[1][1])
    with pytest.raises(IndexError):
        ds[5]


def test_sudoku_grids_and_unique_puzzles():
    grid = full_grid(np.random.default_rng(0))
    for axis_view in (grid, grid.T, grid.reshape(3, 3, 3, 3).transpose(0, 2, 1, 3).reshape(9, 9)):
        assert all(sorted(row) == list(range(1, 10)) for row in axis_view)
    ds = SudokuPuzzles(size=3, seed=0, givens=30)
    for i in range(3):
        board, solution = ds[i]
        digits = (board.argmax(-1) + 1) * board.sum(-1).long()
        assert int((digits > 0).sum()) >= 30
        assert count_solutions(digits.numpy()) == 1
        given = board.sum(-1) > 0
        assert torch.equal(board.argmax(-1)[given], solution.argmax(-1)[given])
    assert torch.equal(ds[1][0], SudokuPuzzles(size=3, seed=0, givens=30)[1][0])
    with pytest.raises(ValueError):
        SudokuPuzzles(givens=10)


def test_sudoku_givens_range_spreads_targets():
    """The RRN-like hard split draws each puzzle's givens from a range; every puzzle stays unique."""
    ds = SudokuPuzzles(size=12, seed=3, givens=(20, 34))
    counts = []
    for i in range(len(ds)):
        digits = (ds[i][0].argmax(-1) + 1) * ds[i][0].sum(-1).long()
        counts.append(int((digits > 0).sum()))
        assert count_solutions(digits.numpy()) == 1
    assert min(counts) >= 20 and len(set(counts)) > 3, counts
    with pytest.raises(ValueError, match="range"):
        SudokuPuzzles(givens=(30, 20))


def test_count_solutions_detects_ambiguity():
    grid = full_grid(np.random.default_rng(1))
    assert count_solutions(grid) == 1
    empty = np.zeros((9, 9), dtype=int)
    assert count_solutions(empty, limit=2) == 2
    bad = grid.copy()
    bad[0, 0] = bad[0, 1]
    assert count_solutions(bad) == 0

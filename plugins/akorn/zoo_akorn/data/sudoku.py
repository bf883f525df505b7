"""Sudoku puzzles with unique solutions, generated procedurally ("sudoku (generated)").

Stands in for SAT-Net's boards (about 36 given cells; in-distribution) and the harder
RRN boards (17 to 34 givens, evenly spread; out-of-distribution), which cannot be
downloaded here. ``givens`` is one number or an inclusive range ``(lo, hi)`` from which
each puzzle draws its own target. A full grid comes from a randomly relabelled and permuted base pattern;
givens are removed in random order while the solution stays unique (checked with a
bitmask backtracking solver that stops at two solutions).

Example::

    ds = SudokuPuzzles(size=4, seed=0, givens=36)
    board, solution = ds[0]   # one-hot [9, 9, 9] (all-zero = blank), one-hot [9, 9, 9]
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from torch.utils.data import Dataset


def full_grid(rng: np.random.Generator) -> np.ndarray:
    """A random complete Sudoku grid ``[9, 9]`` with digits 1..9."""
    base = np.array([[(3 * (r % 3) + r // 3 + c) % 9 for c in range(9)] for r in range(9)])
    bands, stacks = rng.permutation(3), rng.permutation(3)
    rows = np.concatenate([b * 3 + rng.permutation(3) for b in bands])
    cols = np.concatenate([s * 3 + rng.permutation(3) for s in stacks])
    grid = base[rows][:, cols]
    if rng.random() < 0.5:
        grid = grid.T
    return rng.permutation(9)[grid] + 1


def count_solutions(grid: np.ndarray, limit: int = 2) -> int:
    """Number of completions of ``grid`` (0 = blank), counting up to ``limit``."""
    g = [int(v) for v in grid.reshape(-1)]
    rows, cols, boxes = [0] * 9, [0] * 9, [0] * 9
    blanks = []
    for i, v in enumerate(g):
        r, c = divmod(i, 9)
        if v:
            bit = 1 << v
            if rows[r] & bit or cols[c] & bit or boxes[r // 3 * 3 + c // 3] & bit:
                return 0
            rows[r] |= bit; cols[c] |= bit; boxes[r // 3 * 3 + c // 3] |= bit  # noqa: E702
        else:
            blanks.append(i)

    def solve(k: int) -> int:
        """Count completions of blanks[k:] (most constrained cell first)."""
        if k == len(blanks):
            return 1
        # most constrained blank first
        best, best_free = None, None
        for j in range(k, len(blanks)):
            r, c = divmod(blanks[j], 9)
            free = ~(rows[r] | cols[c] | boxes[r // 3 * 3 + c // 3]) & 0x3FE
            if best is None or bin(free).count("1") < bin(best_free).count("1"):
                best, best_free = j, free
                if free == 0:
                    return 0
        blanks[k], blanks[best] = blanks[best], blanks[k]
        r, c = divmod(blanks[k], 9)
        b = r // 3 * 3 + c // 3
        total = 0
        free = best_free
        while free and total < limit:
            bit = free & -free
            free ^= bit
            rows[r] |= bit; cols[c] |= bit; boxes[b] |= bit  # noqa: E702
            total += solve(k + 1)
            rows[r] ^= bit; cols[c] ^= bit; boxes[b] ^= bit  # noqa: E702
        blanks[k], blanks[best] = blanks[best], blanks[k]
        return total

    return solve(0)


def make_puzzle(rng: np.random.Generator, *, givens: int = 36) -> tuple[np.ndarray, np.ndarray]:
    """``(puzzle, solution)`` as ``[9, 9]`` digit grids (0 = blank); the puzzle has a unique
    solution and ``givens`` given cells, or fewer removals if uniqueness stops earlier."""
    solution = full_grid(rng)
    puzzle = solution.copy()
    for i in rng.permutation(81):
        if (puzzle > 0).sum() <= givens:
            break
        r, c = divmod(int(i), 9)
        keep = puzzle[r, c]
        puzzle[r, c] = 0
        if count_solutions(puzzle) != 1:
            puzzle[r, c] = keep
    return puzzle, solution


def to_onehot(grid: np.ndarray) -> torch.Tensor:
    """``[9, 9]`` digits (0 = blank) -> one-hot ``[9, 9, 9]`` float (blank = all zeros)."""
    g = torch.as_tensor(grid, dtype=torch.long)
    return torch.nn.functional.one_hot(g.clamp(min=1) - 1, 9).float() * (g > 0)[..., None]


class SudokuPuzzles(Dataset):
    """``size`` deterministic puzzles (puzzle ``i`` depends only on ``(seed, i)``)."""

    def __init__(self, *, size: int = 1000, seed: int = 0, givens: int | tuple[int, int] = 36) -> None:
        lo, hi = (givens, givens) if isinstance(givens, int) else givens
        if not 17 <= lo <= hi <= 81:
            raise ValueError(f"givens={givens!r} must be a number or a range (lo, hi) with 17 <= lo <= hi <= 81")
        self.size, self.seed, self.givens = size, seed, givens

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= i < self.size:
            raise IndexError(f"puzzle index {i} out of range [0, {self.size})")
        givens = self.givens
        if not isinstance(givens, int):  # its own stream: the grid does not depend on the range
            givens = int(np.random.default_rng([self.seed, i, 1]).integers(givens[0], givens[1] + 1))
        puzzle, solution = make_puzzle(np.random.default_rng([self.seed, i]), givens=givens)
        return to_onehot(puzzle), to_onehot(solution)

    def tensors(self, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``n`` (default all) puzzles stacked: boards and solutions ``[n, 9, 9, 9]``.

        Generation costs about 16 ms per 36-given puzzle and 120 ms per hardest one, so the
        result is cached per process (keyed by size, seed, givens and ``n``)."""
        n = self.size if n is None else min(n, self.size)
        return _stacked(self.size, self.seed, self.givens, n)


@functools.lru_cache(maxsize=16)
def _stacked(size: int, seed: int, givens: int | tuple[int, int], n: int) -> tuple[torch.Tensor, torch.Tensor]:
    ds = SudokuPuzzles(size=size, seed=seed, givens=givens)
    items = [ds[i] for i in range(n)]
    return torch.stack([b for b, _ in items]), torch.stack([s for _, s in items])


__all__ = ["SudokuPuzzles", "make_puzzle", "full_grid", "count_solutions", "to_onehot"]

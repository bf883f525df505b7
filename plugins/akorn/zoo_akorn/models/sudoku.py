"""AKOrN for Sudoku (arXiv:2410.13821; official ``models/sudoku/knet.py: SudokuAKOrN``).

Dataflow (attribute names in brackets)::

    board one-hot [B, 9, 9, 9] --> digit grid (0 = blank) --> c = [embedding](grid)      [B, 9, 9, C]
    x_0 = c on given cells, N(0, I) on blank cells (``generator``)
    for each block:  states = [blocks.l.kuramoto](x, c; T, [gamma])  attention + GTA on the 9x9 grid,
                                                                     global Omega, no c_norm
                     c = [proj](relu(c + [ff2](relu([ff1](relu(c))))))  with c = [readout](states[-1])
    logits = [out](relu(c))                                                              [B, 9, 9, 9]

Test-time extension: pass a larger ``T``. Energy-based voting: :meth:`SudokuAKOrN.solve`.
``gamma`` is trainable here (as in the official model); ``x0`` is an unused parameter kept
for checkpoint compatibility.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from zoo_core.interfaces import Model

from zoo_akorn.models.kuramoto import KuramotoLayer
from zoo_akorn.models.layers import ReadOut


def onehot_to_digits(board: Tensor) -> Tensor:
    """``[B, 9, 9, 9]`` one-hot board (all-zero = blank) -> ``[B, 9, 9]`` digits 1..9, 0 for blank."""
    given = board.sum(-1)
    return (given * (board.argmax(-1) + 1)).long()


class SudokuBlock(nn.Module):
    """Kuramoto layer and readout (``nl=True``: readout -> residual FF -> ReLU-conv)."""

    def __init__(self, *, kuramoto: KuramotoLayer, ch: int, n: int, nl: bool) -> None:
        super().__init__()
        self.kuramoto = kuramoto
        self.readout = ReadOut(inch=ch, outch=ch, M=n)
        self.nl = nl
        if nl:
            self.ff1, self.ff2, self.proj = nn.Linear(ch, ch), nn.Linear(ch, ch), nn.Linear(ch, ch)

    def read(self, x: Tensor) -> Tensor:
        """The next stimulus ``c`` from the final oscillators ``x`` ``[B, 9, 9, C]``."""
        c = self.readout(x)
        if self.nl:
            c = c + self.ff2(F.relu(self.ff1(F.relu(c))))
            c = self.proj(F.relu(c))
        return c


class SudokuAKOrN(Model):
    """Sudoku solver with Kuramoto oscillators; keyword arguments match the official constructor.

    Example::

        model = SudokuAKOrN(n=4, ch=32, T=2, heads=4)
        board = torch.zeros(1, 9, 9, 9); board[0, 0, 0, 4] = 1
        logits = model(board, generator=torch.Generator().manual_seed(0))   # [1, 9, 9, 9]
    """

    zoo_stochastic = True

    def __init__(
        self,
        *,
        n: int = 4,
        ch: int = 64,
        L: int = 1,
        T: int = 16,
        gamma: float = 1.0,
        J: str = "attn",
        use_omega: bool = True,
        global_omg: bool = True,
        init_omg: float = 0.1,
        learn_omg: bool = False,
        nl: bool = True,
        heads: int = 8,
    ) -> None:
        super().__init__()
        self.n, self.ch, self.L, self.T = n, ch, L, T
        self.embedding = nn.Embedding(10, ch)
        self.blocks = nn.ModuleList(
            SudokuBlock(kuramoto=KuramotoLayer(n=n, ch=ch, J=J, c_norm=None, use_omega=use_omega, hw=(9, 9),
                                               global_omg=global_omg, init_omg=init_omg, heads=heads,
                                               learn_omg=learn_omg, gta=True),
                        ch=ch, n=n, nl=nl)
            for _ in range(L))
        self.out = nn.Linear(ch, 9)
        self.gamma = nn.Parameter(torch.tensor([float(gamma)]))
        self.x0 = nn.Parameter(torch.randn(1, ch, 9, 9))  # unused, as in the official model

    def example_inputs(self, batch_size: int = 2) -> dict:
        """A small valid input: random one-hot boards ``[B, 9, 9, 9]`` with about 35% given cells
        (the oscillators then start from the global RNG; pass ``generator=`` to fix them)."""
        g = torch.Generator().manual_seed(0)
        digits = torch.randint(0, 9, (batch_size, 9, 9), generator=g)
        given = torch.rand(batch_size, 9, 9, 1, generator=g) < 0.35
        return {"board": F.one_hot(digits, 9).float() * given}

    def run(self, board: Tensor, is_input: Tensor | None = None, *, T: int | None = None,
            generator: torch.Generator | None = None, noise: Tensor | None = None) -> dict[str, Any]:
        """All outputs: ``logits`` ``[B, 9, 9, 9]``, ``states`` and ``energies`` (per block ``[T + 1, B]``).

        ``is_input`` (``[B, 9, 9, 1]``, 1 on given cells) defaults to ``board.sum(-1, keepdim=True)``;
        ``noise`` (``[B, 9, 9, C]``) replaces the random initial oscillators on blank cells.
        """
        if board.dim() != 4 or board.shape[1:] != (9, 9, 9):
            raise ValueError(f"SudokuAKOrN expects a one-hot board [B, 9, 9, 9], got shape {tuple(board.shape)}")
        T = self.T if T is None else T
        c = self.embedding(onehot_to_digits(board))                            # [B, 9, 9, C]
        given = (board.sum(-1, keepdim=True) if is_input is None else is_input).to(c.dtype)
        if noise is None:
            # drawn into an NCHW view of NHWC memory: the same numbers as the official
            # ``randn_like`` of its permuted embedding (normal_ on a strided tensor)
            noise = torch.empty_like(c).permute(0, 3, 1, 2).normal_(generator=generator).permute(0, 2, 3, 1)
        x = given * c + (1 - given) * noise
        states, energies = [], []
        for block in self.blocks:
            xs, es = block.kuramoto(x, c, T=T, gamma=self.gamma)
            states.append(xs)
            energies.append(es)
            x = xs[-1]
            c = block.read(x)
        return {"logits": self.out(F.relu(c)), "states": states, "energies": energies}

    def forward(self, board: Tensor, is_input: Tensor | None = None, *, T: int | None = None,
                generator: torch.Generator | None = None) -> Tensor:
        """Digit logits ``[B, 9, 9, 9]`` (last axis: digits 1..9) for a one-hot board."""
        return self.run(board, is_input, T=T, generator=generator)["logits"]

    @torch.no_grad()
    def solve(self, board: Tensor, *, T: int | None = None, K: int = 1, energy: str = "last",
              generator: torch.Generator | None = None, return_all: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """Energy-based voting (official ``eval_sudoku.py``): run ``K`` random initial states per
        board and keep the logits of the run with the lowest energy of the last block
        (``energy="last"``: final step; ``"sum"``: summed over steps).

        Returns logits ``[B, 9, 9, 9]``; with ``return_all=True`` also every run's logits
        ``[K, B, 9, 9, 9]`` (to see how often any start solves a board, i.e. how well the
        energy picks).
        """
        if energy not in ("last", "sum"):
            raise ValueError(f"SudokuAKOrN.solve: energy must be 'last' or 'sum', got {energy!r}")
        best_logits, best_e, runs = None, None, []
        for _ in range(K):
            res = self.run(board, T=T, generator=generator)
            if return_all:
                runs.append(res["logits"])
            es = res["energies"][-1]
            e = es[-1] if energy == "last" else es.sum(0)
            if best_e is None:
                best_logits, best_e = res["logits"], e
            else:
                better = e < best_e
                best_logits = torch.where(better[:, None, None, None], res["logits"], best_logits)
                best_e = torch.where(better, e, best_e)
        return (best_logits, torch.stack(runs)) if return_all else best_logits


__all__ = ["SudokuAKOrN", "SudokuBlock", "onehot_to_digits"]

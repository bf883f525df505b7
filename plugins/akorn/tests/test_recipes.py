"""Training recipes: the SimCLR loss, the augmented pairs, gradient clipping, hook wiring."""

import math

import pytest
import torch

from zoo_akorn.data.augment import SimCLRPairs, crop_box, simclr_view
from zoo_akorn.data.tetrominoes import TetrominoesStyle
from zoo_akorn.recipes import _ClippedAdam, object_discovery, simclr_loss, sudoku


def _simclr_by_hand(a, b, t):
    z = torch.nn.functional.normalize(torch.cat([a, b]), dim=-1)
    n, total = a.shape[0], 0.0
    for r in range(2 * n):
        pos = (r + n) % (2 * n)
        others = [j for j in range(2 * n) if j != r]
        logits = torch.stack([z[r] @ z[j] / t for j in others])
        total += -(z[r] @ z[pos] / t - torch.logsumexp(logits, 0))
    return total / (2 * n)


def test_simclr_loss_matches_definition_and_prefers_aligned_views():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 7, generator=g), torch.randn(5, 7, generator=g)
    torch.testing.assert_close(simclr_loss([a, b], 0.1), _simclr_by_hand(a, b, 0.1))
    aligned = simclr_loss([a, a + 0.01 * b], 0.1)
    assert aligned < simclr_loss([a, b], 0.1) and aligned < 0.1


def test_pairs_are_deterministic_valid_and_differ():
    ds = SimCLRPairs(TetrominoesStyle(size=4, seed=0), seed=3)
    p = ds[1]
    assert p.shape == (2, 3, 32, 32) and 0 <= p.min() and p.max() <= 1
    assert torch.equal(p, ds[1]) and not torch.equal(p[0], p[1])
    assert not torch.equal(p, SimCLRPairs(TetrominoesStyle(size=4, seed=0), seed=4)[1])
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        top, left, h, w = crop_box(32, 32, g)
        assert 0 <= top and top + h <= 32 and 0 <= left and left + w <= 32 and h * w >= 0.08 * 1024 * 0.5
    with pytest.raises(ValueError, match="RGB"):
        simclr_view(torch.rand(1, 32, 32), generator=g)


def test_object_discovery_recipe_trains_a_tiny_akorn():
    from zoo_akorn.models.akorn import AKOrN

    recipe = object_discovery(config={}, steps=3, batch_size=4, lr=1e-3, train_size=8)
    assert (recipe.steps, recipe.batch_size, recipe.ema) == (3, 4, 0.99) and len(recipe.dataset(0)) == 8
    model = AKOrN(n=4, ch=16, L=1, T=2, psize=4, imsize=32, heads=2, c_norm="none", autorescale=False)
    batch = torch.stack([recipe.dataset(0)[i] for i in range(4)])
    loss, _ = recipe.phases[0].loss(model, batch, 0)
    loss.backward()
    assert math.isfinite(loss.item()) and model.patchify.weight.grad.abs().sum() > 0


def test_sudoku_recipe_loss_and_clipping():
    from zoo_akorn.models.sudoku import SudokuAKOrN

    recipe = sudoku(config={}, steps=2, batch_size=2, train_size=3, clip=0.5)
    board, solution = recipe.dataset(0)[0:2]
    model = SudokuAKOrN(n=4, ch=16, T=1, heads=2)
    loss, logs = recipe.phases[0].loss(model, (board, solution), 0)
    assert 0 <= logs["board_acc"] <= 1 and loss.item() > 0
    opt = recipe.phases[0].optimizer([p for p in model.parameters() if p.requires_grad])
    assert isinstance(opt, _ClippedAdam)
    (loss * 1e4).backward()
    opt.step()
    norm = torch.sqrt(sum(p.grad.square().sum() for p in model.parameters() if p.grad is not None))
    assert norm <= 0.5 + 1e-4


def test_sudoku_recipe_givens_mix():
    """``givens=[lo, hi]``: the train split's grids with each puzzle's givens drawn from the range."""
    recipe = sudoku(config={}, steps=1, batch_size=2, train_size=6, givens=[50, 60])
    boards, solutions = recipe.dataset(0)[:]
    counts = boards.sum((1, 2, 3))
    assert ((counts >= 50) & (counts <= 60)).all() and len(set(counts.tolist())) > 1
    plain_boards, plain_solutions = sudoku(config={}, steps=1, batch_size=2, train_size=6).dataset(0)[:]
    assert torch.equal(solutions, plain_solutions) and (plain_boards.sum((1, 2, 3)) == 36).all()
    assert "50-60 givens, drawn per puzzle" in recipe.data


def test_recipes_resolve_through_the_catalog():
    from zoo_core.train import recipe_for

    entry, recipe = recipe_for("akorn-attn-tetrominoes-style", steps=1, batch_size=2)
    assert entry.train["recipe"] == "akorn-simclr" and recipe.steps == 1 and recipe.batch_size == 2
    entry, recipe = recipe_for("akorn-sudoku-ch128", steps=1, train_size=2)
    assert entry.train["recipe"] == "akorn-sudoku" and len(recipe.dataset(0)) == 2

"""Report figures draw PNGs from tiny models (the zoo_figures hook resolves to them)."""

import torch

from zoo_akorn import plugin


def test_figure_hooks_resolve():
    import importlib

    for ref in plugin.zoo_figures().values():
        mod, obj = ref.split(":")
        assert callable(getattr(importlib.import_module(mod), obj))


def test_cluster_overlays(tmp_path):
    from zoo_akorn.figures import cluster_overlays
    from zoo_akorn.models.akorn import AKOrN
    from zoo_akorn.tasks.object_discovery import ObjectDiscoveryTetrominoes

    torch.manual_seed(0)
    model = AKOrN(n=4, ch=16, L=1, T=1, psize=4, imsize=32, heads=2, c_norm="none", autorescale=False)
    [(title, path)] = cluster_overlays(model, ObjectDiscoveryTetrominoes(), tmp_path, name="tiny", n=2)
    assert path.is_file() and path.read_bytes()[:4] == b"\x89PNG" and "clusters" in title


def test_sudoku_accuracy_figure(tmp_path):
    from zoo_akorn.figures import sudoku_accuracy
    from zoo_akorn.models.sudoku import SudokuAKOrN
    from zoo_akorn.tasks.sudoku import SudokuGenerated

    model = SudokuAKOrN(n=4, ch=16, T=1, heads=2)
    [(_, path)] = sudoku_accuracy(model, SudokuGenerated(), tmp_path, name="tiny", boards=2, Ts=(1, 2), Ks=(1, 2))
    assert path.is_file() and path.stat().st_size > 1000


def test_sudoku_figure_is_cheap_in_a_reduced_report(tmp_path):
    """`zoo bench --limit` passes its limit: fewer boards and no long T runs (the demo's budget)."""
    from zoo_akorn.figures import QUICK_BOARDS, QUICK_MAX_K, QUICK_MAX_T, sudoku_accuracy
    from zoo_akorn.models.sudoku import SudokuAKOrN
    from zoo_akorn.tasks.sudoku import SudokuGenerated

    calls = []

    class Recorded(SudokuGenerated):
        def evaluate(self, model, **kwargs):
            calls.append(kwargs)
            return {"board_accuracy": 0.5}

    model = SudokuAKOrN(n=4, ch=16, T=1, heads=2)
    sudoku_accuracy(model, Recorded(), tmp_path, name="tiny")
    full = list(calls)
    assert {c["limit"] for c in full} == {50} and {c["K"] for c in full} == {1, 8}
    assert max(c["T"] for c in full) == 64
    calls.clear()
    sudoku_accuracy(model, Recorded(), tmp_path, name="tiny", limit=256)
    assert {c["limit"] for c in calls} == {QUICK_BOARDS} and max(c["T"] for c in calls) == QUICK_MAX_T
    assert {c["K"] for c in calls} == {1, QUICK_MAX_K}        # still a voting curve
    steps = lambda cs: sum(c["T"] * c["K"] for c in cs)  # noqa: E731 (model steps: what it costs)
    assert steps(calls) * 7 < steps(full)
    calls.clear()
    sudoku_accuracy(model, Recorded(), tmp_path, name="tiny", limit=3)
    assert {c["limit"] for c in calls} == {3}

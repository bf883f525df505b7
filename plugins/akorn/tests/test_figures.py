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

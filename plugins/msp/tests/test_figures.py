"""Report figures: both are drawn as PNG files, the matrices one only for models with M*."""

import pytest
import torch

from zoo_msp import models as Z
from zoo_msp.figures import block_diagonal_transitions, draw, rollouts
from zoo_msp.tasks import AcceleratedSequentialDigitsTask, SequentialDigitsTask


def _is_png(path):
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("task_cls, model_cls", [(SequentialDigitsTask, Z.MSP),
                                                 (AcceleratedSequentialDigitsTask, Z.MSPHigherOrder)])
def test_draw_makes_both_figures(task_cls, model_cls, tiny, tmp_path):
    torch.manual_seed(0)
    drawn = draw(model_cls(**tiny), task_cls(), tmp_path / "figs", name="tiny")
    assert [p.name for _, p in drawn] == ["rollouts.png", "block_diagonalization.png"]
    assert all(_is_png(p) and isinstance(title, str) and title for title, p in drawn)


def test_no_matrix_figure_without_a_transition(tiny, tmp_path):
    model = Z.NeuralTransition(**tiny)
    assert block_diagonal_transitions(model, SequentialDigitsTask(), tmp_path, name="nt") == []
    (title, path), = rollouts(model, SequentialDigitsTask(), tmp_path, name="nt", n_sequences=1)
    assert _is_png(path) and "roll-outs" in title


def test_figures_hook_is_registered_for_both_tasks():
    from zoo_msp import plugin

    assert set(plugin.zoo_figures()) == set(plugin.zoo_tasks())

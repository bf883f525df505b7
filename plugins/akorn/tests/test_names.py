"""Names stay honest: an entry named after a paper dataset has that dataset's task; weights
trained on regenerated data are named for it, and their former names still load them."""

import warnings

import pytest

import zoo
import zoo_core.registry as registry_module
from zoo_core.errors import DeprecatedNameWarning, NoPretrainedWeightsError

MOVED = {"akorn-attn-tetrominoes": "akorn-attn-tetrominoes-style",
         "akorn-conv-tetrominoes": "akorn-conv-tetrominoes-style",
         "itrsa-tetrominoes": "itrsa-tetrominoes-style"}


@pytest.mark.parametrize("name", zoo.list_models(plugin="zoo-akorn", include_unavailable=True))
def test_regenerated_data_is_in_the_name(name):
    task = zoo.entry(name).task
    assert task.endswith("-style") == ("-style" in name), f"{name} has task {task}"


@pytest.mark.parametrize("old, new", sorted(MOVED.items()))
def test_former_name_is_the_paper_architecture_and_still_means_the_weights(old, new, monkeypatch):
    monkeypatch.setattr(registry_module, "_warned", set())
    paper, style = zoo.entry(old), zoo.entry(new)
    assert paper.task == "object-discovery/tetrominoes" and paper.weights is None
    assert style.task == "object-discovery/tetrominoes-style"
    assert (style.weights is None) == bool(style.provenance.get("unpublished"))  # published, or says why not
    assert paper.config == style.config  # the official config, which the weights were trained with
    with pytest.warns(DeprecatedNameWarning, match=f"now live under '{new}'"):
        assert zoo.registry().lookup_weights(old) is style
    assert "DeepMind Tetrominoes" in zoo.registry().deprecation(old)


def test_former_name_of_withdrawn_weights_says_why(monkeypatch):
    monkeypatch.setattr(registry_module, "_warned", set())
    assert zoo.entry("akorn-attn-tetrominoes-style").weights is None
    with pytest.warns(DeprecatedNameWarning), pytest.raises(NoPretrainedWeightsError, match="withdrawn 2026-12-02"):
        zoo.load("akorn-attn-tetrominoes", pretrained=True)


def test_former_aliases_reach_the_renamed_entries(monkeypatch):
    monkeypatch.setattr(registry_module, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert zoo.entry("akorn-tetrominoes").name == "akorn-attn-tetrominoes-style"
        assert zoo.entry("akorn-attn-tetrominoes-ch64").name == "akorn-attn-tetrominoes-style-ch64"
    assert [w.category for w in caught] == [DeprecatedNameWarning, DeprecatedNameWarning]

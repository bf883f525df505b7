"""Names, listing, info, building, loading, saving: the user-facing API."""

import json

import pytest
import torch

import zoo
from zoo_core.errors import (CheckpointError, NoPretrainedWeightsError, PluginNotInstalledError,
                             StateDictMismatchError, UnknownModelError, ZooError)

from conftest import plugin_source, tiny_entry

REGISTRY = """\
akorn-attn-tetrominoes:
  plugin: zoo-akorn-not-installed
  builder: zoo_akorn.models:AKOrN
  task: object-discovery/tetrominoes
  aliases: [akorn-tetrominoes]
"""


@pytest.fixture
def models(site, only_plugins, tmp_path):
    """A plugin with a tiny single-part and a two-part model, and a first-party registry."""
    site("zoo-tiny", plugin_source({
        "tiny-linear-test": tiny_entry(aliases=["tiny-test"], train={"steps": 3},
                                       provenance={"license": "MIT", "paper": "arXiv:0000.00000",
                                                   "citation": "@misc{tiny}"}),
        "tiny-wide-test": tiny_entry(config={"width": 16}, task="other/wide"),
        "tiny-pair-test": tiny_entry(builder="zoo_test_models:Pair"),
    }))
    registry = tmp_path / "registry.yaml"
    registry.write_text(REGISTRY)
    return only_plugins("zoo-tiny", registry_yaml=registry)


def test_list_filters(models):
    assert zoo.list_models() == ["tiny-linear-test", "tiny-pair-test", "tiny-wide-test"]
    assert zoo.list_models("tiny-w*") == ["tiny-wide-test"]
    assert zoo.list_models("tiny-test") == ["tiny-linear-test"]  # alias matches
    assert zoo.list_models(task="other") == ["tiny-wide-test"]
    assert zoo.list_models(task="test/tiny") == ["tiny-linear-test", "tiny-pair-test"]
    assert zoo.list_models(plugin="tiny") == zoo.list_models(plugin="zoo-tiny")
    assert zoo.list_models(pretrained=True) == []
    assert "akorn-attn-tetrominoes" in zoo.list_models(include_unavailable=True)


def test_unknown_name_suggests(models):
    with pytest.raises(UnknownModelError) as info:
        zoo.create("tiny-linaer-test")
    assert "did you mean 'tiny-linear-test'" in str(info.value)
    assert info.value.suggestions[0] == "tiny-linear-test"


def test_path_like_name_explains_prefixes(models):
    with pytest.raises(UnknownModelError, match="local-dir:.*hf-hub:"):
        zoo.load("some/folder")


def test_first_party_plugin_missing_names_package(models):
    with pytest.raises(PluginNotInstalledError, match="pip install zoo-akorn-not-installed"):
        zoo.load("akorn-tetrominoes")  # alias of a first-party entry
    with pytest.raises(UnknownModelError, match="come from 'zoo-akorn-not-installed'"):
        zoo.load("akorn-conv-tetrominoes")


def test_no_weights_explains_options(models):
    with pytest.raises(NoPretrainedWeightsError) as info:
        zoo.load("tiny-linear-test", pretrained=True)
    text = str(info.value)
    assert "zoo.create('tiny-linear-test')" in text and "zoo train tiny-linear-test" in text


def test_no_weights_names_the_stand_in_and_why(site, only_plugins):
    stand_in = {"license": "MIT", "paper": "none", "data": "scenes made here", "stands_in_for": "paper-test"}
    site("zoo-stand", plugin_source({
        "paper-tiny-test": tiny_entry(aliases=["paper-test"]),
        "made-tiny-test": tiny_entry(results={"fg_ari": 0.25, "mbo": 0.5},
                                     provenance={**stand_in, "unpublished": "clusters follow texture"}),
        "other-tiny-test": tiny_entry()}))
    only_plugins("zoo-stand")
    with pytest.raises(NoPretrainedWeightsError) as info:
        zoo.load("paper-test", pretrained=True)
    text = str(info.value)
    assert ("on data made here instead: made-tiny-test (scenes made here), measured by `zoo eval`: fg_ari 0.250, "
            "mbo 0.500\n      not published: clusters follow texture; zoo train made-tiny-test") in text, text
    assert "other-tiny-test" not in text  # no stands_in_for: not named
    with pytest.raises(NoPretrainedWeightsError, match="has no published weights: clusters follow texture"):
        zoo.load("made-tiny-test", pretrained=True)


def test_trained_model_falls_back_to_the_run_folder(models, tmp_path):
    from zoo_core.eval import trained_model

    assert trained_model("tiny-linear-test", tmp_path) is None  # no weights, no run folder
    zoo.create("tiny-linear-test").save_pretrained(tmp_path / "tiny-linear-test")
    model, source = trained_model("tiny-linear-test", tmp_path)
    assert source == str(tmp_path / "tiny-linear-test") and model.zoo_name == "tiny-linear-test"


def test_info_and_cite(models):
    data = zoo.info("tiny-test")
    assert data["name"] == "tiny-linear-test" and data["available"]
    assert data["config"] == {"width": 4} and data["license"] == "MIT"
    assert zoo.cite("tiny-linear-test").startswith("@misc{tiny}")
    assert zoo.info("akorn-attn-tetrominoes")["unavailable_reason"] == "not installed"
    with pytest.raises(ZooError, match="no citation"):
        zoo.cite("tiny-wide-test")


def test_create_sets_identity_and_overrides(models):
    model = zoo.create("tiny-linear-test", width=6)
    assert model.zoo_name == "tiny-linear-test" and model.config == {"width": 6}
    assert model.lin.in_features == 6
    with pytest.raises(ZooError, match="Config keys"):
        zoo.create("tiny-linear-test", nonsense=1)


def test_save_pretrained_round_trip(models, tmp_path):
    model = zoo.create("tiny-linear-test")
    model.save_pretrained(tmp_path / "saved")
    config = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert config["builder"] == "zoo_test_models:Tiny" and config["zoo_name"] == "tiny-linear-test"
    again = zoo.load(f"local-dir:{tmp_path / 'saved'}", dtype=torch.float64)
    assert again.lin.weight.dtype == torch.float64 and not again.training
    assert torch.equal(again.lin.weight.float(), model.lin.weight)


def test_multi_part_components(models, tmp_path):
    model = zoo.create("tiny-pair-test")
    model.save_pretrained(tmp_path / "pair")
    assert sorted(p.name for p in (tmp_path / "pair").iterdir()) == \
        ["config.json", "discriminator.safetensors", "generator.safetensors"]
    gen_only = zoo.load(f"local-dir:{tmp_path / 'pair'}", components=["generator"])
    assert gen_only.discriminator is None
    assert torch.equal(gen_only.generator.weight, model.generator.weight)
    with pytest.raises(ZooError, match="no component"):
        zoo.load(f"local-dir:{tmp_path / 'pair'}", components=["critic"])


def test_strict_mismatch_lists_keys(models, tmp_path):
    zoo.create("tiny-linear-test", width=8).save_pretrained(tmp_path / "w8")
    with pytest.raises(StateDictMismatchError) as info:
        zoo.load(f"local-dir:{tmp_path / 'w8'}", width=4)
    assert "lin.weight: checkpoint (8, 8) vs model (4, 4)" in str(info.value)
    zoo.create("tiny-linear-test", bias=False).save_pretrained(tmp_path / "nobias")
    with pytest.raises(StateDictMismatchError, match="missing from the checkpoint \\(1\\):\n    lin.bias"):
        zoo.load(f"local-dir:{tmp_path / 'nobias'}", bias=True)


def test_corrupt_local_files(models, tmp_path):
    zoo.create("tiny-linear-test").save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="cannot read config.json"):
        zoo.load(f"local-dir:{tmp_path / 'm'}")
    with pytest.raises(CheckpointError, match="config.json"):
        zoo.load(f"local-dir:{tmp_path / 'missing'}")


def test_saved_builder_must_be_declared(models, tmp_path):
    zoo.create("tiny-linear-test").save_pretrained(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["builder"] = "os:system"
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ZooError, match="no catalog entry declares"):
        zoo.load(f"local-dir:{tmp_path / 'm'}")


def test_unsafe_pickle_refused(tmp_path):
    from zoo_core.weights import load_official_pickle

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"model_state_dict": {"w": torch.ones(1)}, "obj": Evil()}, tmp_path / "ckpt.pt")
    with pytest.raises(CheckpointError, match="weights_only=True"):
        load_official_pickle(tmp_path / "ckpt.pt")
    torch.save({"epoch": 3, "model_state_dict": {"w": torch.ones(1)}}, tmp_path / "ok.pt")
    assert load_official_pickle(tmp_path / "ok.pt")["epoch"] == 3


def test_iter_models_isolates_failures(site, only_plugins, tmp_path):
    site("zoo-mixed", plugin_source({"mixed-a-test": tiny_entry(),
                                     "mixed-b-test": tiny_entry(builder="zoo_test_models:Missing"),
                                     "mixed-c-test": tiny_entry()}))
    only_plugins("zoo-mixed")
    got = list(zoo.iter_models("mixed-*", on_error="yield", pretrained=False))
    assert [n for n, _ in got] == ["mixed-a-test", "mixed-b-test", "mixed-c-test"]
    assert isinstance(got[1][1], ZooError) and isinstance(got[2][1], torch.nn.Module)
    with pytest.raises(ZooError):
        list(zoo.iter_models("mixed-*", pretrained=False))


def test_no_weights_names_the_plugins_converter(site, only_plugins):
    site("zoo-conv", plugin_source({"conv-tiny-test": tiny_entry()}) + '''
@hookimpl
def zoo_converters():
    return {"conv-official": "zoo_test_models:Tiny"}
''')
    only_plugins("zoo-conv")
    with pytest.raises(NoPretrainedWeightsError,
                       match=r"zoo convert conv-tiny-test CHECKPOINT --out DIR.*converter 'conv-official' of zoo-conv"):
        zoo.load("conv-tiny-test")


def _edit_config(folder, change):
    config = json.loads((folder / "config.json").read_text())
    change(config)
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("change, words", [
    (lambda c: c.pop("files"), "'files' must name"),
    (lambda c: c.update(files={}), "'files' must name"),
    (lambda c: c.update(files=[]), "'files' must name"),
    (lambda c: c["files"].pop("discriminator"), r"no weights for component\(s\) \['discriminator'\]"),
    (lambda c: c["files"].update(critic=c["files"]["generator"]), r"component\(s\) \['critic'\], which"),
    (lambda c: c["files"]["generator"].update(file="../good/generator.safetensors"), "leaves its folder"),
    (lambda c: c["files"]["generator"].update(file="/tmp/generator.safetensors"), "not a relative"),
    (lambda c: c["files"]["generator"].update(file="sub//generator.safetensors"), "empty part"),
    (lambda c: c["files"]["generator"].update(file="generator.pt"), ".safetensors files"),
    (lambda c: c["files"].update(generator="generator.safetensors"), "expected {file, sha256, bytes}"),
    (lambda c: c["files"]["generator"].update(sha256=None), "sha256: expected 64"),
    (lambda c: c["files"]["generator"].update(bytes="12"), "bytes: expected a positive"),
    (lambda c: c.update(zoo_name=["x"]), "'zoo_name' must be a string"),
])
def test_config_json_must_account_for_every_weight(models, tmp_path, change, words):
    """Never a randomly initialised part, never a file from outside the folder."""
    good = tmp_path / "good"
    zoo.create("tiny-pair-test").save_pretrained(good)
    zoo.create("tiny-pair-test").save_pretrained(tmp_path / "m")
    _edit_config(tmp_path / "m", change)
    with pytest.raises(CheckpointError, match=words):
        zoo.load(f"local-dir:{tmp_path / 'm'}")


def test_config_json_that_is_not_an_object(models, tmp_path):
    zoo.create("tiny-linear-test").save_pretrained(tmp_path / "m")
    for text in ("[" * 100_000, "[1, 2]", '"text"', "null"):  # too deep for json, or not an object
        (tmp_path / "m" / "config.json").write_text(text)
        with pytest.raises(CheckpointError, match="config.json"):
            zoo.load(f"local-dir:{tmp_path / 'm'}")


def test_listed_file_missing_from_the_folder(models, tmp_path):
    zoo.create("tiny-linear-test").save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="the folder has no such file"):
        zoo.load(f"local-dir:{tmp_path / 'm'}")


def test_no_components_is_an_error(models, tmp_path):
    zoo.create("tiny-pair-test").save_pretrained(tmp_path / "pair")
    with pytest.raises(ZooError, match=r"components=\[\] would load no part"):
        zoo.load(f"local-dir:{tmp_path / 'pair'}", components=[])


def test_integer_tensor_is_not_cast_into_a_float_parameter(models, tmp_path):
    from safetensors.torch import save_file

    from zoo_core.hub import sha256_file

    model = zoo.create("tiny-linear-test")
    model.save_pretrained(tmp_path / "m")
    path = tmp_path / "m" / "model.safetensors"
    save_file({"lin.weight": torch.ones(4, 4, dtype=torch.int64), "lin.bias": model.lin.bias.detach()}, str(path))
    _edit_config(tmp_path / "m", lambda c: c["files"]["model"].update(sha256=sha256_file(path),
                                                                     bytes=path.stat().st_size))
    for strict in (True, False):
        with pytest.raises(StateDictMismatchError, match="lin.weight: checkpoint int64 vs model float32") as info:
            zoo.load(f"local-dir:{tmp_path / 'm'}", strict=strict)
        assert info.value.wrong_dtype == [("lin.weight", torch.int64, torch.float32)]


def test_float_tensor_is_not_cast_into_an_integer_buffer():
    from zoo_core.weights import load_state_dict_strict

    norm = torch.nn.BatchNorm1d(3)
    state = {**norm.state_dict(), "num_batches_tracked": torch.tensor(2.5)}
    with pytest.raises(StateDictMismatchError, match="num_batches_tracked: checkpoint float32 vs model int64"):
        load_state_dict_strict(norm, state)
    assert int(norm.num_batches_tracked) == 0  # nothing was copied
    load_state_dict_strict(norm, {k: v.double() if v.is_floating_point() else v  # precision may change
                                  for k, v in norm.state_dict().items()})

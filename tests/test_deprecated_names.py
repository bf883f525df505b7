"""Former names (catalog field ``deprecated_aliases``): weights renamed to say what data they
were trained on keep loading under their old name, with one warning, even where that name now
belongs to the paper-dataset architecture."""

import datetime
import json
import os
import subprocess
import sys
import textwrap
import warnings

import pytest
import torch

import zoo
import zoo_core.registry as registry_module
from zoo_core.catalog import parse_catalog
from zoo_core.cli import main
from zoo_core.errors import DeprecatedNameWarning, UnknownModelError
from zoo_core.interfaces import Model
from zoo_core.pretrained import load_name

from conftest import plugin_source, tiny_entry

TASKS = '''
import torch

class Task:
    def evaluate(self, model, *, limit=None, seed=0):
        with torch.no_grad():
            return {"mean": round(float(model(torch.ones(1, model.lin.in_features)).mean()), 6)}
'''
REASON = "the weights were trained on regenerated digits, not on the paper's"
CATALOG = """\
tiny-digits-style:
  plugin: zoo-ren
  builder: zoo_test_models:Tiny
  config: {{width: 4}}
  task: test/digits-style
  deprecated_aliases:
    names: [tiny-digits, tiny-old]
    since: '2026-12-01'
    reason: {reason}
{weights}
tiny-digits:
  plugin: zoo-ren
  builder: zoo_test_models:Tiny
  config: {{width: 6}}
  task: test/digits
"""


@pytest.fixture
def renamed(site, only_plugins, fake_hub, tmp_path, monkeypatch):
    """``tiny-digits-style`` holds published weights and the former names ``tiny-digits`` (now
    the paper-dataset entry, width 6, no weights) and ``tiny-old`` (nobody's name now)."""
    monkeypatch.setattr(registry_module, "_warned", set())
    (tmp_path / "site" / "zoo_ren_tasks.py").write_text(TASKS)
    site("zoo-ren", plugin_source({}) + textwrap.dedent('''
        @hookimpl
        def zoo_tasks():
            return {"test/digits-style": "zoo_ren_tasks:Task", "test/digits": "zoo_ren_tasks:Task"}
        '''))
    registry = tmp_path / "registry.yaml"
    registry.write_text(CATALOG.format(reason=REASON, weights=""))
    only_plugins("zoo-ren", registry_yaml=registry)
    torch.manual_seed(0)
    published = zoo.create("tiny-digits-style")
    weights = fake_hub.publish(published, "zoo-test/tiny-digits-style")
    registry.write_text(CATALOG.format(reason=REASON, weights="  weights: " + json.dumps(weights)))
    only_plugins("zoo-ren", registry_yaml=registry)
    return published, registry


def deprecations(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, DeprecatedNameWarning)]


def test_the_reused_name_builds_its_new_entry_and_loads_the_moved_weights_with_one_warning(renamed):
    published, _ = renamed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = zoo.create("tiny-digits")
        untrained = zoo.load("tiny-digits", pretrained=False)
        assert not caught  # the name is the paper-dataset entry's: nothing to warn about
        loaded = zoo.load("tiny-digits")
        again = zoo.load("tiny-digits", pretrained=True)
    assert built.zoo_name == untrained.zoo_name == "tiny-digits" and built.lin.in_features == 6
    assert loaded.zoo_name == again.zoo_name == "tiny-digits-style"
    assert torch.equal(loaded.lin.weight, published.lin.weight)
    [message] = deprecations(caught)  # once per name and process
    assert caught[0].filename == __file__  # points at the caller, not at Zoo
    assert issubclass(DeprecatedNameWarning, FutureWarning)  # shown by default
    assert REASON in message and "since 2026-12-01" in message
    assert "now live under 'tiny-digits-style'" in message
    assert "now names the architecture for task test/digits" in message
    assert "zoo.create('tiny-digits')" in message


def test_a_former_name_nobody_took_reaches_its_entry_everywhere(renamed):
    published, _ = renamed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert zoo.create("tiny-old").zoo_name == "tiny-digits-style"
        info = zoo.info("tiny-old")
        model = Model.from_pretrained("tiny-old")
    assert torch.equal(model.lin.weight, published.lin.weight)
    assert info["name"] == "tiny-digits-style" and info["requested"] == "tiny-old"
    assert info["deprecated_aliases"]["names"] == ["tiny-digits", "tiny-old"]
    assert info["deprecated_name"].startswith("'tiny-old' is a former name of 'tiny-digits-style'")
    assert load_name("tiny-old") == "tiny-old"
    assert deprecations(caught) == [info["deprecated_name"]]
    assert "deprecated_name" in zoo.info("tiny-digits") and "deprecated_name" not in zoo.info("tiny-digits-style")


def test_listing_matches_former_names_and_download_follows_the_weights(renamed, fake_hub):
    assert zoo.list_models("tiny-old") == ["tiny-digits-style"]
    assert zoo.list_models("tiny-digits") == ["tiny-digits", "tiny-digits-style"]
    assert zoo.list_models(pretrained=True) == ["tiny-digits-style"]
    with pytest.warns(DeprecatedNameWarning, match="now live under 'tiny-digits-style'"):
        assert list(zoo.download("tiny-digits")) == ["tiny-digits-style"]
    zoo.refresh()  # the catalog read back from its cache keeps the former names
    assert zoo.registry().deprecated == {"tiny-digits": "tiny-digits-style", "tiny-old": "tiny-digits-style"}


def test_zoo_list_and_info_show_former_names(renamed, capsys):
    assert main(["list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("tiny-digits-style"))
    assert row.endswith("tiny-digits (deprecated), tiny-old (deprecated)")
    assert main(["list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["tiny-digits-style"]["deprecated_aliases"] == ["tiny-digits", "tiny-old"]
    assert rows["tiny-digits"]["deprecated_aliases"] == []
    done = subprocess.run([sys.executable, "-m", "zoo_core.cli", "info", "tiny-old"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0 and "name: tiny-digits-style" in done.stdout
    assert done.stderr.startswith("zoo: warning: 'tiny-old' is a former name") and done.stderr.count("\n") == 1


def test_eval_of_the_reused_name_evaluates_and_records_the_moved_weights(renamed, tmp_path, capsys):
    published, registry = renamed
    with pytest.warns(DeprecatedNameWarning, match="now live under 'tiny-digits-style'"):
        assert main(["eval", "tiny-digits", "--write"]) == 0
    out = capsys.readouterr().out
    measured = json.loads(out[: out.index("}") + 1])["mean"]
    assert measured == round(float(published(torch.ones(1, 4)).detach().mean()), 6)
    zoo.refresh()
    assert zoo.entry("tiny-digits-style").results == {"mean": measured}
    assert zoo.entry("tiny-digits").results == {}  # not the paper-dataset entry's numbers
    paper = zoo.create("tiny-digits")  # weights of the paper-dataset entry: evaluated as that entry
    paper.save_pretrained(tmp_path / "paper")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["eval", "tiny-digits", "--weights", str(tmp_path / "paper")]) == 0
    assert not deprecations(caught)
    assert json.loads(capsys.readouterr().out)["mean"] == round(float(paper(torch.ones(1, 6)).detach().mean()), 6)


def former(**fields) -> dict:
    return {"names": ["old-name"], "reason": "renamed", **fields}


@pytest.mark.parametrize("value, words", [
    (former(names=[]), "non-empty list of former model names"),
    (former(names=["Old_Name"]), "'Old_Name' is not a valid model name"),
    (former(names=["new-name"]), "'new-name' is this entry's name or alias"),
    (former(names=["also-new"]), "'also-new' is this entry's name or alias"),
    ({"names": ["old-name"]}, "why the name changed"),
    (former(since=datetime.date(2026, 12, 1)), "quote a date"),
    (former(use="new-name"), "unknown field; allowed: names, reason, since"),
    (["old-name"], "expected a mapping with names, reason, since"),
])
def test_malformed_deprecated_aliases_name_the_field(value, words):
    catalog = parse_catalog({"new-name": tiny_entry(aliases=["also-new"], deprecated_aliases=value)},
                            source="registry.yaml")
    [error] = catalog.errors
    assert "new-name" not in catalog.entries and error.field.startswith("deprecated_aliases")
    assert words in str(error)


def test_a_malformed_entry_is_remembered_under_its_former_names():
    catalog = parse_catalog({"new-name": tiny_entry(deprecated_aliases={"names": ["old-name"]})},
                            source="registry.yaml")
    assert catalog.skipped["old-name"] is catalog.skipped["new-name"] is catalog.errors[0]


def test_a_family_cannot_hand_out_former_names():
    catalog = parse_catalog({"families": {"f": {"deprecated_aliases": former()}}}, source="registry.yaml")
    assert "a family holds shared fields only" in str(catalog.errors[0])


WEIGHTS = {"repo": "org/x", "revision": "0" * 40,
           "files": {"model": {"file": "model.safetensors", "sha256": "0" * 64, "bytes": 1}}}


def test_refused_former_names_reach_no_model_and_are_reported(site, only_plugins, tmp_path):
    registry = tmp_path / "registry.yaml"
    registry.write_text(textwrap.dedent(f"""\
        has-weights: {{builder: 'zoo_test_models:Tiny', weights: {json.dumps(WEIGHTS)}}}
        arch-only: {{builder: 'zoo_test_models:Tiny'}}
        new-a:
          builder: zoo_test_models:Tiny
          deprecated_aliases: {{names: [has-weights, shared-old, alias-of-b, free-old], reason: renamed}}
        new-b:
          builder: zoo_test_models:Tiny
          aliases: [alias-of-b]
          deprecated_aliases: {{names: [shared-old], reason: renamed}}
        """))
    site("zoo-ren", plugin_source({"plug-new": tiny_entry(deprecated_aliases=former(names=["arch-only", "free-old"]))}))
    reg = only_plugins("zoo-ren", registry_yaml=registry)
    errors = "\n".join(zoo.catalog_errors())
    assert ("former name 'has-weights' of 'new-a' refused: it is the name of 'has-weights', which has "
            "published weights of its own") in errors
    assert "former name 'shared-old' of 'new-a' refused: 'new-a' and 'new-b' all declare it" in errors
    assert "former name 'shared-old' of 'new-b' refused" in errors
    assert "former name 'alias-of-b' of 'new-a' refused: it is an alias of 'new-b'" in errors
    [plugin] = [p for p in zoo.plugins() if p["distribution"] == "zoo-ren"]
    assert any("former name 'arch-only' of 'plug-new' refused: it is the name of 'arch-only', an entry "
               "of another plugin (registry.yaml" in w for w in plugin["warnings"])
    assert any("former name 'free-old' of 'plug-new' refused: registry.yaml reserves it for 'new-a'" in w
               for w in plugin["warnings"])
    assert reg.deprecated == {"free-old": "new-a"}
    assert reg.lookup_weights("has-weights").name == "has-weights"
    assert reg.lookup_weights("arch-only").name == "arch-only"
    assert zoo.entry("alias-of-b").name == "new-b"
    with pytest.raises(UnknownModelError):
        zoo.entry("shared-old")

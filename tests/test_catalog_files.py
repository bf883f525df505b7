"""A plugin's catalog as a YAML file in its package: located errors, and --write updates that file."""

import re
import sys

import pytest

import zoo
from zoo_core.catalog_files import package_catalog
from zoo_core.cli import main
from zoo_core.errors import CatalogError

from conftest import plugin_source, tiny_entry
from test_runtime import RECIPE_MODULE, zoo_train

CATALOG = """\
# zoo-cat's catalog: comments and layout survive --write
cat-tiny-test:
  builder: zoo_test_models:Tiny
  config: {width: 4}
  task: test/regression
  train: {recipe: regression, steps: 8, batch_size: 16, lr: 0.05}
  provenance: {license: MIT, paper: none}

cat-other-test:
  builder: zoo_test_models:Tiny
"""

PLUGIN = '''
from zoo_core import hookimpl
from zoo_core.catalog_files import package_catalog

@hookimpl
def zoo_catalog():
    return package_catalog("zoo_cat_data", "catalog.yaml")

@hookimpl
def zoo_recipes():
    return {"regression": "zoo_regression_recipe:recipe"}

@hookimpl
def zoo_tasks():
    return {"test/regression": "zoo_regression_recipe:Task"}
'''


@pytest.fixture
def packaged(site, only_plugins, tmp_path):
    """Plugin zoo-cat, whose catalog is zoo_cat_data/catalog.yaml; zoo-py keeps its in Python."""
    package = tmp_path / "site" / "zoo_cat_data"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "catalog.yaml").write_text(CATALOG)
    (tmp_path / "site" / "zoo_regression_recipe.py").write_text(RECIPE_MODULE)
    site("zoo-cat", PLUGIN)
    site("zoo-py", plugin_source({"py-tiny-test": tiny_entry(
        task="test/regression", train={"recipe": "regression", "steps": 8, "batch_size": 16, "lr": 0.05})}))
    only_plugins("zoo-cat", "zoo-py")
    yield package / "catalog.yaml"
    for module in ("zoo_cat_data", "zoo_regression_recipe"):
        sys.modules.pop(module, None)


def status(name):
    return {p["name"]: p for p in zoo.plugins()}[name]


def test_entries_know_their_file_and_line(packaged):
    assert status("zoo-cat")["status"] == "ok"
    e = zoo.entry("cat-tiny-test")
    assert (e.source, e.line, e.plugin) == (str(packaged), 2, "zoo-cat")
    assert zoo.info("cat-other-test")["source"] == f"{packaged}:9"


@pytest.mark.parametrize("edit, where", [
    (("  config: {width: 4}", "  confg: {width: 4}"), ":4: entry 'cat-tiny-test', field 'confg': unknown field"),
    (("  builder: zoo_test_models:Tiny\n", "  builder: [unclosed\n"), ":4: entry 'cat-tiny-test': malformed YAML"),
    (("cat-other-test:", "cat-tiny-test:"), ":9: entry 'cat-tiny-test': duplicate key"),
])
def test_errors_name_the_file_and_line(packaged, only_plugins, edit, where):
    """A bad entry in the plugin's file costs that entry only, and says where it is."""
    packaged.write_text(CATALOG.replace(*edit, 1))
    only_plugins("zoo-cat")
    cat = status("zoo-cat")
    assert cat["status"] == "ok"
    assert any(f"{packaged}{where}" in w for w in cat["warnings"]), cat["warnings"]
    assert "cat-tiny-test" not in zoo.list_models()
    if "duplicate" not in where:  # a name defined twice is dropped for both definitions
        assert "cat-other-test" in zoo.list_models()
    with pytest.raises(CatalogError, match="malformed"):
        zoo.info("cat-tiny-test")


def test_unreadable_catalog_explained(packaged):
    with pytest.raises(CatalogError, match=r"zoo_cat_data.*nope\.yaml: catalog: cannot read .*package data"):
        package_catalog("zoo_cat_data", "nope.yaml")
    with pytest.raises(CatalogError, match="no package 'zoo_no_such'"):
        package_catalog("zoo_no_such")
    packaged.write_text("- a list\n")
    with pytest.raises(CatalogError, match=r"catalog\.yaml:1: catalog: the catalog must be a mapping"):
        package_catalog("zoo_cat_data")


def test_eval_and_publish_write_the_plugins_file(packaged, tmp_path, capsys):
    out = zoo_train("cat-tiny-test", tmp_path / "run")
    assert main(["eval", "cat-tiny-test", "--weights", str(out), "--write"]) == 0
    assert f"wrote {packaged} (cat-tiny-test.results)" in capsys.readouterr().out
    hub = tmp_path / "hub"
    assert main(["publish", str(out), "--repo", "zoo-test/cat-tiny", "--local", str(hub), "--write"]) == 0
    assert f"wrote {packaged} (cat-tiny-test.weights)" in capsys.readouterr().out
    text = packaged.read_text()
    assert text.startswith("# zoo-cat's catalog") and text.endswith("cat-other-test:\n  builder: zoo_test_models:Tiny\n")
    zoo.refresh()
    from zoo_core.hubserver import HubFolder

    e = zoo.entry("cat-tiny-test")
    assert e.weights.revision == HubFolder(hub).commit(hub / "zoo-test" / "cat-tiny") and e.results


def test_publish_repins_entries_that_share_the_repo(packaged, tmp_path, capsys):
    """An entry pinned to files of the same repo follows it to the new revision when its files
    did not change (a card-only republish used to leave its pin on a revision that is gone)."""
    import textwrap

    import yaml

    out = zoo_train("cat-tiny-test", tmp_path / "run")
    assert main(["eval", "cat-tiny-test", "--weights", str(out), "--write"]) == 0
    hub = tmp_path / "hub"
    assert main(["publish", str(out), "--repo", "zoo-test/cat-tiny", "--local", str(hub), "--write"]) == 0
    zoo.refresh()
    shared = zoo.entry("cat-tiny-test").to_dict()["weights"]
    packaged.write_text(packaged.read_text() + textwrap.indent(yaml.safe_dump({"weights": shared}), "  "))
    zoo.refresh()
    assert zoo.entry("cat-other-test").weights.revision == shared["revision"]
    (out / "README.md").write_text((out / "README.md").read_text() + "\nA card edit.\n")
    capsys.readouterr()
    assert main(["publish", str(out), "--repo", "zoo-test/cat-tiny", "--local", str(hub), "--write"]) == 0
    assert "(cat-other-test.weights) (same repo zoo-test/cat-tiny, its files unchanged)" in capsys.readouterr().out
    zoo.refresh()
    new = zoo.entry("cat-tiny-test").weights.revision
    assert new != shared["revision"] and zoo.entry("cat-other-test").weights.revision == new


def test_python_catalog_cannot_be_written_and_nothing_is_sent(packaged, tmp_path, capsys):
    out = zoo_train("py-tiny-test", tmp_path / "run")
    assert main(["eval", "py-tiny-test", "--weights", str(out), "--write"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"entry 'py-tiny-test', field 'results': the entry comes from plugin zoo-py "
                     r"\(\S*zoo_py\.py:\d+\) as Python data", err), err
    assert f"already written: {out / 'README.md'}" in err and "package_catalog" in err
    hub = tmp_path / "hub"
    assert main(["publish", str(out), "--repo", "zoo-test/py-tiny", "--local", str(hub), "--write"]) == 1
    assert re.search(r"field 'weights': the entry comes from plugin zoo-py \(\S*\) as Python data",
                     capsys.readouterr().err)
    assert not hub.exists()  # refused before anything was published


def test_unwritable_file_named(packaged, tmp_path, capsys, monkeypatch):
    out = zoo_train("cat-tiny-test", tmp_path / "run")
    assert main(["eval", "cat-tiny-test", "--weights", str(out), "--write"]) == 0
    before = packaged.read_text()
    monkeypatch.setattr("zoo_core.catalog_edit.os.access", lambda path, mode: False)  # root writes anything
    hub = tmp_path / "hub"
    capsys.readouterr()
    assert main(["publish", str(out), "--repo", "zoo-test/cat-tiny", "--local", str(hub), "--write"]) == 1
    err = capsys.readouterr().err
    assert f"{packaged}:2: entry 'cat-tiny-test', field 'weights': the file is not writable here" in err
    assert packaged.read_text() == before and not hub.exists()


def test_installed_copy_is_flagged(packaged, tmp_path, monkeypatch):
    from zoo_core import catalog_edit

    monkeypatch.setattr(catalog_edit.site, "getsitepackages", lambda: [str(packaged.parent.parent)])
    done = catalog_edit.write_field(zoo.entry("cat-other-test"), "tags", ["x"])
    assert done.startswith(f"{packaged} (cat-other-test.tags)") and "installed copy" in done
    assert "tags:\n  - x\n" in packaged.read_text()
    checkout = tmp_path / "checkout"
    assert not catalog_edit._installed(checkout / "catalog.yaml")



def test_second_read_comes_from_the_cache(packaged, tmp_path, monkeypatch):
    """`zoo list` reads every plugin's catalog.yaml: a clean file is parsed once (no YAML after)."""
    import zoo_core.catalog_yaml as catalog_yaml

    monkeypatch.setenv("ZOO_CATALOG_CACHE", str(tmp_path / "cache"))
    first = package_catalog("zoo_cat_data")

    def no_yaml(*args, **kwargs):
        raise AssertionError("the YAML reader ran although the file is cached")

    monkeypatch.setattr(catalog_yaml, "_Reader", no_yaml)
    again = package_catalog("zoo_cat_data")
    assert dict(again) == dict(first) and again.lines == first.lines and again.source == first.source
    packaged.write_text(CATALOG.replace("width: 4", "width: 5"))  # an edit is read afresh
    with pytest.raises(AssertionError, match="YAML reader ran"):
        package_catalog("zoo_cat_data")
    monkeypatch.undo()
    monkeypatch.setenv("ZOO_CATALOG_CACHE", str(tmp_path / "cache"))
    packaged.write_text(CATALOG.replace("  builder: zoo_test_models:Tiny\n", "  builder: [unclosed\n", 1))
    for _ in range(2):  # a file with a broken block is never cached: its error is reported each time
        assert isinstance(package_catalog("zoo_cat_data")["cat-tiny-test"], CatalogError)

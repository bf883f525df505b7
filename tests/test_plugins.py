"""Plugin host: one plugin at a time, failures isolated and attributed."""

import sys

import pytest

import zoo
from zoo_core.errors import CatalogError, PluginUnavailableError, UnknownModelError, ZooError
from zoo_core.plugins import PluginHost

from conftest import plugin_source, tiny_entry


def status(name):
    return {p["name"]: p for p in zoo.plugins()}[name]


def test_third_party_plugin_models_listed(site, only_plugins):
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    only_plugins("zoo-good")
    assert zoo.list_models() == ["good-tiny-test"]
    assert status("zoo-good")["status"] == "ok"
    assert status("zoo-good")["models"] == ["good-tiny-test"]
    assert zoo.create("good-tiny-test").lin.in_features == 4


def test_plugin_that_raises_on_import(site, only_plugins):
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    site("zoo-broken", "raise RuntimeError('boom at import')\n")
    only_plugins("zoo-good", "zoo-broken")
    broken = status("zoo-broken")
    assert broken["status"] == "failed"
    assert "boom at import" in broken["error"] and "zoo_broken.py" in broken["error"]
    assert zoo.list_models() == ["good-tiny-test"]
    assert zoo.create("good-tiny-test") is not None


def test_hook_that_raises(site, only_plugins):
    site("zoo-hookfail", """
        from zoo_core import hookimpl
        @hookimpl
        def zoo_catalog():
            raise ValueError("catalog exploded")
    """)
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    only_plugins("zoo-good", "zoo-hookfail")
    assert "catalog exploded" in status("zoo-hookfail")["error"]
    assert zoo.list_models() == ["good-tiny-test"]


def test_incompatible_plugin(site, only_plugins):
    site("zoo-future", plugin_source({"future-tiny-test": tiny_entry()}, requires=">=99"))
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    only_plugins("zoo-future", "zoo-good")
    future = status("zoo-future")
    assert future["status"] == "incompatible" and ">=99" in future["error"]
    assert zoo.list_models() == ["good-tiny-test"]


def test_plugin_bad_entry_costs_only_itself(site, only_plugins, capsys):
    from zoo_core.cli import main

    site("zoo-sloppy", plugin_source({"sloppy-test": {"builder": "no colon"},
                                      "tidy-test": tiny_entry()}))
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    only_plugins("zoo-sloppy", "zoo-good")
    sloppy = status("zoo-sloppy")
    assert sloppy["status"] == "ok" and sloppy["models"] == ["tidy-test"]
    assert "sloppy-test" in sloppy["warnings"][0] and "module:callable" in sloppy["warnings"][0]
    assert zoo.list_models() == ["good-tiny-test", "tidy-test"]
    assert zoo.create("tidy-test") is not None
    with pytest.raises(CatalogError, match=r"plugin zoo-sloppy \(.*zoo_sloppy.py:\d+\): entry 'sloppy-test'.*malformed"):
        zoo.info("sloppy-test")
    assert main(["list"]) == 0
    assert "1 malformed catalog entry skipped: sloppy-test (plugin zoo-sloppy (" in capsys.readouterr().err


def test_plugin_catalog_may_share_papers_and_families(site, only_plugins):
    site("zoo-shared", plugin_source({
        "papers": {"arXiv:1.2": {"license": "MIT", "citation": "@misc{p}"}},
        "families": {"tiny": {"builder": "zoo_test_models:Tiny", "config": {"width": 4},
                              "provenance": {"paper": "arXiv:1.2"}}},
        "shared-a-test": {"family": "tiny", "task": "test/a"},
        "shared-b-test": {"family": "tiny", "config": {"width": 8}},
    }))
    only_plugins("zoo-shared")
    assert zoo.list_models() == ["shared-a-test", "shared-b-test"]
    assert zoo.info("shared-b-test")["config"] == {"width": 8} and zoo.cite("shared-a-test") == "@misc{p}\n"
    assert zoo.create("shared-b-test").lin.in_features == 8


@pytest.mark.parametrize("builder, says", [
    ("zoo_test_models:Tny", "zoo_test_models has no attribute 'Tny' (did you mean 'Tiny'?); fix the entry's builder"),
    ("zoo_test_models:Tiny.nope", "zoo_test_models:Tiny has no attribute 'nope'"),
    ("zoo_nothere.models:Tiny", "'zoo_nothere' is not a package of zoo-refs (its code is in 'zoo_refs')"),
    ("zoo_refs.modelz:Tiny", "zoo_refs has no module 'modelz'"),
    ("zoo_refs_deps:Tiny", "importing zoo_refs_deps needs the module 'not_installed_dep_xyz', which is not "
                           "installed: install it (a dependency of zoo-refs)"),
    ("zoo_refs_raises:Tiny", "importing zoo_refs_raises failed: RuntimeError: broken at import (at "),
])
def test_builder_import_errors_say_what_to_fix(site, only_plugins, tmp_path, builder, says):
    (tmp_path / "site" / "zoo_refs_deps.py").write_text("import not_installed_dep_xyz\n")
    (tmp_path / "site" / "zoo_refs_raises.py").write_text("raise RuntimeError('broken at import')\n")
    registry = tmp_path / "registry.yaml"
    registry.write_text(f"refs-tiny-test:\n  plugin: zoo-refs\n  builder: {builder}\n")
    site("zoo-refs", plugin_source({}))
    only_plugins("zoo-refs", registry_yaml=registry)
    try:
        with pytest.raises(ZooError) as info:
            zoo.create("refs-tiny-test")
    finally:
        for module in ("zoo_refs_deps", "zoo_refs_raises"):
            sys.modules.pop(module, None)
    message = str(info.value)
    assert says in message and f"{registry}:1" in message and "'refs-tiny-test'" in message
    if "needs the module" not in says and "RuntimeError" not in says:  # a wrong reference
        assert "reinstall" not in message


def test_list_says_which_plugins_failed(site, only_plugins, capsys):
    from zoo_core.cli import main

    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    site("zoo-broken", "raise RuntimeError('boom at import')\n")
    site("zoo-future", plugin_source({}, requires=">=99"))
    only_plugins("zoo-good", "zoo-broken", "zoo-future")
    assert main(["list"]) == 0
    captured = capsys.readouterr()
    assert "good-tiny-test" in captured.out
    lines = [line for line in captured.err.splitlines() if line.startswith("warning: plugin")]
    assert len(lines) == 2, captured.err
    assert "zoo-broken (zoo-broken) failed" in lines[0] and "boom at import" in lines[0]
    assert "zoo-future (zoo-future) incompatible" in lines[1]
    assert all("`zoo plugins`" in line for line in lines)


def test_disable_switch(site, only_plugins, monkeypatch):
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    site("zoo-other", plugin_source({"other-tiny-test": tiny_entry()}))
    monkeypatch.setenv("ZOO_DISABLE_PLUGINS", "zoo-other")
    only_plugins("zoo-good", "zoo-other")
    assert status("zoo-other")["status"] == "disabled"
    assert zoo.list_models() == ["good-tiny-test"]


@pytest.mark.parametrize("spelling", ["zoo-other", "zoo_other", "other", "Zoo_Other"])
def test_switches_accept_distribution_and_entry_point_names(site, only_plugins, monkeypatch, spelling):
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}), entry="good")
    site("zoo-other", plugin_source({"other-tiny-test": tiny_entry()}), entry="other")
    monkeypatch.setenv("ZOO_DISABLE_PLUGINS", spelling)
    only_plugins("zoo_good", spelling)
    assert status("other")["status"] == "disabled" and status("good")["status"] == "ok"
    assert zoo.list_models() == ["good-tiny-test"]
    assert zoo.registry().host.warnings == []


def test_switch_name_that_matches_nothing_is_warned(site, only_plugins, monkeypatch, capsys, caplog):
    from zoo_core import plugins
    from zoo_core.cli import main

    monkeypatch.setattr(plugins, "_logged", set())
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}), entry="good")
    monkeypatch.setenv("ZOO_DISABLE_PLUGINS", "zoo-typo")
    only_plugins("good", "zoo-godo")
    only_plugins("good", "zoo-godo")  # a second discovery: on stderr once only
    expected = ["ZOO_LOAD_PLUGINS names 'zoo-godo'", "ZOO_DISABLE_PLUGINS names 'zoo-typo'"]
    logged = [r.getMessage() for r in caplog.records]
    assert [m.removeprefix("zoo: warning: ").split(",")[0] for m in logged] == expected
    assert "matches no installed plugin" in logged[0] and "zoo-good (good)" in logged[0]
    assert zoo.list_models() == ["good-tiny-test"]
    assert [w.split(",")[0] for w in zoo.registry().host.warnings] == expected
    assert main(["plugins"]) == 0
    assert "warning: ZOO_DISABLE_PLUGINS names 'zoo-typo'" in capsys.readouterr().out


def test_load_plugins_empty_means_none(site, only_plugins):
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    only_plugins()
    assert zoo.list_models() == []


def test_strict_mode_raises(site, monkeypatch):
    site("zoo-broken", "raise RuntimeError('boom')\n")
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "zoo-broken")
    monkeypatch.setenv("ZOO_STRICT_PLUGINS", "1")
    with pytest.raises(ZooError, match="boom"):
        PluginHost().discover()


def test_model_of_failed_first_party_plugin_is_attributed(site, only_plugins, tmp_path):
    registry = tmp_path / "registry.yaml"
    registry.write_text("broken-tiny-test:\n  plugin: zoo-broken\n  builder: zoo_test_models:Tiny\n")
    site("zoo-broken", "raise RuntimeError('boom')\n")
    only_plugins("zoo-broken", registry_yaml=registry)
    with pytest.raises(PluginUnavailableError, match="zoo-broken.*failed.*boom"):
        zoo.create("broken-tiny-test")


def test_in_process_registration(zoo_registry):
    import types

    import zoo_core

    plugin = types.SimpleNamespace(zoo_catalog=zoo_core.hookimpl(lambda: {"inproc-tiny-test": tiny_entry()}))
    zoo_registry(("inproc", plugin))
    assert zoo.list_models() == ["inproc-tiny-test"]
    with pytest.raises(UnknownModelError, match="did you mean 'inproc-tiny-test'"):
        zoo.create("inproc-tiny")


def test_malformed_registry_reported_plugins_keep_working(site, only_plugins, tmp_path, capsys):
    from zoo_core.cli import main

    registry = tmp_path / "registry.yaml"
    registry.write_text("first-party-test:\n  builder: [unclosed\n")
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    only_plugins("zoo-good", registry_yaml=registry)
    assert zoo.list_models() == ["good-tiny-test"]
    assert zoo.create("good-tiny-test") is not None
    assert "malformed YAML" in zoo.catalog_errors()[0] and "registry.yaml:" in zoo.catalog_errors()[0]
    assert main(["plugins"]) == 0
    assert "registry.yaml problem" in capsys.readouterr().out

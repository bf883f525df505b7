"""Plugin host: one plugin at a time, failures isolated and attributed."""

import pytest

import zoo
from zoo_core.errors import PluginUnavailableError, UnknownModelError, ZooError
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


def test_invalid_plugin_catalog(site, only_plugins):
    site("zoo-sloppy", plugin_source({"sloppy-test": {"builder": "no colon"}}))
    site("zoo-good", plugin_source({"good-tiny-test": tiny_entry()}))
    only_plugins("zoo-sloppy", "zoo-good")
    assert status("zoo-sloppy")["status"] == "failed"
    assert "module:callable" in status("zoo-sloppy")["error"]
    assert zoo.list_models() == ["good-tiny-test"]


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

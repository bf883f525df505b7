"""The plugin module: hooks only, no torch at import, references that resolve."""

import importlib
import subprocess
import sys

from conftest import PLUGIN_ROOT, load_catalog


def test_plugin_import_does_not_import_torch():
    code = "import sys, zoo_akorn, zoo_akorn.plugin; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_hook_references_resolve():
    from zoo_akorn import plugin

    assert plugin.zoo_core_requires() == ">=0.1,<0.2"
    for hook in ("zoo_converters", "zoo_tasks", "zoo_metrics", "zoo_recipes", "zoo_figures"):
        if hasattr(plugin, hook):
            for ref in getattr(plugin, hook)().values():
                mod, obj = ref.split(":")
                assert callable(getattr(importlib.import_module(mod), obj))


def test_pyproject_entry_point():
    text = (PLUGIN_ROOT / "pyproject.toml").read_text()
    assert 'akorn = "zoo_akorn.plugin"' in text and '"zoo-core>=0.1"' in text


def test_catalog_shape():
    cat = load_catalog()
    required = {"plugin", "builder", "config", "task", "description", "provenance"}
    for name, entry in cat.items():
        assert required <= set(entry), name
        assert entry["plugin"] == "zoo-akorn"
        assert name == name.lower() and " " not in name
    aliases = [a for e in cat.values() for a in e.get("aliases", [])]
    assert len(aliases) == len(set(aliases)) and not set(aliases) & set(cat)
    assert "akorn-clevrtex" in cat["akorn-attn-clevrtex"]["aliases"]


def test_hooks_validate_against_core_hookspecs():
    import pluggy
    from zoo_core import hookspecs

    from zoo_akorn import plugin

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(plugin)  # raises if a hook name or signature does not match a spec
    pm.check_pending()
    assert pm.hook.zoo_converters() == [{"akorn-official": "zoo_akorn.convert:from_official"}]
    assert "object-discovery/tetrominoes-style" in pm.hook.zoo_tasks()[0]

"""The plugin module: hooks only, no torch at import, every reference resolves."""

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _resolve(ref: str):
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def test_entry_point_declared():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "zoo-sngan"
    assert meta["project"]["entry-points"]["zoo.plugins"] == {"sngan": "zoo_sngan.plugin"}
    assert any(d.startswith("zoo-core>=") for d in meta["project"]["dependencies"])


def test_plugin_and_package_import_without_torch():
    code = ("import sys, zoo_sngan, zoo_sngan.plugin; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, env=os.environ.copy())


@pytest.mark.parametrize("hook", ["zoo_converters", "zoo_recipes", "zoo_tasks", "zoo_figures"])
def test_hook_references_resolve(hook):
    from zoo_sngan import plugin

    refs = getattr(plugin, hook)()
    assert refs
    for name, ref in refs.items():
        assert callable(_resolve(ref)), f"{hook}: {name} -> {ref}"


def test_core_requirement_is_a_specifier():
    from packaging.specifiers import SpecifierSet

    from zoo_sngan import plugin

    assert "0.1.0" in SpecifierSet(plugin.zoo_core_requires())


def test_catalog_builders_and_recipes_resolve(catalog):
    from zoo_sngan import plugin

    recipes = plugin.zoo_recipes()
    for name, entry in catalog.items():
        assert name.startswith("sngan-") and name == name.lower()
        assert callable(_resolve(entry["builder"]))
        recipe = entry.get("train", {}).get("recipe")
        assert recipe is None or recipe in recipes, f"{name}: unknown recipe {recipe}"
    assert len(catalog) == 13

"""The plugin module: hooks only, cheap to import, every reference resolves."""

import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _resolve(ref: str):
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def test_plugin_import_does_not_import_torch():
    code = ("import sys, zoo_msp, zoo_msp.plugin; "
            "assert 'torch' not in sys.modules, 'torch imported'; print(zoo_msp.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0.1.0"


def test_entry_point_and_dependencies_declared():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "zoo-msp"
    assert meta["project"]["entry-points"]["zoo.plugins"] == {"msp": "zoo_msp.plugin"}
    deps = meta["project"]["dependencies"]
    assert any(d.startswith("zoo-core>=0.1") for d in deps)
    assert all(">=" in d for d in deps), deps


@pytest.mark.parametrize("hook", ["zoo_tasks", "zoo_metrics", "zoo_converters", "zoo_recipes", "zoo_figures"])
def test_hook_references_resolve(hook):
    from zoo_msp import plugin

    refs = getattr(plugin, hook)()
    assert refs
    for name, ref in refs.items():
        assert callable(_resolve(ref)), (name, ref)


def test_core_requirement_is_a_specifier():
    from packaging.specifiers import SpecifierSet

    from zoo_msp import plugin

    assert "0.1.0" in SpecifierSet(plugin.zoo_core_requires())


def test_tasks_satisfy_protocol():
    from zoo_core.interfaces import Task

    from zoo_msp import plugin

    for name, ref in plugin.zoo_tasks().items():
        task = _resolve(ref)()
        assert isinstance(task, Task)
        assert task.name == name

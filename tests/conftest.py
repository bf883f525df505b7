"""Shared fixtures for the core tests: fake installed plugins and a scratch registry.yaml."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

import zoo_core.api as api

TINY_MODEL = '''
import torch
from torch import nn
from zoo_core.interfaces import Model


class Tiny(Model):
    """A linear layer: enough to test loading, saving and hashing."""

    def __init__(self, *, width=4, bias=True):
        super().__init__()
        self.lin = nn.Linear(width, width, bias=bias)

    def forward(self, x):
        return self.lin(x)

    def example_inputs(self, batch_size=2):
        return (torch.ones(batch_size, self.lin.in_features),)


class Pair(Model):
    """Two parts, saved as two files (like a GAN's generator and discriminator)."""

    zoo_components = {"generator": "generator", "discriminator": "discriminator"}

    def __init__(self, *, width=4):
        super().__init__()
        self.generator = nn.Linear(width, width)
        self.discriminator = nn.Linear(width, 1)

    def forward(self, x):
        return self.discriminator(self.generator(x))

    def example_inputs(self, batch_size=2):
        return (torch.ones(batch_size, 4),)
'''


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Install fake distributions (dist-info + module) on sys.path; returns install(...)."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    (root / "zoo_test_models.py").write_text(TINY_MODEL)
    created: list[str] = ["zoo_test_models"]

    def install(dist: str, module_source: str, *, entry: str | None = None, version: str = "1.0",
                module: str | None = None) -> str:
        module = module or dist.replace("-", "_")
        entry = entry or dist
        (root / f"{module}.py").write_text(textwrap.dedent(module_source))
        info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        (info / "entry_points.txt").write_text(f"[zoo.plugins]\n{entry} = {module}\n")
        created.append(module)
        importlib.invalidate_caches()
        return module

    yield install
    for name in created:
        sys.modules.pop(name, None)


@pytest.fixture
def only_plugins(monkeypatch):
    """Load only the named plugins (and no others installed in this environment)."""
    def select(*names: str, registry_yaml: Path | None = None):
        monkeypatch.setenv("ZOO_LOAD_PLUGINS", ",".join(names))
        monkeypatch.setenv("ZOO_REGISTRY", str(registry_yaml) if registry_yaml else "")
        monkeypatch.setattr(api, "_registry", None)
        return api.registry()
    return select


def plugin_source(models: dict, requires: str = ">=0.1") -> str:
    """Source of a plugin module whose zoo_catalog returns ``models``."""
    return f'''
from zoo_core import hookimpl

@hookimpl
def zoo_core_requires():
    return {requires!r}

@hookimpl
def zoo_catalog():
    return {models!r}
'''


def tiny_entry(**extra) -> dict:
    entry = {"builder": "zoo_test_models:Tiny", "config": {"width": 4}, "task": "test/tiny",
             "provenance": {"license": "MIT", "paper": "none"}}
    entry.update(extra)
    return entry


@pytest.fixture(autouse=True)
def catalog_cache(tmp_path, monkeypatch):
    """Each test reads catalog files through its own, initially empty, catalog cache."""
    folder = tmp_path / "catalog-cache"
    monkeypatch.setenv("ZOO_CATALOG_CACHE", str(folder))
    return folder

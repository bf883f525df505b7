"""Fixtures for zoo-akorn tests.

``--official PATH`` (or env ``AKORN_OFFICIAL``): an unpacked autonomousvision/akorn checkout;
the official-parity tests are collected only when it is given (they need code the project
does not ship; `benchmarks/akorn_parity.py --official PATH` runs the same comparison).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PLUGIN_ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--official", default=None, help="path to an unpacked autonomousvision/akorn checkout")


def pytest_collection_modifyitems(config, items):
    """Without the official code, the parity tests are not collected (deselected, not skipped)."""
    if config.getoption("--official", default=None) or os.environ.get("AKORN_OFFICIAL"):
        return
    parity = [item for item in items if "official_path" in getattr(item, "fixturenames", ())]
    if parity:
        config.hook.pytest_deselected(items=parity)
        items[:] = [item for item in items if item not in parity]


@pytest.fixture(scope="session")
def official_path(request) -> str:
    path = request.config.getoption("--official", default=None) or os.environ.get("AKORN_OFFICIAL")
    if not path:
        pytest.skip("official AKOrN code not given (--official PATH or AKORN_OFFICIAL)")
    if not Path(path, "source", "layers", "klayer.py").is_file():
        raise FileNotFoundError(f"--official {path} is not an autonomousvision/akorn checkout (no source/layers/klayer.py)")
    return path


def load_catalog() -> dict:
    """This plugin's first-party entries, as merged into the project's registry.yaml."""
    import zoo

    return {name: zoo.entry(name).to_dict() for name in zoo.list_models(plugin="zoo-akorn", include_unavailable=True)}


def build(builder: str, config: dict):
    import importlib

    mod, name = builder.split(":")
    return getattr(importlib.import_module(mod), name)(**config)

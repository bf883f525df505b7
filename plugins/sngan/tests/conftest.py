"""Shared fixtures for the zoo-sngan tests: the plugin's entries of the root registry.yaml."""

from pathlib import Path

import pytest
import yaml

REGISTRY_PATH = Path(__file__).resolve().parents[3] / "registry.yaml"


def sngan_entries() -> dict:
    """The ``zoo-sngan`` entries of the project's registry.yaml (name -> entry)."""
    data = yaml.safe_load(REGISTRY_PATH.read_text())
    return {k: v for k, v in data.items() if isinstance(v, dict) and v.get("plugin") == "zoo-sngan"}


@pytest.fixture(scope="session")
def catalog() -> dict:
    """The plugin's catalog entries (root registry.yaml, ``plugin: zoo-sngan``)."""
    return sngan_entries()

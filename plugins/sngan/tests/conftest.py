"""Shared fixtures for the zoo-sngan tests: the plugin's entries of the root registry.yaml."""

from pathlib import Path

import pytest

from zoo_core.catalog_yaml import load_catalog_file

REGISTRY_PATH = Path(__file__).resolve().parents[3] / "registry.yaml"


def sngan_entries() -> dict:
    """The ``zoo-sngan`` entries of the project's registry.yaml (name -> entry, families and
    papers merged in)."""
    catalog = load_catalog_file(REGISTRY_PATH)
    return {k: e.to_dict() for k, e in catalog.entries.items() if e.plugin == "zoo-sngan"}


@pytest.fixture(scope="session")
def catalog() -> dict:
    """The plugin's catalog entries (root registry.yaml, ``plugin: zoo-sngan``)."""
    return sngan_entries()

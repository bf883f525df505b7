"""The core's conformance kit over every zoo-sngan entry (weights served from the repo's hub/).

The full-size configs (up to the 42M-parameter ImageNet-128 generator) are built with every
width divided by 16 (``overrides``), so building, running and the save/load round trip
stay fast; their exact parameter counts are checked on the meta device in test_models.py.
The two digits entries run at their real (small) size and, once published, are served
through a fake Hub and re-evaluated against their registry results.
"""

import copy
from pathlib import Path

from zoo_core.catalog_yaml import load_catalog_file
from zoo_core.testing.conformance import conformance_suite

_REGISTRY = load_catalog_file(Path(__file__).resolve().parents[3] / "registry.yaml")
_ENTRIES = {k: e.to_dict() for k, e in _REGISTRY.entries.items() if e.plugin == "zoo-sngan"}


def _shrunk(config: dict, factor: int = 16) -> dict:
    """``generator``/``discriminator`` overrides with every width divided by ``factor``."""
    out = {}
    for part in ("generator", "discriminator"):
        sub = copy.deepcopy(config[part])
        if "channels" in sub:
            sub["channels"] = [max(4, int(c) // factor) for c in sub["channels"]]
        if "ch" in sub:
            sub["ch"] = max(8, int(sub["ch"]) // factor)
        out[part] = sub
    return out


OVERRIDES = {name: _shrunk(e["config"]) for name, e in _ENTRIES.items() if "digits" not in name}

TestConformance = conformance_suite("zoo-sngan", overrides=OVERRIDES)

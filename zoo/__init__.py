"""Zoo: a plugin-based PyTorch model zoo with a registry and a pretrained hub.

    import zoo
    zoo.list_models("akorn-*", pretrained=True)
    model = zoo.load("akorn-conv-tetrominoes-style", pretrained=True)

Importing ``zoo`` and listing models never imports torch or model code.
"""

from zoo_core import __version__
from zoo_core.api import (catalog_errors, cite, convert, create, download, entry, info,
                          iter_models, list_models, load, metric, offline, plugins, refresh,
                          registry, resolve_ref)
from zoo_core.errors import *  # noqa: F401,F403
from zoo_core.errors import __all__ as _errors


def save_pretrained(model, directory, card=None):
    """Write ``model`` (built by zoo.create/zoo.load) as config.json + safetensors in ``directory``."""
    from zoo_core.weights import save_pretrained as _save

    return _save(model, directory, card=card)


__all__ = ["__version__", "list_models", "info", "cite", "create", "load", "iter_models",
           "download", "plugins", "offline", "refresh", "registry", "entry", "resolve_ref",
           "metric", "convert", "catalog_errors", "save_pretrained", *_errors]

"""Importing the ``"module:attr"`` references that catalog entries and plugins name.

When a builder cannot be imported, the error says whose mistake it is, because the fix
differs: a wrong reference (fix the entry), a module missing from an installed plugin
(reinstall it), a dependency that is not installed (install it), or code that fails.
"""

from __future__ import annotations

import difflib
import importlib
import traceback
from typing import Any

from zoo_core.errors import ZooError


def import_ref(ref: str) -> Any:
    """Import ``"package.module:attr.path"`` (errors as Python raises them)."""
    module_name, _, attr = ref.partition(":")
    obj = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def import_builder(ref: str, *, model: str, plugin: str | None, package: str | None,
                   where: str) -> Any:
    """Import a model's builder, or raise a ZooError that says what to fix.

    ``package`` is the top-level package of the plugin's own code (None when unknown) and
    ``where`` locates the entry (``registry.yaml:12``).
    """
    module_name, _, attr = ref.partition(":")
    whose = f"the builder {ref!r} of {model!r} (plugin {plugin}, {where})"
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ZooError(_missing_module(exc.name or module_name, module_name, whose, plugin,
                                       package)) from exc
    except Exception as exc:  # the module exists but raises while importing
        frames = traceback.extract_tb(exc.__traceback__)
        at = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
        raise ZooError(f"{whose}: importing {module_name} failed: {type(exc).__name__}: {exc}{at}; "
                       f"the code of {plugin} is broken: upgrade or reinstall it") from exc
    path = module_name
    for part in attr.split("."):
        if not hasattr(obj, part):
            close = difflib.get_close_matches(part, [n for n in dir(obj) if not n.startswith("_")], n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise ZooError(f"{whose} is wrong: {path} has no attribute {part!r}{hint}; fix the "
                           "entry's builder")
        obj, path = getattr(obj, part), f"{path}{':' if path == module_name else '.'}{part}"
    return obj


def _missing_module(missing: str, module_name: str, whose: str, plugin: str | None,
                    package: str | None) -> str:
    if missing != module_name and not module_name.startswith(missing + "."):
        return (f"{whose}: importing {module_name} needs the module {missing!r}, which is not "
                f"installed: install it (a dependency of {plugin}), or reinstall {plugin}")
    parent, _, leaf = missing.rpartition(".")
    if not parent:  # the top-level package itself is missing
        if package and missing != package:
            return (f"{whose} is wrong: {missing!r} is not a package of {plugin} (its code is in "
                    f"{package!r}) and is not installed; fix the entry's builder")
        return (f"{whose}: the package {missing!r} is not installed; if the reference is right, "
                f"reinstall {plugin}, else fix the entry's builder")
    close = difflib.get_close_matches(leaf, _submodules(parent), n=3)
    hint = f" (did you mean {', '.join(repr(f'{parent}.{c}') for c in close)}?)" if close else ""
    return f"{whose} is wrong: {parent} has no module {leaf!r}{hint}; fix the entry's builder"


def _submodules(package: str) -> list[str]:
    import pkgutil

    try:
        return [m.name for m in pkgutil.iter_modules(importlib.import_module(package).__path__)]
    except (ImportError, AttributeError):  # not a package
        return []


__all__ = ["import_ref", "import_builder"]

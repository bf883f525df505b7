"""Catalog files: a plugin's catalog kept as YAML in its package, and writing values back.

A plugin may keep its catalog as a data file in its package (same schema as registry.yaml)
instead of Python literals, so that the core can update it::

    # zoo_lenet/plugin.py
    from zoo_core import hookimpl
    from zoo_core.catalog_files import package_catalog

    @hookimpl
    def zoo_catalog():
        return package_catalog("zoo_lenet", "catalog.yaml")

Errors in the file name its path and line. Every entry remembers the file that defines it
(``Entry.source``, ``Entry.line``), so ``zoo eval --write`` (results) and ``zoo publish
--write`` (weights) update that file: registry.yaml for first-party models, the plugin's
catalog.yaml for the others. Reading never imports torch.
"""

from __future__ import annotations

import os
import site
import sysconfig
from pathlib import Path
from typing import Any, Mapping

from zoo_core.errors import CatalogError


class CatalogData(dict):
    """Catalog data ``{name: entry}`` that remembers its file (``source``), the lines of its
    keys (``{top-level key: {key path: line}}``) and problems that belong to no entry."""

    def __init__(self, data: Mapping[str, Any], *, source: str,
                 lines: Mapping[str, Mapping[tuple[str, ...], int]],
                 errors: list[CatalogError] | None = None) -> None:
        super().__init__(data)
        self.source = source
        self.lines = dict(lines)
        self.errors = list(errors or [])


def package_catalog(package: str, resource: str = "catalog.yaml") -> CatalogData:
    """Read the catalog file ``resource`` shipped in ``package`` (importlib.resources).

    Returns the parsed data for a ``zoo_catalog`` hook; the registry validates each entry
    like registry.yaml and reports problems as ``path:line: entry ..., field ...``.

    Raises:
        CatalogError: the package or file cannot be read, or it is not YAML mapping names to entries.
    """
    from importlib import resources

    from zoo_core.catalog_yaml import read_yaml

    try:
        file = resources.files(package) / resource
    except ModuleNotFoundError as exc:
        raise CatalogError(f"package_catalog({package!r}, {resource!r}): no package {package!r} "
                           "to read it from; pass the plugin's import name",
                           source=f"{package}/{resource}") from exc
    source = str(file) if isinstance(file, Path) else f"{package}/{resource}"
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read the plugin's catalog ({exc.strerror or exc}); it must ship "
                           f"as package data of {package!r} (check that the wheel includes it)",
                           source=source) from exc
    data, lines, loose = read_yaml(text, source)  # a block with a syntax error costs only itself
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise CatalogError(f"the catalog must be a mapping of model name -> entry, got "
                           f"{type(data).__name__}", source=source, line=1)
    return CatalogData(data, source=source, lines=lines, errors=loose)


def defining_file(entry: Any, field: str) -> Path:
    """The catalog file that defines ``entry``, when ``--write`` can update it there.

    Raises:
        CatalogError: the entry is Python data (not a file) or its file is not writable here;
            the message says what to edit instead.
    """
    path = Path(entry.source)
    if not path.is_file():
        raise CatalogError(
            f"the entry comes from {entry.source} as Python data, which --write cannot edit; "
            f"set its {field!r} there by hand (the values are printed above), or keep the "
            "plugin's catalog in a YAML file returned by zoo_core.catalog_files.package_catalog "
            "(docs/plugin-authoring.md)", source=entry.source, entry=entry.name, field=field)
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise CatalogError(
            f"the file is not writable here; put the {field!r} printed above into this entry in "
            "the plugin's source tree (an editable install, pip install -e, lets --write do it)",
            source=str(path), entry=entry.name, field=field, line=entry.line)
    return path


def write_field(entry: Any, field: str, value: Any) -> str:
    """Set ``field`` of ``entry`` in the file that defines it; returns a line saying what changed."""
    from zoo_core.catalog_edit import set_field

    path = defining_file(entry, field)
    set_field(path, entry.name, field, value)
    done = f"{path} ({entry.name}.{field})"
    if _installed(path):
        done += (f"\n  note: {path} is the installed copy of the plugin's catalog; copy it into "
                 "the plugin's source tree, or reinstalling the plugin loses this change "
                 "(an editable install, pip install -e, writes the source directly)")
    return done


def _installed(path: Path) -> bool:
    """True when ``path`` lies inside a site-packages folder (an installed wheel, not a checkout)."""
    paths = sysconfig.get_paths()
    roots = {paths["purelib"], paths["platlib"], *site.getsitepackages(), site.getusersitepackages()}
    resolved = path.resolve()
    return any(resolved.is_relative_to(Path(r).resolve()) for r in roots if r)


__all__ = ["CatalogData", "package_catalog", "defining_file", "write_field"]

"""Catalog files: a plugin's catalog kept as YAML in its package.

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
--write`` (weights) update that file (``zoo_core.catalog_edit.write_field``): registry.yaml
for first-party models, the plugin's catalog.yaml for the others. Reading never imports torch.
"""

from __future__ import annotations

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

    from zoo_core.catalog_yaml import read_yaml_cached

    try:
        file = resources.files(package) / resource
    except ModuleNotFoundError as exc:
        raise CatalogError(f"package_catalog({package!r}, {resource!r}): no package {package!r} "
                           "to read it from; pass the plugin's import name",
                           source=f"{package}/{resource}") from exc
    source = str(file) if isinstance(file, Path) else f"{package}/{resource}"
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read the plugin's catalog ({exc.strerror or exc}); it must ship "
                           f"as package data of {package!r} (check that the wheel includes it)",
                           source=source) from exc
    try:  # a block with a syntax error costs only itself; a clean file is read from the cache
        data, lines, loose = read_yaml_cached(raw, source)
    except UnicodeDecodeError as exc:
        raise CatalogError(f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8",
                           source=source) from exc
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise CatalogError(f"the catalog must be a mapping of model name -> entry, got "
                           f"{type(data).__name__}", source=source, line=1)
    return CatalogData(data, source=source, lines=lines, errors=loose)


__all__ = ["CatalogData", "package_catalog"]

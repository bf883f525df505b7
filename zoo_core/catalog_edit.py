"""Write values into a catalog file (registry.yaml, a plugin's catalog.yaml) without disturbing it.

Only ``zoo eval --write`` (results) and ``zoo publish --write`` (weights) change the catalog,
so no number in it is ever typed by hand. ``write_field`` finds the file that defines an entry
(``Entry.source``) and edits it there; the edit is textual (comments and layout of every
other line stay as they are) and the result is validated before it replaces the file: the
edited entry must be valid and no new problem may appear elsewhere. Per-model fields
(``results``, ``weights``) are never inherited from a family, so the entry's own block holds them.
"""

from __future__ import annotations

import os
import re
import site
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

import yaml

from zoo_core.catalog_yaml import load_catalog_file
from zoo_core.errors import CatalogError


def set_field(path: str | Path, name: str, field: str, value: Any) -> None:
    """Set top-level ``field`` of entry ``name`` to ``value`` (a block written in YAML)."""
    path = Path(path)
    before = {(e.entry, e.field, e.problem) for e in load_catalog_file(path).errors}
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(rf"^{re.escape(name)}\s*:", line)), None)
    if start is None:
        raise CatalogError(f"no entry {name!r} to update in this file",
                           source=str(path), entry=name)
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].strip() and not lines[i].startswith((" ", "#"))), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1  # blank lines and column-0 comments after the entry belong to what follows
    dumped = yaml.safe_dump({field: value}, sort_keys=False, default_flow_style=False, width=100)
    block = ["  " + line + "\n" for line in dumped.rstrip("\n").split("\n")]
    f_start = next((i for i in range(start + 1, end) if re.match(rf"^  {re.escape(field)}\s*:", lines[i])), None)
    if f_start is None:
        new = lines[:end] + block + lines[end:]
    else:
        f_end = next((i for i in range(f_start + 1, end)
                      if lines[i].strip() and not lines[i].startswith("   ")), end)
        new = lines[:f_start] + block + lines[f_end:]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".registry.", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.writelines(new)
    after = load_catalog_file(tmp)  # never write a catalog that does not validate
    added = [e for e in after.errors if (e.entry, e.field, e.problem) not in before]
    problem = after.skipped.get(name) or (added[0] if added else None)
    if problem is not None:
        os.unlink(tmp)
        raise CatalogError(f"writing {field} would break the catalog: {problem.problem}",
                           source=str(path), entry=problem.entry, field=problem.field, line=problem.line)
    os.replace(tmp, path)


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


__all__ = ["set_field", "defining_file", "write_field"]

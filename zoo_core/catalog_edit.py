"""Write values into a catalog file (registry.yaml, a plugin's catalog.yaml) without disturbing it.

Only ``zoo eval --write`` (results) and ``zoo publish --write`` (weights) change the catalog,
so no number in it is ever typed by hand (``zoo_core.catalog_files`` finds the file). The edit is textual (comments and layout of every
other line stay as they are) and the result is validated before it replaces the file: the
edited entry must be valid and no new problem may appear elsewhere. Per-model fields
(``results``, ``weights``) are never inherited from a family, so the entry's own block holds them.
"""

from __future__ import annotations

import os
import re
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
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # keep blank lines between entries outside the block
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


__all__ = ["set_field"]

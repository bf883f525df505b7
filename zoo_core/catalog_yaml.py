"""Reading catalog YAML (registry.yaml, a plugin's catalog.yaml): lines, recovery, a cache.

* Every key's line is kept, so an error points at it; a duplicate key is refused (a second
  definition would silently replace the first), and costs only the entry it is in.
* When the file does not parse, each top-level block (an entry; inside ``papers`` and
  ``families``, each paper or family) is parsed on its own, with its own line numbers: a
  syntax error costs only the block it is in.
* Parsing YAML with PyYAML costs 0.2-0.7 ms per entry, several times more than validating
  it. The validated result is therefore cached as JSON in ``$ZOO_CATALOG_CACHE`` (default
  ``~/.cache/zoo/catalog``; set it empty for no cache), under the sha256 of the file's bytes
  and of the code that reads them: any edit, or a new version of this code, is read afresh.
  A cache that cannot be written is skipped silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from zoo_core import catalog as _schema
from zoo_core.catalog import SECTIONS, Catalog, Entry, parse_catalog
from zoo_core.errors import CatalogError

CACHE_ENV = "ZOO_CATALOG_CACHE"
_CACHE_FORMAT = 1
_CACHE_KEEP = 32  # cached catalogs kept (newest first)
# the key of a block's first line: quoted, or plain up to the first ': ' (arXiv:1234.5678: is one key)
_KEY_RE = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)'|([^\s#'"{\[](?:[^:#]|:(?!\s|$))*?))\s*:(?:\s|$)""")


def load_catalog_file(path: str | Path) -> Catalog:
    """Read and validate a catalog file. Never raises for its content: problems are in ``errors``."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Catalog(errors=[CatalogError(f"cannot read the file ({exc.strerror})", source=source)])
    key = _cache_key(raw)
    cached = _cache_read(key, source)
    if cached is not None:
        return cached
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Catalog(errors=[CatalogError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                                            source=source)])
    catalog = parse_catalog_text(text, source)
    _cache_write(key, catalog, source)
    return catalog


def read_yaml(text: str, source: str) -> tuple[Any, dict, list[CatalogError]]:
    """``(data, {top-level key: {key path: line}}, problems of no entry)`` from catalog YAML;
    a block that cannot be read stands in ``data`` as its CatalogError."""
    return _Reader(source).read(text)


def read_yaml_cached(raw: bytes, source: str) -> tuple[Any, dict, list[CatalogError]]:
    """:func:`read_yaml` of a file's bytes through the catalog cache (a plugin's catalog.yaml,
    read on every listing). Only a file that reads cleanly is cached; raises UnicodeDecodeError."""
    key = _cache_key(b"yaml-data " + raw)
    folder = _cache_dir()
    if folder is not None:
        try:
            payload = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
            return payload["data"], {top: {tuple(path): line for path, line in keys}
                                     for top, keys in payload["lines"]}, []
        except (OSError, ValueError, KeyError, TypeError):  # missing or unreadable: parse
            pass
    data, lines, loose = read_yaml(raw.decode("utf-8"), source)
    clean = not loose and not (isinstance(data, dict) and any(isinstance(v, CatalogError) for v in data.values()))
    if folder is not None and clean:
        payload = {"data": data, "lines": [[top, [[list(path), line] for path, line in keys.items()]]
                                           for top, keys in lines.items()]}
        _write_json(folder, key, payload, lambda back: back["data"] == data)
    return data, lines, loose


def parse_catalog_text(text: str, source: str) -> Catalog:
    """Validate catalog YAML; errors in file order."""
    data, lines, loose = read_yaml(text, source)
    catalog = parse_catalog(data, source=source, lines=lines)
    catalog.errors = sorted(loose + catalog.errors, key=lambda e: (e.line is None, e.line or 0))
    return catalog


# --- YAML with line numbers, one block at a time ------------------------------------------

class _Reader:
    """Composes YAML into ``{top-level key: value}``; a block that cannot be read becomes its
    CatalogError, which :func:`parse_catalog` reports as that entry's (or paper's) problem."""

    def __init__(self, source: str) -> None:
        import yaml  # only when the cache misses: listing from the cache needs no YAML

        self.yaml, self.source = yaml, source
        self.loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser is much faster
        self.constructor = yaml.constructor.SafeConstructor()
        self.loose: list[CatalogError] = []  # problems that belong to no entry

    def read(self, text: str) -> tuple[Any, dict, list[CatalogError]]:
        try:
            root = self.yaml.compose(text, Loader=self.loader)
        except self.yaml.YAMLError:
            items = self._recover(text.splitlines(keepends=True), 0, None, None)
        else:
            if root is None:
                return None, {}, []
            if not isinstance(root, self.yaml.MappingNode):  # parse_catalog says what it should be
                return self.constructor.construct_document(root), {}, []
            items = self._items(root)
        data, lines = self._collect(items, None)
        return data, lines, self.loose

    def _items(self, node: Any) -> list[tuple[str, int, Any]]:
        return [(str(k.value), k.start_mark.line + 1, v) for k, v in node.value]

    def _collect(self, items: list, section: str | None) -> tuple[dict, dict]:
        """``{name: value or CatalogError}`` and ``{name: {key path: line}}`` for one level."""
        data: dict[str, Any] = {}
        lines: dict[str, dict[tuple[str, ...], int]] = {}
        first: dict[str, int] = {}
        for name, line, value in items:
            where = {"field": f"{section}.{name}"} if section else {"entry": name}
            if name in first:
                data[name] = CatalogError(
                    f"duplicate key {name!r}, at lines {first[name]} and {line} (a second definition "
                    "would silently replace the first); keep one", source=self.source, line=line, **where)
                continue
            first[name] = line
            own = lines[name] = {(): line}
            if section is None and name in SECTIONS and (
                    isinstance(value, list) or isinstance(value, self.yaml.MappingNode)):
                children = value if isinstance(value, list) else self._items(value)
                data[name], below = self._collect(children, name)
                own.update({(child, *path): n for child, paths in below.items() for path, n in paths.items()})
                continue
            try:
                if isinstance(value, CatalogError):
                    raise value
                self._walk(value, (), own, where)
                data[name] = self.constructor.construct_document(value)
            except CatalogError as exc:
                data[name] = exc
            except self.yaml.YAMLError as exc:  # e.g. a tag SafeLoader refuses
                data[name] = self._syntax_error(exc, where)
        return data, lines

    def _walk(self, node: Any, path: tuple[str, ...], out: dict, where: dict) -> None:
        """Record the line of every key below ``node``; refuse a key given twice."""
        if not isinstance(node, self.yaml.MappingNode):
            return
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                field = ".".join(filter(None, (where.get("field"), *path, key)))
                raise CatalogError(f"duplicate key {key!r} (a second definition would silently "
                                   "replace the first); keep one", source=self.source,
                                   entry=where.get("entry"), field=field, line=line)
            seen.add(key)
            out[path + (key,)] = line
            if len(path) < 4:
                self._walk(value_node, path + (key,), out, where)

    def _recover(self, lines: list[str], start: int, indent: int | None,
                 section: str | None) -> list[tuple[str, int, Any]]:
        """Compose each block of ``lines[start:]`` that starts at ``indent`` (the first content
        line's, when None) on its own; ``(name, line, node or CatalogError or [children])``."""
        content = [i for i in range(start, len(lines))
                   if lines[i].strip() and not lines[i].lstrip().startswith("#")]
        if not content:
            return []
        if indent is None:
            indent = len(lines[content[0]]) - len(lines[content[0]].lstrip())
        starts = [i for i in content if len(lines[i]) - len(lines[i].lstrip()) == indent]
        items: list[tuple[str, int, Any]] = []
        for k, head in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
            begin = start if k == 0 else head  # the first block keeps the comments above it
            text = "\n" * begin + "".join(lines[begin:end])  # padding keeps line numbers right
            try:
                node = self.yaml.compose(text, Loader=self.loader)
            except self.yaml.YAMLError as exc:
                match = _KEY_RE.match(lines[head])
                name = next((g for g in match.groups() if g is not None), None) if match else None
                if name is None:
                    self.loose.append(self._syntax_error(exc, {"field": section} if section else {}, end))
                elif section is None and name in SECTIONS:  # read its papers / families one by one
                    items.append((name, head + 1, self._recover(lines[:end], head + 1, None, name)))
                else:
                    where = {"field": f"{section}.{name}"} if section else {"entry": name}
                    items.append((name, head + 1, self._syntax_error(exc, where, end)))
                continue
            if isinstance(node, self.yaml.MappingNode):
                items.extend(self._items(node))
            elif node is not None:
                self.loose.append(CatalogError("expected 'name:' at the start of this block",
                                               source=self.source, line=head + 1))
        return items

    def _syntax_error(self, exc: Exception, where: dict, last: int | None = None) -> CatalogError:
        """``last``: the block's last line, where a problem found past its end is reported."""
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark else None
        if line and last:
            line = min(line, last)
        return CatalogError(f"malformed YAML: {problem}; fix the syntax", source=self.source,
                            line=line, **where)


# --- the cache ------------------------------------------------------------------------

def _cache_dir() -> Path | None:
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return Path(env) if env else None
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:  # no home directory
        return None
    return base / "zoo" / "catalog"


def _cache_key(raw: bytes) -> str:
    digest = hashlib.sha256(f"zoo-catalog {_CACHE_FORMAT}".encode())
    for code in (_schema.__file__, __file__):  # the result depends on this code too
        stat = os.stat(code)
        digest.update(f" {stat.st_mtime_ns} {stat.st_size}".encode())
    digest.update(raw)
    return digest.hexdigest()


def _cache_read(key: str, source: str) -> Catalog | None:
    folder = _cache_dir()
    if folder is None:
        return None
    try:
        return _from_payload(json.loads((folder / f"{key}.json").read_text(encoding="utf-8")), source)
    except (OSError, ValueError, KeyError, TypeError, IndexError):  # missing or unreadable: parse
        return None


def _cache_write(key: str, catalog: Catalog, source: str) -> None:
    folder = _cache_dir()
    if folder is None:
        return
    _write_json(folder, key, _payload(catalog),
                lambda back: _from_payload(back, source).entries == catalog.entries)


def _write_json(folder: Path, key: str, payload: Any, faithful) -> None:
    """Write ``payload`` as ``key``.json if ``faithful(read back)`` holds; keep the newest files."""
    try:
        text = json.dumps(payload, separators=(",", ":"))
        if not faithful(json.loads(text)):
            return  # values JSON cannot hold exactly (dates, integer keys): no cache
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, folder / f"{key}.json")
        for old in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[_CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, TypeError, ValueError):
        pass


def _payload(catalog: Catalog) -> dict[str, Any]:
    """The catalog as JSON data; a paper's shared fields are stored once, as in the file."""
    entries = []
    for e in catalog.entries.values():
        data = e.to_dict()
        paper = e.provenance.get("paper")
        shared = catalog.papers.get(paper) if isinstance(paper, str) else None
        if shared:
            data["provenance"] = {k: v for k, v in e.provenance.items()
                                  if k == "paper" or k not in shared or v != shared[k]}
        entries.append([e.name, e.line, data])
    index = {id(e): i for i, e in enumerate(catalog.errors)}
    return {"papers": catalog.papers, "entries": entries,
            "errors": [[e.problem, e.entry, e.field, e.line] for e in catalog.errors],
            "skipped": {name: index[id(e)] for name, e in catalog.skipped.items()}}


def _from_payload(payload: dict[str, Any], source: str) -> Catalog:
    papers = payload["papers"]
    entries = {}
    for name, line, data in payload["entries"]:
        provenance = data.get("provenance", {})
        shared = papers.get(provenance["paper"]) if isinstance(provenance.get("paper"), str) else None
        if shared:
            data["provenance"] = {"paper": provenance["paper"], **shared, **provenance}
        entries[name] = Entry.from_dict(name, data, source=source, line=line)
    errors = [CatalogError(problem, source=source, entry=entry, field=field, line=line)
              for problem, entry, field, line in payload["errors"]]
    return Catalog(entries=entries, errors=errors, papers=papers,
                   skipped={name: errors[i] for name, i in payload["skipped"].items()})


__all__ = ["load_catalog_file", "parse_catalog_text", "read_yaml", "CACHE_ENV"]

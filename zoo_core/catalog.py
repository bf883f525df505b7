"""The catalog: schema and validation of registry.yaml and plugin-contributed entries.

An entry describes one model name: which plugin provides it, how to build it (a
``module:callable`` builder and its full constructor config), its task, its published
weights (repo, pinned revision, sha256 and size of every file), its results and provenance.
Everything here is plain data: reading the catalog never imports torch or model code.

Shared facts are written once. Two reserved top-level keys hold them:

* ``papers``: ``{paper id: provenance fields}`` (code, license, citation, ...); an entry whose
  ``provenance.paper`` names one gets those fields under its own;
* ``families``: ``{family name: partial entry}``; an entry with ``family: NAME`` starts from
  it. Mappings merge key by key, anything else is replaced; the entry's own values win.

A malformed entry costs only itself: it is left out and its error kept (``Catalog.skipped``).
Errors name the source file, the line, the entry and the field::

    registry.yaml:14: entry 'akorn-attn-tetrominoes-style', field 'weights.files.model.sha256':
    expected 64 hexadecimal characters, got 'abc'
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Mapping  # isinstance checks: much faster than typing.Mapping's
from typing import Any

from zoo_core.errors import CatalogError

NAME_RE = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
REF_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
REPO_RE = re.compile(r"^[\w.-]+/[\w.-]+$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
COMPONENT_RE = re.compile(r"^[a-z][a-z0-9_]*$")

ENTRY_FIELDS = {
    "plugin": "distribution that provides the model, e.g. zoo-akorn",
    "builder": "module:callable, called as builder(**config)",
    "config": "full constructor keyword arguments",
    "task": "task name, e.g. object-discovery/tetrominoes",
    "description": "one line",
    "weights": "published weights: repo, revision, files",
    "results": "metric values written by `zoo eval`",
    "provenance": ("trained_by, recipe, data, license, paper, code, citation; stands_in_for (the paper-data "
                   "entry this regenerated-data one replaces here), unpublished (why there are no weights)"),
    "aliases": "other names for this model",
    "deprecated_aliases": "former names that still reach this model, with a warning: names, reason, since",
    "converter": "converter name for official checkpoints",
    "train": "training recipe settings for `zoo train`",
    "eval": "evaluation settings for `zoo eval`",
    "tags": "free-form tags",
    "family": "name of a `families` entry whose fields this entry inherits",
}
REQUIRED_FIELDS = ("builder",)
SECTIONS = ("papers", "families")  # reserved top-level keys: shared facts, not models
PER_MODEL_FIELDS = ("weights", "results", "aliases", "deprecated_aliases", "family")  # never inherited
DEPRECATED_FIELDS = ("names", "reason", "since")


@dataclasses.dataclass(frozen=True)
class WeightFile:
    """One published file: its name in the repo, sha256 and size in bytes."""

    file: str
    sha256: str
    bytes: int


@dataclasses.dataclass(frozen=True)
class Weights:
    """Where an entry's weights live: a Hub repo at a pinned revision, one file per component."""

    repo: str
    revision: str
    files: Mapping[str, WeightFile]


@dataclasses.dataclass(frozen=True)
class DeprecatedAliases:
    """Former names of an entry: each still reaches it, with a warning saying ``reason``.

    A former name may also be another entry's name (the name was reused, e.g. for the
    paper-dataset architecture after the weights moved): that entry keeps the name, and the
    former name reaches this one only where published weights are asked for (registry.py).
    """

    names: tuple[str, ...]
    reason: str  # why the name changed; every warning quotes it
    since: str | None = None  # when (a date or a version)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"names": list(self.names), "reason": self.reason}
        if self.since:
            out["since"] = self.since
        return out


@dataclasses.dataclass(frozen=True)
class Entry:
    """One validated catalog entry."""

    name: str
    builder: str
    plugin: str | None = None
    config: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    task: str | None = None
    description: str = ""
    weights: Weights | None = None
    results: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    provenance: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    deprecated_aliases: DeprecatedAliases | None = None
    converter: str | None = None
    train: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    eval: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    tags: tuple[str, ...] = ()
    source: str = "<unknown>"
    line: int | None = None

    @property
    def pretrained(self) -> bool:
        """True when the entry has published weights."""
        return self.weights is not None

    def to_dict(self) -> dict[str, Any]:
        """The entry as plain data (the shape it has in registry.yaml)."""
        out: dict[str, Any] = {"plugin": self.plugin, "builder": self.builder,
                               "config": dict(self.config), "task": self.task}
        if self.description:
            out["description"] = self.description
        if self.weights:
            out["weights"] = {"repo": self.weights.repo, "revision": self.weights.revision,
                              "files": {k: dataclasses.asdict(v) for k, v in self.weights.files.items()}}
        for key in ("results", "provenance", "train", "eval"):
            if getattr(self, key):
                out[key] = dict(getattr(self, key))
        if self.aliases:
            out["aliases"] = list(self.aliases)
        if self.deprecated_aliases:
            out["deprecated_aliases"] = self.deprecated_aliases.to_dict()
        if self.converter:
            out["converter"] = self.converter
        if self.tags:
            out["tags"] = list(self.tags)
        return out

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any], *, source: str,
                  line: int | None = None) -> "Entry":
        """Rebuild an entry from :meth:`to_dict` output that was validated before (no checks)."""
        w = data.get("weights")
        weights = (Weights(repo=w["repo"], revision=w["revision"],
                           files={c: WeightFile(**f) for c, f in w["files"].items()}) if w else None)
        d = data.get("deprecated_aliases")
        deprecated = DeprecatedAliases(names=tuple(d["names"]), reason=d["reason"],
                                       since=d.get("since")) if d else None
        return cls(name=name, builder=data["builder"], plugin=data.get("plugin"),
                   config=data.get("config", {}), task=data.get("task"),
                   description=data.get("description", ""), weights=weights,
                   results=data.get("results", {}), provenance=data.get("provenance", {}),
                   aliases=tuple(data.get("aliases", ())), deprecated_aliases=deprecated,
                   converter=data.get("converter"),
                   train=data.get("train", {}), eval=data.get("eval", {}),
                   tags=tuple(data.get("tags", ())), source=source, line=line)


@dataclasses.dataclass
class Catalog:
    """What a catalog source yields: its valid entries, and every problem found in it."""

    entries: dict[str, Entry] = dataclasses.field(default_factory=dict)
    errors: list[CatalogError] = dataclasses.field(default_factory=list)  # in file order
    skipped: dict[str, CatalogError] = dataclasses.field(default_factory=dict)  # name or alias -> why
    papers: dict[str, dict] = dataclasses.field(default_factory=dict)  # paper id -> shared provenance

    def skip(self, name: str, raw: Any, error: CatalogError) -> None:
        """Leave out a malformed entry, remembering why under its name and the aliases it lists."""
        self.errors.append(error)
        aliases = raw.get("aliases") if isinstance(raw, Mapping) else None
        former = raw.get("deprecated_aliases") if isinstance(raw, Mapping) else None
        former = former.get("names") if isinstance(former, Mapping) else None
        for key in [name, *(aliases if isinstance(aliases, list) else [aliases]),
                    *(former if isinstance(former, list) else [])]:
            if isinstance(key, str):
                self.skipped.setdefault(key, error)


# --- the whole catalog: shared sections, then one entry at a time -----------------------

Lines = Mapping[str, Mapping[tuple[str, ...], int]]  # top-level key -> {key path below it: line}


def parse_catalog(data: Any, *, source: str, lines: Lines | None = None,
                  plugin: str | None = None) -> Catalog:
    """Validate catalog data (``{name: entry}``, plus ``papers`` and ``families``).

    A value that is already a :class:`CatalogError` stands for a part the YAML reader could
    not read. ``lines`` locates keys (``{top-level key: {path: line}}``); ``plugin`` fills in
    (and must match) the ``plugin`` field of entries a plugin contributes.
    """
    lines = lines or {}
    catalog = Catalog()
    if data is None:
        return catalog
    if not isinstance(data, Mapping):
        catalog.errors.append(CatalogError(f"the catalog must be a mapping of model name -> entry, "
                                           f"got {type(data).__name__}", source=source, line=1))
        return catalog
    sections = {key: _section(key, data.get(key), source, lines.get(key, {}), catalog.errors)
                for key in SECTIONS}
    shared_lines = {key: _by_name(lines.get(key, {})) for key in SECTIONS}
    if isinstance(sections["papers"], dict):
        catalog.papers = {k: dict(v) for k, v in sections["papers"].items() if isinstance(v, Mapping)}
    for name, raw in data.items():
        name = str(name)
        if name in SECTIONS:
            continue
        try:
            if isinstance(raw, CatalogError):
                raise raw
            merged, entry_lines = _inherit(name, raw, sections, lines.get(name, {}), shared_lines,
                                           source)
            catalog.entries[name] = _parse_entry(name, merged, source=source, lines=entry_lines,
                                                 plugin=plugin)
        except CatalogError as exc:
            catalog.skip(name, raw, exc)
    return catalog


def _section(key: str, raw: Any, source: str, lines: Mapping[tuple[str, ...], int],
             errors: list[CatalogError]) -> dict[str, Any] | CatalogError:
    """``papers`` or ``families`` as ``{name: fields or the CatalogError that makes them unusable}``
    (or one CatalogError when the whole section is unreadable). Problems go to ``errors``."""
    if raw is None:
        return {}
    if not isinstance(raw, (Mapping, CatalogError)):
        raw = CatalogError(f"expected a mapping of name -> fields, got {type(raw).__name__}",
                           source=source, field=key, line=lines.get(()))
    if isinstance(raw, CatalogError):
        errors.append(raw)
        return raw
    out: dict[str, Any] = {}
    for name, value in raw.items():
        name = str(name)
        if not isinstance(value, CatalogError):
            problem = _shared_fields_problem(key, value)
            if problem:
                message, field = problem
                value = CatalogError(message, source=source, field=".".join((key, name, *field)),
                                     line=lines.get((name, *field), lines.get((name,))))
        if isinstance(value, CatalogError):
            errors.append(value)
        out[name] = value
    return out


def _shared_fields_problem(key: str, value: Any) -> tuple[str, tuple[str, ...]] | None:
    """What is wrong with one paper or family (message, field), or None."""
    if not isinstance(value, Mapping):
        return f"expected a mapping of fields, got {type(value).__name__}", ()
    if key == "papers" and "paper" in value:
        return "a paper's fields do not repeat 'paper' (its key is the paper id)", ("paper",)
    if key == "families":
        for field in value:
            if field not in ENTRY_FIELDS or field in PER_MODEL_FIELDS:
                allowed = ", ".join(f for f in ENTRY_FIELDS if f not in PER_MODEL_FIELDS)
                return f"a family holds shared fields only ({allowed})", (str(field),)
    return None


def _by_name(lines: Mapping[tuple[str, ...], int]) -> dict[str, dict[tuple[str, ...], int]]:
    """A section's ``{(name, *path): line}`` as ``{name: {path: line}}``."""
    out: dict[str, dict[tuple[str, ...], int]] = {}
    for path, line in lines.items():
        if path:
            out.setdefault(path[0], {})[path[1:]] = line
    return out


def _lookup(sections: Mapping[str, Any], key: str, name: str) -> Mapping[str, Any] | CatalogError | None:
    section = sections[key]
    return section if isinstance(section, CatalogError) else section.get(name)


def _inherit(name: str, raw: Any, sections: Mapping[str, Any], own: Mapping[tuple[str, ...], int],
             shared_lines: Mapping[str, Mapping[str, dict]], source: str
             ) -> tuple[Any, dict[tuple[str, ...], int]]:
    """The entry with its family's fields and its paper's provenance filled in, and where each
    value was written (``{field path: line}``; ``own``: the entry's, ``shared_lines``: the
    sections' by name)."""
    if not isinstance(raw, Mapping):
        return raw, dict(own)

    def fail(message: str, *fields: str) -> CatalogError:
        return CatalogError(message, source=source, entry=name, field=".".join(fields),
                            line=own.get(fields, own.get(())))

    merged = {k: v for k, v in raw.items() if k != "family"}
    where: dict[tuple[str, ...], int] = {}
    family = raw.get("family")
    if family is not None:
        if not isinstance(family, str):
            raise fail(f"expected the name of a family, got {family!r}", "family")
        defaults = _lookup(sections, "families", family)
        if isinstance(defaults, CatalogError):
            raise fail(f"its family {family!r} is malformed ({defaults})", "family")
        if defaults is None:
            raise fail(f"no family {family!r} under `families`", "family")
        merged = _merge(_fresh(defaults), merged)  # members never share mutable values
        where.update(shared_lines["families"].get(family, {}))
    provenance = merged.get("provenance")
    paper = provenance.get("paper") if isinstance(provenance, Mapping) else None
    if isinstance(paper, str):
        shared = _lookup(sections, "papers", paper)
        if isinstance(shared, CatalogError):
            raise fail(f"its paper {paper!r} is malformed ({shared})", "provenance", "paper")
        if shared:
            merged["provenance"] = {"paper": paper, **shared, **provenance}
            where.update({("provenance", *p): n
                          for p, n in shared_lines["papers"].get(paper, {}).items() if p})
    where.update(own)
    return merged, where


def _fresh(value: Any) -> Any:
    """A copy of nested dicts and lists (the shapes YAML gives)."""
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``over``; mappings present in both merge key by key."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        out[key] = _merge(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return out


def _parse_entry(name: str, raw: Any, *, source: str, lines: Mapping[tuple[str, ...], int],
                 plugin: str | None) -> Entry:
    """Validate one entry (families and papers already merged in); ``lines``: {field path: line}."""
    def fail(message: str, *fields: str) -> CatalogError:
        path, line = tuple(fields), None
        while line is None:  # nearest located parent, down to the entry's own line
            line = lines.get(path)
            if not path:
                break
            path = path[:-1]
        return CatalogError(message, source=source, entry=name,
                            field=".".join(fields) or None, line=line)

    if not NAME_RE.match(name):
        raise fail("model names are lower case words joined by hyphens, "
                   "<method>-<variant>-<dataset> (e.g. akorn-attn-tetrominoes)")
    if not isinstance(raw, Mapping):
        raise fail(f"an entry must be a mapping of fields, got {type(raw).__name__}")
    for key in raw:
        if key not in ENTRY_FIELDS:
            close = difflib.get_close_matches(str(key), ENTRY_FIELDS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise fail(f"unknown field; {hint}allowed fields: {', '.join(ENTRY_FIELDS)}", str(key))
    for key in REQUIRED_FIELDS:
        if key not in raw:
            raise fail(f"missing required field {key!r} ({ENTRY_FIELDS[key]})")

    def string(key: str, pattern: re.Pattern | None = None, hint: str = "", *, value: Any = None,
               fields: tuple[str, ...] | None = None) -> str:
        value = raw.get(key) if value is None else value
        fields = fields or (key,)
        if not isinstance(value, str) or not value:
            raise fail(f"expected a non-empty string, got {value!r}", *fields)
        if pattern and not pattern.match(value):
            raise fail(f"{hint}, got {value!r}", *fields)
        return value

    def mapping(key: str) -> dict:
        value = raw.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise fail(f"expected a mapping, got {type(value).__name__}", key)
        return dict(value)

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"expected a list of strings, got {value!r}", key)
        return tuple(value)

    builder = string("builder", REF_RE, "expected 'module:callable' (e.g. zoo_akorn.models:AKOrN)")
    entry_plugin = raw.get("plugin")
    if entry_plugin is not None:
        entry_plugin = string("plugin")
    if plugin is not None:
        if entry_plugin is not None and _norm(entry_plugin) != _norm(plugin):
            raise fail(f"a plugin may only contribute its own models: this entry says plugin "
                       f"{entry_plugin!r} but comes from {plugin!r}", "plugin")
        entry_plugin = plugin
    task = string("task") if raw.get("task") is not None else None
    aliases = strings("aliases")
    for alias in aliases:
        if not NAME_RE.match(alias):
            raise fail(f"alias {alias!r} is not a valid model name (lower case, hyphens)", "aliases")
    deprecated = (_parse_deprecated(raw["deprecated_aliases"], (name, *aliases), fail)
                  if raw.get("deprecated_aliases") is not None else None)
    weights = _parse_weights(raw.get("weights"), fail) if raw.get("weights") is not None else None
    results = mapping("results")
    for key, value in results.items():
        if not isinstance(value, (int, float, str, list, dict)) or isinstance(value, bool):
            raise fail(f"results must be numbers (written by `zoo eval`), got {value!r}", "results", str(key))
    description = raw.get("description") or ""
    if not isinstance(description, str):
        raise fail("expected a string", "description")
    converter = string("converter") if raw.get("converter") is not None else None
    return Entry(
        name=name, builder=builder, plugin=entry_plugin, config=mapping("config"), task=task,
        description=description.strip(), weights=weights, results=results,
        provenance=mapping("provenance"), aliases=aliases, deprecated_aliases=deprecated,
        converter=converter,
        train=mapping("train"), eval=mapping("eval"), tags=strings("tags"), source=source,
        line=lines.get(()),
    )


def _parse_deprecated(raw: Any, own: tuple[str, ...], fail) -> DeprecatedAliases:
    """``deprecated_aliases: {names: [...], reason: "...", since: "..."}``; ``own``: the entry's
    name and aliases, which cannot also be former names."""
    field = "deprecated_aliases"
    if not isinstance(raw, Mapping):
        raise fail(f"expected a mapping with {', '.join(DEPRECATED_FIELDS)}, got {type(raw).__name__}", field)
    for key in raw:
        if key not in DEPRECATED_FIELDS:
            raise fail(f"unknown field; allowed: {', '.join(DEPRECATED_FIELDS)}", field, str(key))
    names, reason, since = raw.get("names"), raw.get("reason"), raw.get("since")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise fail(f"expected a non-empty list of former model names, got {names!r}", field, "names")
    for old in names:
        if not NAME_RE.match(old):
            raise fail(f"{old!r} is not a valid model name (lower case, hyphens)", field, "names")
        if old in own:
            raise fail(f"{old!r} is this entry's name or alias; a former name is neither", field, "names")
    if not isinstance(reason, str) or not reason.strip():
        raise fail("expected a non-empty string: why the name changed (the warning says it)", field, "reason")
    if since is not None and (not isinstance(since, str) or not since):
        raise fail(f"expected a string (a date or a version; quote a date), got {since!r}", field, "since")
    return DeprecatedAliases(names=tuple(dict.fromkeys(names)), reason=reason.strip(), since=since)


def _parse_weights(raw: Any, fail) -> Weights:
    if not isinstance(raw, Mapping):
        raise fail(f"expected a mapping with repo, revision and files, got {type(raw).__name__}", "weights")
    for key in raw:
        if key not in ("repo", "revision", "files"):
            raise fail("unknown field; allowed: repo, revision, files", "weights", str(key))
    for key in ("repo", "revision", "files"):
        if key not in raw:
            raise fail(f"missing {key!r}", "weights")
    repo, revision, files = raw["repo"], raw["revision"], raw["files"]
    if not isinstance(repo, str) or not REPO_RE.match(repo):
        raise fail(f"expected a Hub repo id 'org/name', got {repo!r}", "weights", "repo")
    if not isinstance(revision, str) or not revision:
        raise fail(f"expected a revision (a 40-hex commit id pins it), got {revision!r}", "weights", "revision")
    if not isinstance(files, Mapping) or not files:
        raise fail("expected a mapping of component -> {file, sha256, bytes}", "weights", "files")
    parsed = {}
    for component, spec in files.items():
        where = ("weights", "files", str(component))
        if not COMPONENT_RE.match(str(component)):
            raise fail("component names are lower case identifiers (model, generator, ...)", *where)
        if not isinstance(spec, Mapping) or set(spec) != {"file", "sha256", "bytes"}:
            raise fail(f"expected exactly the fields file, sha256, bytes; got {spec!r}", *where)
        file, sha, size = spec["file"], spec["sha256"], spec["bytes"]
        if not isinstance(file, str) or not file.endswith(".safetensors") or ".." in file.split("/"):
            raise fail(f"published weights are .safetensors files inside the repo, got {file!r}", *where, "file")
        if not isinstance(sha, str) or not SHA256_RE.match(sha):
            raise fail(f"expected 64 lower-case hexadecimal characters, got {sha!r}", *where, "sha256")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise fail(f"expected a positive byte count, got {size!r}", *where, "bytes")
        parsed[str(component)] = WeightFile(file=file, sha256=sha, bytes=size)
    return Weights(repo=repo, revision=revision, files=parsed)


@functools.lru_cache(maxsize=None)
def _norm(dist: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", dist).lower()


__all__ = ["Entry", "DeprecatedAliases", "Weights", "WeightFile", "Catalog", "parse_catalog", "NAME_RE", "REF_RE", "SECTIONS"]

"""The catalog: schema, validation and loading of registry.yaml and plugin-contributed entries.

An entry describes one model name: which plugin provides it, how to build it (a
``module:callable`` builder and its full constructor config), its task, its published
weights (repo, pinned revision, sha256 and size of every file), its results and provenance.
Everything here is plain data: reading the catalog never imports torch or model code.

Errors name the source file, the line, the entry and the field::

    registry.yaml:14: entry 'akorn-attn-tetrominoes', field 'weights.files.model.sha256':
    expected 64 hexadecimal characters, got 'abc'
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from zoo_core.errors import CatalogError

try:  # the C parser is several times faster; fall back to pure Python
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

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
    "provenance": "trained_by, recipe, data, license, paper, code, citation",
    "aliases": "other names for this model",
    "converter": "converter name for official checkpoints",
    "train": "training recipe settings for `zoo train`",
    "eval": "evaluation settings for `zoo eval`",
    "tags": "free-form tags",
}
REQUIRED_FIELDS = ("builder",)


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
        if self.converter:
            out["converter"] = self.converter
        if self.tags:
            out["tags"] = list(self.tags)
        return out


# --- YAML with line numbers -----------------------------------------------------------

def _compose(text: str, source: str) -> tuple[Any, dict[tuple[str, ...], int]]:
    """Parse YAML, refusing duplicate keys, and return (data, {key path: line number})."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(f"malformed YAML: {problem}; fix the file's syntax",
                           source=source, line=line) from exc
    if node is None:
        return {}, {}
    lines: dict[tuple[str, ...], int] = {}

    def walk(n: Any, path: tuple[str, ...]) -> None:
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in n.value:
                key = str(key_node.value)
                if key in seen:
                    raise CatalogError(f"duplicate key {key!r} (a second definition would silently "
                                       "replace the first); keep one", source=source,
                                       entry=path[0] if path else key,
                                       field=".".join(path[1:] + (key,)) if path else None,
                                       line=key_node.start_mark.line + 1)
                seen.add(key)
                lines[path + (key,)] = key_node.start_mark.line + 1
                if len(path) < 4:
                    walk(value_node, path + (key,))

    walk(node, ())
    constructor = yaml.constructor.SafeConstructor()
    return constructor.construct_document(node), lines


def load_catalog_file(path: str | Path) -> dict[str, Entry]:
    """Read and validate a catalog YAML file (registry.yaml). Raises CatalogError with the line."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read the file ({exc.strerror})", source=source) from exc
    data, lines = _compose(text, source)
    return parse_catalog(data, source=source, lines=lines)


def parse_catalog(data: Any, *, source: str, lines: Mapping[tuple[str, ...], int] | None = None,
                  plugin: str | None = None) -> dict[str, Entry]:
    """Validate catalog data (``{name: entry}``) and return ``{name: Entry}``.

    ``plugin`` fills in (and must match) the ``plugin`` field of entries a plugin contributes.
    """
    lines = lines or {}
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise CatalogError(f"the catalog must be a mapping of model name -> entry, got "
                           f"{type(data).__name__}", source=source, line=1)
    out: dict[str, Entry] = {}
    for name, raw in data.items():
        out[str(name)] = _parse_entry(str(name), raw, source=source, lines=lines, plugin=plugin)
    return out


def _parse_entry(name: str, raw: Any, *, source: str, lines: Mapping[tuple[str, ...], int],
                 plugin: str | None) -> Entry:
    def fail(message: str, *fields: str) -> CatalogError:
        path = (name, *fields)
        line = None
        while path and line is None:  # nearest located parent
            line = lines.get(path)
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
        provenance=mapping("provenance"), aliases=aliases, converter=converter,
        train=mapping("train"), eval=mapping("eval"), tags=strings("tags"), source=source,
        line=lines.get((name,)),
    )


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


__all__ = ["Entry", "Weights", "WeightFile", "load_catalog_file", "parse_catalog", "NAME_RE", "REF_RE"]

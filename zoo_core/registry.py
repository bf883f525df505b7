"""Name resolution over the whole catalog: registry.yaml plus plugin-contributed entries.

First-party entries (registry.yaml) come first, then each plugin's ``zoo_catalog()`` in
entry-point order. A name (or alias) already owned is refused and reported on the later
plugin, naming both owners; every other model keeps working. A malformed entry is left out
and remembered in ``skipped``, so asking for it says what is wrong and where.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
from pathlib import Path
from typing import Iterable

from zoo_core.catalog import Catalog, Entry, _norm, parse_catalog
from zoo_core.catalog_file import load_catalog_file
from zoo_core.errors import (CatalogError, PluginNotInstalledError, PluginUnavailableError,
                             UnknownModelError)
from zoo_core.plugins import PluginHost

REGISTRY_ENV = "ZOO_REGISTRY"


def default_registry_path() -> Path | None:
    """registry.yaml: ``$ZOO_REGISTRY``, else the copy packaged in zoo_core, else the repo root's."""
    env = os.environ.get(REGISTRY_ENV)
    if env is not None:
        return Path(env) if env else None
    here = Path(__file__).resolve().parent
    for candidate in (here / "registry.yaml", here.parent / "registry.yaml"):
        if candidate.is_file():
            return candidate
    return None


class Registry:
    """All known models: ``entries`` by name, ``aliases`` to names, and why anything is missing."""

    def __init__(self, host: PluginHost, registry_path: Path | None = None) -> None:
        self.host = host
        self.entries: dict[str, Entry] = {}
        self.aliases: dict[str, str] = {}
        self.owner: dict[str, str] = {}  # name or alias -> who provides it (for conflicts)
        self.errors: list[CatalogError] = []  # problems in registry.yaml (plugins: their warnings)
        self.skipped: dict[str, CatalogError] = {}  # malformed entry's name or alias -> why
        self.first_party_packages: dict[str, str] = {}  # method prefix -> distribution
        first_party = load_catalog_file(registry_path) if registry_path is not None else Catalog()
        self.errors.extend(first_party.errors)  # reported by `zoo list` / `zoo plugins`
        self.skipped.update(first_party.skipped)
        for entry in first_party.entries.values():
            self._add(entry, owner=f"registry.yaml ({entry.plugin})")
            if entry.plugin:
                self.first_party_packages.setdefault(entry.name.split("-")[0], entry.plugin)
        for status in host.plugins.values():
            if status.status != "ok" or "zoo_catalog" not in status.data:
                continue
            where = status.sources.get("zoo_catalog")
            catalog = parse_catalog(status.data["zoo_catalog"], plugin=status.dist,
                                    source=f"plugin {status.name}" + (f" ({where})" if where else ""))
            status.warnings.extend(str(e) for e in catalog.errors)
            for key, problem in catalog.skipped.items():
                self.skipped.setdefault(key, problem)
            for entry in catalog.entries.values():
                problem = self._add(entry, owner=f"plugin {status.name} ({status.dist})")
                if problem:
                    status.warnings.append(problem)
                else:
                    status.models.append(entry.name)
        statuses = {}  # `zoo plugins` lists first-party models under their plugin
        for entry in first_party.entries.values():
            if entry.plugin not in statuses:
                statuses[entry.plugin] = host.by_dist(entry.plugin) if entry.plugin else None
            status = statuses[entry.plugin]
            if status is not None and self.entries.get(entry.name) is entry:
                status.models.append(entry.name)

    def _add(self, entry: Entry, owner: str) -> str | None:
        for key in (entry.name, *entry.aliases):
            if key in self.owner:
                return (f"model name {key!r} refused: already provided by {self.owner[key]}; "
                        f"{owner} must rename it")
        self.entries[entry.name] = entry
        self.owner[entry.name] = owner
        for alias in entry.aliases:
            self.aliases[alias] = entry.name
            self.owner[alias] = owner
        return None

    # -- availability ----------------------------------------------------------------
    def unavailable_reason(self, entry: Entry) -> str | None:
        """None when the entry's plugin is loaded; otherwise a sentence saying why and what to do."""
        if not entry.plugin:
            return None
        status = self.host.by_dist(entry.plugin)
        if status is None:
            return "not installed"
        if status.status != "ok":
            return f"{status.status}: {status.error}"
        return None

    def available(self, entry: Entry) -> bool:
        return self.unavailable_reason(entry) is None

    # -- resolution ------------------------------------------------------------------
    def lookup(self, name: str) -> Entry:
        """The entry for a name or alias, whether or not its plugin can build it.

        Raises:
            UnknownModelError: no such name (with close names).
            CatalogError: the name's entry is malformed (what is wrong, file and line).
        """
        entry = self.entries.get(self.aliases.get(name, name))
        if entry is not None:
            return entry
        problem = self.skipped.get(name)
        if problem is not None:
            alias = f" ({name!r} is one of its aliases)" if problem.entry and problem.entry != name else ""
            raise CatalogError(f"malformed, so the catalog skips this model{alias}: {problem.problem}",
                               source=problem.source, entry=problem.entry or name,
                               field=problem.field, line=problem.line)
        raise self._unknown(name)

    def resolve(self, name: str) -> Entry:
        """The entry for a name or alias, checking that its plugin can build it.

        Raises:
            UnknownModelError: no such name (with close names).
            CatalogError: the name's entry is malformed.
            PluginNotInstalledError: a first-party name whose plugin is not installed.
            PluginUnavailableError: the plugin is installed but failed, is disabled or incompatible.
        """
        entry = self.lookup(name)
        reason = self.unavailable_reason(entry)
        if reason == "not installed":
            package = entry.plugin
            local = Path(__file__).resolve().parent.parent / "plugins" / package.removeprefix("zoo-")
            hint = f" (from a checkout: pip install -e {local})" if local.is_dir() else ""
            raise PluginNotInstalledError(
                f"model {name!r} is provided by the plugin package {package!r}, which is not "
                f"installed: pip install {package}{hint}", name=name, package=package)
        if reason is not None:
            raise PluginUnavailableError(f"model {name!r} is provided by plugin {entry.plugin!r}, "
                                         f"which is {reason}; see `zoo plugins`")
        return entry

    def _unknown(self, name: str) -> UnknownModelError:
        if "/" in name or "\\" in name or name.startswith("."):
            return UnknownModelError(
                f"unknown model {name!r}: it looks like a path or a Hub repo; write "
                f"'local-dir:{name}' for a folder saved with save_pretrained, or "
                f"'hf-hub:{name}' for a Hub repo", name=name)
        known = sorted(set(self.entries) | set(self.aliases))
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        close += [k for k in known if name in k and k not in close][: 3 - len(close)]
        message = f"unknown model {name!r}"
        if close:
            message += f"; did you mean {', '.join(repr(c) for c in close)}?"
        package = self.first_party_packages.get(name.split("-")[0])
        if package and self.host.by_dist(package) is None:
            message += f" Models named {name.split('-')[0]}-* come from {package!r}: pip install {package}."
        message += ". `zoo list` shows every available model." if not close and not package else " `zoo list` shows every available model."
        return UnknownModelError(message, name=name, suggestions=close)

    # -- listing ---------------------------------------------------------------------
    def filter(self, pattern: str | Iterable[str] | None = None, *, task: str | None = None,
               plugin: str | None = None, pretrained: bool = False,
               include_unavailable: bool = False) -> list[str]:
        """Names matching every given filter, sorted. ``pattern`` is an fnmatch wildcard (or several)."""
        patterns = [pattern] if isinstance(pattern, str) else list(pattern or [])
        usable: dict[str | None, bool] = {}  # plugin -> available (asked once per plugin)
        out = []
        for name, entry in self.entries.items():
            if patterns and not any(fnmatch.fnmatchcase(name, p) or
                                    any(fnmatch.fnmatchcase(a, p) for a in entry.aliases)
                                    for p in patterns):
                continue
            if task and not (entry.task and (entry.task == task or entry.task.startswith(task.rstrip("/") + "/"))):
                continue
            if plugin and not (entry.plugin and (_norm(entry.plugin) == _norm(plugin) or
                                                 _norm(entry.plugin) == _norm("zoo-" + plugin))):
                continue
            if pretrained and not entry.pretrained:
                continue
            if not include_unavailable:
                if entry.plugin not in usable:
                    usable[entry.plugin] = self.available(entry)
                if not usable[entry.plugin]:
                    continue
            out.append(name)
        return sorted(out)


__all__ = ["Registry", "default_registry_path"]

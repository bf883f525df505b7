"""Name resolution over the whole catalog: registry.yaml plus plugin-contributed entries.

Who gets a contested name never depends on entry-point order:

* names and aliases in registry.yaml are reserved for its first-party entries; a plugin's
  claim on one is refused and reported on that plugin;
* a name or alias that two plugins claim is refused for both and reported on both;
* a refused alias costs only the alias: the entry keeps its name;
* ``plugin:name`` (distribution or entry-point name, any spelling) names one plugin's entry
  explicitly, refused or not: ``zoo.load("zoo-lenet:lenet-digits")``.
* a malformed entry is left out and remembered in ``skipped``, so asking for it says what
  is wrong and where;
* a former name (``deprecated_aliases``) reaches its entry like an alias, with a
  ``DeprecatedNameWarning`` once per name and process. It may also be another entry's name,
  reused after the weights it named moved (``akorn-attn-tetrominoes``: now the paper-dataset
  architecture; its regenerated-data entry is ``akorn-attn-tetrominoes-style``). That entry
  keeps the name everywhere except where published weights are asked for
  (:meth:`Registry.lookup_weights`); it must have no weights and come from the same plugin.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import os
import sys
import warnings
from pathlib import Path
from typing import Iterable, NamedTuple

from zoo_core.catalog import Catalog, Entry, _norm, parse_catalog
from zoo_core.catalog_yaml import load_catalog_file
from zoo_core.errors import (CatalogError, DeprecatedNameWarning, PluginNotInstalledError,
                             PluginUnavailableError, UnknownModelError)
from zoo_core.plugins import DATA_HOOKS, PluginHost, PluginStatus

REGISTRY_ENV = "ZOO_REGISTRY"
LOAD_PREFIXES = ("hf-hub", "local-dir")  # `zoo.load` prefixes, never read as a plugin qualifier


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


class _Claim(NamedTuple):
    """One entry as one source declares it."""

    entry: Entry
    owner: str  # "registry.yaml (zoo-akorn)" or "plugin lenet (zoo-lenet)"
    status: PluginStatus | None  # None for registry.yaml


class Registry:
    """All known models: ``entries`` by name, ``aliases`` to names, and why anything is missing."""

    def __init__(self, host: PluginHost, registry_path: Path | None = None) -> None:
        self.host = host
        self.entries: dict[str, Entry] = {}
        self.aliases: dict[str, str] = {}
        self.deprecated: dict[str, str] = {}  # former name -> the entry whose name it was
        self.owner: dict[str, str] = {}  # name or alias -> who provides it
        self.refused: dict[str, list[str]] = {}  # contested name or alias -> its claimants, qualified
        self.by_plugin: dict[str, dict[str, Entry]] = {}  # distribution -> all its entries (`plugin:name`)
        self.errors: list[CatalogError] = []  # problems in registry.yaml (plugins: their warnings)
        self.skipped: dict[str, CatalogError] = {}  # malformed entry's name or alias -> why
        self.first_party_packages: dict[str, str] = {}  # method prefix -> distribution
        first_party = load_catalog_file(registry_path) if registry_path is not None else Catalog()
        self.errors.extend(first_party.errors)  # reported by `zoo list` / `zoo plugins`
        self.skipped.update(first_party.skipped)
        for entry in first_party.entries.values():
            if entry.plugin:
                self.first_party_packages.setdefault(entry.name.split("-")[0], entry.plugin)
        claims = [_Claim(entry, f"registry.yaml ({entry.plugin})", None)
                  for entry in first_party.entries.values()]
        for status in host.plugins.values():
            if status.status != "ok" or "zoo_catalog" not in status.data:
                continue
            data = status.data["zoo_catalog"]  # a CatalogData (package_catalog) knows its file
            where = status.sources.get("zoo_catalog")
            source = getattr(data, "source", None) or (f"plugin {status.name}" + (f" ({where})" if where else ""))
            catalog = parse_catalog(data, source=source, lines=getattr(data, "lines", None),
                                    plugin=status.dist)
            status.warnings.extend(str(e) for e in (*getattr(data, "errors", ()), *catalog.errors))
            for key, problem in catalog.skipped.items():
                self.skipped.setdefault(key, problem)
            claims += [_Claim(entry, f"plugin {status.name} ({status.dist})", status)
                       for entry in catalog.entries.values()]
        self._add(claims)
        for hook in DATA_HOOKS:  # a task, metric... two plugins give: reported on both now
            if hook != "zoo_catalog":
                host.references(hook)

    def _add(self, claims: list[_Claim]) -> None:
        """Give each name and alias to the one entry entitled to it (see the module docstring)."""
        rivals: dict[str, list[_Claim]] = {}
        for claim in claims:
            for key in dict.fromkeys((claim.entry.name, *claim.entry.aliases)):
                rivals.setdefault(key, []).append(claim)
        granted: dict[str, _Claim] = {}
        for key, claimants in rivals.items():
            entitled = [c for c in claimants if c.status is None] or claimants  # registry.yaml first
            if len(entitled) == 1:
                granted[key] = entitled[0]
            else:
                self.refused[key] = sorted(_qualified(c.entry) for c in entitled)
            for claim in claimants:
                if granted.get(key) is not claim:
                    self._report(claim, key, [c for c in entitled if c is not claim])
        for claim in claims:
            entry = claim.entry
            if granted.get(entry.name) is claim:
                kept = tuple(a for a in entry.aliases if granted.get(a) is claim and a != entry.name)
                entry = dataclasses.replace(entry, aliases=kept) if kept != entry.aliases else entry
                self.entries[entry.name] = entry
                for key in (entry.name, *kept):
                    self.owner[key] = claim.owner
                    if key != entry.name:
                        self.aliases[key] = entry.name
                status = claim.status or (self.host.by_dist(entry.plugin) if entry.plugin else None)
                if status is not None:  # `zoo plugins` lists first-party models under their plugin too
                    status.models.append(entry.name)
            else:  # its own aliases would reach it, but only `plugin:name` names one side
                for alias in entry.aliases:
                    self.refused.setdefault(alias, [_qualified(entry)])
            if entry.plugin:
                self.by_plugin.setdefault(_norm(entry.plugin), {}).setdefault(entry.name, entry)
        self._add_former_names(granted)

    def _add_former_names(self, granted: dict[str, "_Claim"]) -> None:
        """Give each former name to the one entry that declares it (registry.yaml's first); a
        refused one reaches no model and is reported on whoever declared it."""
        declared: dict[str, list[_Claim]] = {}
        for entry in self.entries.values():
            for old in entry.deprecated_aliases.names if entry.deprecated_aliases else ():
                declared.setdefault(old, []).append(granted[entry.name])
        for old, claims in declared.items():
            entitled = [c for c in claims if c.status is None] or claims
            winner = entitled[0] if len(entitled) == 1 else None
            why = (self._former_name_problem(old, winner.entry) if winner else
                   f"{' and '.join(repr(c.entry.name) for c in entitled)} all declare it")
            if why is None:
                self.deprecated[old] = winner.entry.name
            for claim in claims:
                if claim is winner and why is None:
                    continue
                because = why if claim in entitled else f"registry.yaml reserves it for {winner.entry.name!r}"
                self._tell(claim, f"former name {old!r} of {claim.entry.name!r} refused: {because}; "
                                  f"it does not reach {claim.entry.name!r}", "deprecated_aliases")

    def _former_name_problem(self, old: str, entry: Entry) -> str | None:
        """Why ``old`` cannot be a former name of ``entry`` (None: it can)."""
        if old in self.aliases:
            return f"it is an alias of {self.aliases[old]!r}"
        if old in self.refused:
            return "it is a name more than one plugin claims"
        reused = self.entries.get(old)
        if reused is not None and reused.weights is not None:
            return f"it is the name of {old!r}, which has published weights of its own"
        if reused is not None and _norm(reused.plugin or "") != _norm(entry.plugin or ""):
            return f"it is the name of {old!r}, an entry of another plugin ({self.owner[old]})"
        return None

    def _report(self, claim: _Claim, key: str, winners: list[_Claim]) -> None:
        """Tell the owner of ``claim`` why ``key`` is not theirs, on its plugin (or registry.yaml)."""
        entry = claim.entry
        what = f"model name {key!r}" if key == entry.name else f"alias {key!r} of {entry.name!r}"
        others = ", ".join(c.owner for c in winners)
        if any(c.status is None for c in winners) and claim.status is not None:
            why = f"registry.yaml reserves it for the first-party entry of {others}"
        else:
            why = f"{others} claims it too, so it is refused for all of them"
        if key == entry.name:
            do = f"load yours explicitly as {_qualified(entry)!r}, or rename it" if entry.plugin else "rename one"
        else:
            do = f"the alias is dropped; {entry.name!r} keeps working"
        self._tell(claim, f"{what} refused: {why}; {do}", None if key == entry.name else "aliases")

    def _tell(self, claim: _Claim, message: str, field: str | None) -> None:
        """Report a problem on the plugin that declares ``claim`` (or among registry.yaml's errors)."""
        if claim.status is not None:
            claim.status.warn(message)
        else:
            self.errors.append(CatalogError(message, source=claim.entry.source, entry=claim.entry.name,
                                            field=field, line=claim.entry.line))

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
        """The entry for a name, an alias or ``plugin:name`` (without checking its plugin).

        Raises:
            UnknownModelError: no such name (with close names).
            CatalogError: the name's entry is malformed (what is wrong, file and line).
        """
        plugin, sep, bare = name.partition(":")
        if sep and plugin not in LOAD_PREFIXES:
            return self._lookup_in(plugin, bare)
        entry = self.entries.get(self.aliases.get(name, name))
        if entry is not None:
            return entry
        if name in self.deprecated:
            self.warn_deprecated(name)
            return self.entries[self.deprecated[name]]
        problem = self.skipped.get(name)
        if problem is not None:
            alias = f" ({name!r} is one of its aliases)" if problem.entry and problem.entry != name else ""
            raise CatalogError(f"malformed, so the catalog skips this model{alias}: {problem.problem}",
                               source=problem.source, entry=problem.entry or name,
                               field=problem.field, line=problem.line)
        raise self._unknown(name)
    def _lookup_in(self, plugin: str, name: str) -> Entry:
        """``plugin:name``: the entry (or alias) ``name`` as that plugin declares it."""
        status = self.host.find(plugin)
        dists = [status.dist] if status is not None and status.dist else [plugin, "zoo-" + plugin]
        for dist in dists:
            entries = self.by_plugin.get(_norm(dist))
            if entries is None:
                continue
            found = entries.get(name) or next((e for e in entries.values() if name in e.aliases), None)
            if found is None and self.entries.get(self.deprecated.get(name, "")) in entries.values():
                found = self.entries[self.deprecated[name]]
                self.warn_deprecated(name)
            if found is None:
                close = difflib.get_close_matches(name, entries, n=3, cutoff=0.6)
                raise UnknownModelError(
                    f"plugin {plugin!r} provides no model {name!r}"
                    + (f"; did you mean {', '.join(repr(f'{plugin}:{c}') for c in close)}?" if close else
                       f"; it provides {', '.join(sorted(entries))}"), name=f"{plugin}:{name}",
                    suggestions=[f"{plugin}:{c}" for c in close])
            return found
        known = sorted(s.dist or s.name for s in self.host.plugins.values())
        raise UnknownModelError(f"no plugin {plugin!r} provides models (in {plugin}:{name}, the part "
                                f"before ':' names a plugin by distribution or entry-point name); "
                                f"plugins: {', '.join(known) or 'none'}", name=f"{plugin}:{name}")

    def lookup_weights(self, name: str) -> Entry:
        """The entry whose published weights ``name`` means (``zoo.load(name)``, ``zoo eval NAME``).

        That is :meth:`lookup`'s entry, except for a former name that is now the name of an
        entry without weights: it still reaches the weights it named, with the warning.
        """
        entry = self.lookup(name)
        moved = self.deprecated.get(name)
        if moved is not None and entry.name == name and entry.weights is None:
            self.warn_deprecated(name)
            return self.entries[moved]
        return entry

    def resolve_weights(self, name: str) -> Entry:
        """:meth:`lookup_weights`, checking that the entry's plugin can build it (see :meth:`resolve`)."""
        return self.require_available(self.lookup_weights(name), name)

    def deprecation(self, name: str) -> str | None:
        """What using the former name ``name`` warns (None when it is no former name)."""
        moved = self.deprecated.get(name)
        if moved is None:
            return None
        former = self.entries[moved].deprecated_aliases
        since = f" since {former.since}" if former.since else ""
        reused = self.entries.get(name)
        if reused is None:
            return (f"{name!r} is a former name of {moved!r} (deprecated{since}): {former.reason}; "
                    f"use {moved!r}")
        return (f"{name!r} as the name of published weights is deprecated{since}: {former.reason}; "
                f"they now live under {moved!r}: load them by that name. {name!r} now names the "
                f"architecture for task {reused.task}, without published weights "
                f"(zoo.create({name!r}) builds it)")

    def warn_deprecated(self, name: str) -> None:
        """Warn about the former name ``name``, once per process."""
        message = self.deprecation(name)
        if message is not None:
            _warn_once(name, message)

    def former_names(self, entry: Entry) -> list[str]:
        """The former names that reach ``entry``."""
        return [n for n in (entry.deprecated_aliases.names if entry.deprecated_aliases else ())
                if self.deprecated.get(n) == entry.name]

    def resolve(self, name: str) -> Entry:
        """The entry for a name, alias or ``plugin:name``, checking that its plugin can build it.

        Raises:
            UnknownModelError: no such name (with close names), or a name two plugins claim.
            CatalogError: the name's entry is malformed.
            PluginNotInstalledError: a first-party name whose plugin is not installed.
            PluginUnavailableError: the plugin is installed but failed, is disabled or incompatible.
        """
        return self.require_available(self.lookup(name), name)

    def require_available(self, entry: Entry, name: str | None = None) -> Entry:
        """``entry`` if its plugin can build it; otherwise the error that says why and what to do."""
        name = name or entry.name
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

    def declared(self) -> list[Entry]:
        """Every entry some source declares, refused names included (for ``local-dir:`` loads)."""
        return [*self.entries.values(), *(e for entries in self.by_plugin.values()
                                          for e in entries.values() if self.entries.get(e.name) is not e)]

    def _unknown(self, name: str) -> UnknownModelError:
        if name in self.refused:
            options = self.refused[name]
            return UnknownModelError(
                f"model {name!r} is refused: more than one plugin claims it or its entry's name "
                f"(`zoo plugins` says which); name one explicitly: {', '.join(map(repr, options))}",
                name=name, suggestions=options)
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
            if patterns and not any(fnmatch.fnmatchcase(key, p) for p in patterns
                                    for key in (name, *entry.aliases, *self.former_names(entry))):
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


def _qualified(entry: Entry) -> str:
    return f"{entry.plugin}:{entry.name}" if entry.plugin else entry.name


_warned: set[str] = set()  # former names warned about in this process
_OURS = tuple(str(folder) + os.sep for folder in (Path(__file__).resolve().parent,
                                                   Path(__file__).resolve().parent.parent / "zoo"))


def _warn_once(name: str, message: str) -> None:
    """A DeprecatedNameWarning pointing at the first caller outside Zoo, once per name."""
    if name in _warned:
        return
    _warned.add(name)
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_OURS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, DeprecatedNameWarning, stacklevel=level)


__all__ = ["Registry", "default_registry_path"]

"""Plugin discovery: entry points in the ``zoo.plugins`` group, loaded one at a time.

Each plugin gets a status that ``zoo plugins`` shows:

* ``ok``: imported, compatible, its hooks answered;
* ``failed``: importing it or calling one of its hooks raised (the error is kept);
* ``disabled``: switched off by ``ZOO_DISABLE_PLUGINS`` or left out of ``ZOO_LOAD_PLUGINS``;
* ``incompatible``: its ``zoo_core_requires()`` specifier excludes the running core.

A failing plugin never stops the others. Environment switches:

* ``ZOO_LOAD_PLUGINS=a,b``: load only these (empty = none);
* ``ZOO_DISABLE_PLUGINS=a,b``: never load these;
* ``ZOO_STRICT_PLUGINS=1``: raise on the first plugin problem instead of reporting it (for CI).

A plugin is named by its distribution or its entry-point name, ``-`` and ``_`` alike
(``zoo-msp``, ``zoo_msp``, ``msp``); a name in a switch that matches no plugin is warned about.
A name two plugins give in the same data hook (a task, metric, recipe...) is refused for both,
unless both give the very same reference (one shared object, such as `zoo_core.data:CIFAR10`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import traceback
from importlib import metadata
from typing import Any

import pluggy

from zoo_core import __version__ as CORE_VERSION
from zoo_core import hookspecs
from zoo_core.catalog import _norm
from zoo_core.errors import ZooError

GROUP = "zoo.plugins"
log = logging.getLogger("zoo")
_logged: set[str] = set()  # host-wide problems already written to stderr (once per process)
DATA_HOOKS = ("zoo_catalog", "zoo_tasks", "zoo_metrics", "zoo_converters", "zoo_recipes", "zoo_figures",
              "zoo_datasets", "zoo_cli_commands")


@dataclasses.dataclass
class PluginStatus:
    """What the host knows about one plugin."""

    name: str
    dist: str | None = None
    version: str | None = None
    status: str = "ok"  # ok | failed | disabled | incompatible
    error: str | None = None
    requires_core: str | None = None
    models: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    data: dict[str, dict] = dataclasses.field(default_factory=dict)  # hook name -> answer
    sources: dict[str, str] = dataclasses.field(default_factory=dict)  # hook name -> "file:line"
    module: str | None = None  # the plugin's module (its package holds the plugin's code)

    @property
    def ids(self) -> set[str]:
        """The names that select this plugin: entry-point and distribution name, normalised."""
        return {_norm(n) for n in (self.name, self.dist) if n}

    def warn(self, message: str) -> None:
        if message not in self.warnings:  # conflicts are checked again on every lookup
            self.warnings.append(message)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "distribution": self.dist, "version": self.version,
                "status": self.status, "error": self.error, "requires_core": self.requires_core,
                "models": sorted(self.models), "warnings": list(self.warnings),
                "provides": {hook.removeprefix("zoo_"): sorted(answer) for hook, answer
                             in self.data.items() if hook != "zoo_catalog"}}


def _names(var: str) -> dict[str, str] | None:
    """``{normalised name: name as written}`` from a comma-separated switch (None when unset)."""
    value = os.environ.get(var)
    if value is None:
        return None
    return {_norm(v.strip()): v.strip() for v in value.split(",") if v.strip()}


def _short_error(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


class PluginHost:
    """Loads plugins and keeps their status and the data their hooks returned."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginStatus] = {}
        self.warnings: list[str] = []  # problems that belong to no one plugin (`zoo plugins` shows them)

    # -- discovery -------------------------------------------------------------------
    def discover(self) -> None:
        """Load every installed ``zoo.plugins`` entry point, one at a time."""
        only, disabled = _names("ZOO_LOAD_PLUGINS"), _names("ZOO_DISABLE_PLUGINS") or {}
        eps = sorted(metadata.entry_points(group=GROUP), key=lambda ep: ep.name)
        seen: set[str] = set()
        for ep in eps:
            dist = ep.dist.name if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            ids = {_norm(n) for n in (ep.name, dist) if n}
            seen |= ids
            if ep.name in self.plugins:
                self._problem(PluginStatus(name=f"{ep.name} ({dist})", dist=dist, version=version,
                                           status="failed",
                                           error=f"entry-point name {ep.name!r} is already used by "
                                                 f"{self.plugins[ep.name].dist}; rename one"))
                continue
            if (only is not None and not ids & only.keys()) or ids & disabled.keys():
                why = "ZOO_DISABLE_PLUGINS" if ids & disabled.keys() else "ZOO_LOAD_PLUGINS"
                self.plugins[ep.name] = PluginStatus(name=ep.name, dist=dist, version=version,
                                                     status="disabled", error=f"switched off by {why}")
                continue
            try:
                module = ep.load()
            except Exception as exc:  # a broken plugin must not break the others
                self._problem(PluginStatus(name=ep.name, dist=dist, version=version, status="failed",
                                           error=f"import failed: {_short_error(exc)}"), exc)
                continue
            self.register(module, name=ep.name, dist=dist, version=version)
        for var, names in (("ZOO_LOAD_PLUGINS", only or {}), ("ZOO_DISABLE_PLUGINS", disabled)):
            for key in sorted(set(names) - seen):
                installed = sorted(f"{ep.dist.name if ep.dist else ep.name} ({ep.name})" for ep in eps)
                message = (f"{var} names {names[key]!r}, which matches no installed plugin; use a "
                           f"distribution or entry-point name (installed: "
                           f"{', '.join(installed) or 'none'})")
                self.warnings.append(message)
                if message not in _logged:
                    _logged.add(message)
                    log.warning("zoo: warning: %s", message)

    def register(self, plugin: Any, *, name: str, dist: str | None = None,
                 version: str | None = None) -> PluginStatus:
        """Register a plugin object (module or instance); tests use this for in-process plugins."""
        status = PluginStatus(name=name, dist=dist or name, version=version,
                              module=getattr(plugin, "__name__", None))
        self.plugins[name] = status
        requires = getattr(plugin, "zoo_core_requires", None)
        try:
            if requires is not None:
                status.requires_core = str(requires())
                if not _core_satisfies(status.requires_core):
                    status.status = "incompatible"
                    status.error = (f"supports zoo-core {status.requires_core}, but zoo-core "
                                    f"{CORE_VERSION} is installed; upgrade the plugin or the core")
                    self._problem(status)
                    return status
            self.pm.register(plugin, name=name)
            for hook in DATA_HOOKS:
                impl = getattr(plugin, hook, None)
                if impl is None:
                    continue
                answer = impl() or {}
                if not isinstance(answer, dict):
                    raise TypeError(f"hook {hook}() must return a dict, returned {type(answer).__name__}")
                status.data[hook] = answer
                code = getattr(getattr(impl, "__func__", impl), "__code__", None)
                if code is not None:
                    status.sources[hook] = f"{code.co_filename}:{code.co_firstlineno}"
        except Exception as exc:
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            status.status, status.data = "failed", {}
            status.error = f"{_short_error(exc)}"
            self._problem(status, exc)
        return status

    def _problem(self, status: PluginStatus, exc: BaseException | None = None) -> None:
        self.plugins[status.name] = status
        if os.environ.get("ZOO_STRICT_PLUGINS", "") not in ("", "0"):
            raise ZooError(f"plugin {status.name!r} ({status.dist}): {status.status}: {status.error}") from exc

    # -- queries ---------------------------------------------------------------------
    def by_dist(self, dist: str) -> PluginStatus | None:
        """The status of the plugin shipped by distribution ``dist`` (PEP 503 name match)."""
        key = _norm(dist)
        for status in self.plugins.values():
            if status.dist and _norm(status.dist) == key:
                return status
        return None

    def find(self, name: str) -> PluginStatus | None:
        """The plugin a user means by ``name``: its distribution or entry-point name, any spelling."""
        return self.by_dist(name) or next((s for s in self.plugins.values() if _norm(name) in s.ids), None)

    def references(self, hook: str) -> dict[str, tuple[str, str]]:
        """``{name: (reference, plugin)}`` over ok plugins for one data hook.

        A name two plugins give is refused for both (whatever their entry-point order) and
        reported on each; a catalog entry still finds its own plugin's one (``own``).
        """
        claims: dict[str, list[PluginStatus]] = {}
        for status in self.plugins.values():
            if status.status == "ok":
                for key in status.data.get(hook, {}):
                    claims.setdefault(key, []).append(status)
        out: dict[str, tuple[str, str]] = {}
        for key, owners in claims.items():
            if len({o.data[hook][key] for o in owners}) == 1:  # one plugin, or one shared object
                out[key] = (owners[0].data[hook][key], ", ".join(o.name for o in owners))
                continue
            what = hook.removeprefix("zoo_").rstrip("s")
            for status in owners:
                others = ", ".join(f"{o.name} ({o.dist})" for o in owners if o is not status)
                status.warn(f"{what} {key!r} is also provided by plugin {others}; refused for all "
                            f"of them (each plugin's own models still use their own; elsewhere "
                            f"name one as '{status.name}:{key}')")
        return out

    def own(self, hook: str, plugin: str | None) -> dict[str, str]:
        """``{name: reference}`` that one ok plugin answered for a data hook (empty if none)."""
        status = self.find(plugin) if plugin else None
        return dict(status.data.get(hook, {})) if status is not None and status.status == "ok" else {}


def _core_satisfies(spec: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(spec).contains(CORE_VERSION, prereleases=True)
    except InvalidSpecifier as exc:
        raise ValueError(f"zoo_core_requires() returned {spec!r}, which is not a version "
                         "specifier (write e.g. '>=0.1,<0.2')") from exc


__all__ = ["PluginHost", "PluginStatus", "GROUP"]

"""Plugin discovery: entry points in the ``zoo.plugins`` group, loaded one at a time.

Each plugin gets a status that ``zoo plugins`` shows:

* ``ok``: imported, compatible, its hooks answered;
* ``failed``: importing it or calling one of its hooks raised (the error is kept);
* ``disabled``: switched off by ``ZOO_DISABLE_PLUGINS`` or left out of ``ZOO_LOAD_PLUGINS``;
* ``incompatible``: its ``zoo_core_requires()`` specifier excludes the running core.

A failing plugin never stops the others. Environment switches:

* ``ZOO_LOAD_PLUGINS=a,b``: load only these (by entry-point or distribution name; empty = none);
* ``ZOO_DISABLE_PLUGINS=a,b``: never load these;
* ``ZOO_STRICT_PLUGINS=1``: raise on the first plugin problem instead of reporting it (for CI).
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from importlib import metadata
from typing import Any

import pluggy

from zoo_core import __version__ as CORE_VERSION
from zoo_core import hookspecs
from zoo_core.errors import ZooError

GROUP = "zoo.plugins"
DATA_HOOKS = ("zoo_catalog", "zoo_tasks", "zoo_metrics", "zoo_converters", "zoo_recipes", "zoo_figures")


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

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "distribution": self.dist, "version": self.version,
                "status": self.status, "error": self.error, "requires_core": self.requires_core,
                "models": sorted(self.models), "warnings": list(self.warnings)}


def _names(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {v.strip() for v in value.split(",") if v.strip()}


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

    # -- discovery -------------------------------------------------------------------
    def discover(self) -> None:
        """Load every installed ``zoo.plugins`` entry point, one at a time."""
        only, disabled = _names("ZOO_LOAD_PLUGINS"), _names("ZOO_DISABLE_PLUGINS") or set()
        eps = sorted(metadata.entry_points(group=GROUP), key=lambda ep: ep.name)
        for ep in eps:
            dist = ep.dist.name if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            ids = {ep.name, dist} - {None}
            if ep.name in self.plugins:
                self._problem(PluginStatus(name=f"{ep.name} ({dist})", dist=dist, version=version,
                                           status="failed",
                                           error=f"entry-point name {ep.name!r} is already used by "
                                                 f"{self.plugins[ep.name].dist}; rename one"))
                continue
            if (only is not None and not ids & only) or ids & disabled:
                why = "ZOO_DISABLE_PLUGINS" if ids & disabled else "ZOO_LOAD_PLUGINS"
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
        from zoo_core.catalog import _norm

        key = _norm(dist)
        for status in self.plugins.values():
            if status.dist and _norm(status.dist) == key:
                return status
        return None

    def references(self, hook: str) -> dict[str, tuple[str, str]]:
        """``{name: (reference, plugin)}`` merged over ok plugins for one data hook."""
        out: dict[str, tuple[str, str]] = {}
        for status in self.plugins.values():
            if status.status != "ok":
                continue
            for key, ref in status.data.get(hook, {}).items():
                if key in out:
                    status.warnings.append(f"{hook}: {key!r} is already provided by plugin "
                                           f"{out[key][1]!r}; ignored here")
                    continue
                out[key] = (ref, status.name)
        return out


def _core_satisfies(spec: str) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(spec).contains(CORE_VERSION, prereleases=True)
    except InvalidSpecifier as exc:
        raise ValueError(f"zoo_core_requires() returned {spec!r}, which is not a version "
                         "specifier (write e.g. '>=0.1,<0.2')") from exc


__all__ = ["PluginHost", "PluginStatus", "GROUP"]

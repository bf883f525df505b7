"""The public API behind ``import zoo``: list, inspect, build and load models by name.

Listing and inspecting read only catalog data (no torch, no model code); building imports
the model's module the first time it is needed.

Example::

    import zoo
    zoo.list_models("akorn-*", task="object-discovery", pretrained=True)
    model = zoo.load("akorn-conv-tetrominoes-style", pretrained=True)
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Literal, Sequence

from zoo_core.catalog import Entry
from zoo_core.errors import (CheckpointError, NoPretrainedWeightsError, UnknownModelError,
                             ZooError)
from zoo_core.hub import offline
from zoo_core.plugins import PluginHost
from zoo_core.refs import import_builder, import_ref
from zoo_core.registry import Registry, default_registry_path

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from torch import nn

_lock = threading.RLock()
_registry: Registry | None = None


def registry() -> Registry:
    """The process-wide registry, built on first use (plugins discovered once)."""
    global _registry
    with _lock:
        if _registry is None:
            host = PluginHost()
            host.discover()
            _registry = Registry(host, default_registry_path())
        return _registry


def refresh(host: PluginHost | None = None, registry_path: str | Path | None | Literal["default"] = "default") -> Registry:
    """Rebuild the registry (after installing a plugin, or with a custom host in tests)."""
    global _registry
    with _lock:
        if host is None:
            host = PluginHost()
            host.discover()
        path = default_registry_path() if registry_path == "default" else registry_path
        _registry = Registry(host, Path(path) if path else None)
        return _registry


# --- listing and inspecting (no torch) ----------------------------------------------------

def list_models(pattern: str | Iterable[str] | None = None, *, task: str | None = None,
                plugin: str | None = None, pretrained: bool = False,
                include_unavailable: bool = False) -> list[str]:
    """Names of the models that match every filter, sorted.

    Args:
        pattern: fnmatch wildcard(s) over names and aliases, e.g. ``"akorn-*"``.
        task: a task name or prefix, e.g. ``"object-discovery"``.
        plugin: a plugin distribution (``"zoo-akorn"`` or ``"akorn"``).
        pretrained: only models with published weights.
        include_unavailable: also list models whose plugin is not installed or failed.

    Example::

        >>> zoo.list_models("nft-rotdigits*", pretrained=True)   # doctest: +SKIP
        ['nft-rotdigits', 'nft-rotdigits-ae']
    """
    return registry().filter(pattern, task=task, plugin=plugin, pretrained=pretrained,
                             include_unavailable=include_unavailable)


def entry(name: str) -> Entry:
    """The catalog entry for a name, alias or ``plugin:name`` (without checking its plugin).

    Raises UnknownModelError, or CatalogError when the name's entry is malformed (and why)."""
    return registry().lookup(name)


def info(name: str) -> dict[str, Any]:
    """Everything the catalog knows about a model: config, task, weights and sha256, results,
    license, paper, citation, and whether it can be built here.

    Example::

        >>> zoo.info("nft-rotdigits")["weights"]["files"]["model"]["sha256"]   # doctest: +SKIP
    """
    reg = registry()
    e = entry(name)
    out = {"name": e.name, "requested": name, **e.to_dict()}
    former = reg.deprecation(name)
    if former:  # a former name: what it means now, and where its weights went
        out["deprecated_name"] = former
    status = reg.host.by_dist(e.plugin) if e.plugin else None
    out["plugin_version"] = status.version if status else None
    reason = reg.unavailable_reason(e)
    out["available"] = reason is None
    if reason:
        out["unavailable_reason"] = reason
    provenance = out.pop("provenance", {})  # license, paper and citation once, at the top level
    for key in ("license", "paper", "citation"):
        out[key] = provenance.pop(key, None)
    if provenance:
        out["provenance"] = provenance
    out["source"] = f"{e.source}:{e.line}" if e.line else e.source
    return out


def cite(name: str) -> str:
    """The BibTeX citation of a model's paper (and a line on where its weights come from)."""
    e = entry(name)
    citation = e.provenance.get("citation")
    if not citation:
        paper = e.provenance.get("paper")
        raise ZooError(f"the catalog has no citation for {e.name!r}" + (f"; its paper is {paper}" if paper else ""))
    return str(citation).strip() + "\n"


def plugins() -> list[dict[str, Any]]:
    """Status of every discovered plugin: version, ok / failed / disabled / incompatible, models."""
    reg = registry()
    return [s.to_dict() for s in sorted(reg.host.plugins.values(), key=lambda s: s.name)]


def catalog_errors() -> list[str]:
    """Problems found in registry.yaml (each costs only the entry it is in; plugins' own
    catalog problems are in their ``warnings``)."""
    return [str(e) for e in registry().errors]


def resolve_ref(hook: str, name: str, *, plugin: str | None = None) -> Any:
    """Import the object a plugin registered under ``name`` for a data hook (``zoo_tasks`` ...).

    ``plugin`` (a distribution or entry-point name) looks in that plugin's own answer first, so
    a model's task, recipe and converter come from the model's plugin even when another plugin
    gives the same name; ``"plugin:name"`` asks one plugin only. A name two plugins give is
    otherwise refused (the error names both).
    """
    host = registry().host
    qualifier, sep, bare = name.partition(":")
    if sep and host.find(qualifier) is not None:
        own = host.own(hook, qualifier)
        if bare not in own:
            raise UnknownModelError(f"plugin {qualifier!r} provides no {_what(hook)} {bare!r}; it "
                                    f"provides {', '.join(sorted(own)) or 'none'}", name=name)
        return import_ref(own[bare])
    own = host.own(hook, plugin)
    if name in own:
        return import_ref(own[name])
    refs = host.references(hook)
    if name not in refs:
        import difflib

        claimants = sorted(s.name for s in host.plugins.values()
                           if s.status == "ok" and name in s.data.get(hook, {}))
        if len(claimants) > 1:
            raise UnknownModelError(f"{_what(hook)} {name!r} is given by several plugins, so it is "
                                    f"refused for all of them; name one explicitly: "
                                    f"{', '.join(repr(f'{c}:{name}') for c in claimants)}",
                                    name=name, suggestions=[f"{c}:{name}" for c in claimants])
        close = difflib.get_close_matches(name, refs, n=3)
        raise UnknownModelError(f"no plugin provides {_what(hook)} {name!r}"
                                + (f"; did you mean {', '.join(map(repr, close))}?" if close else
                                   f"; known: {', '.join(sorted(refs)) or 'none'}"), name=name,
                                suggestions=close)
    return import_ref(refs[name][0])


def _what(hook: str) -> str:
    return hook.removeprefix("zoo_").rstrip("s")


def metric(name: str, *, plugin: str | None = None, **kwargs: Any) -> Any:
    """A new instance of a metric a plugin registered with ``zoo_metrics`` (``update``,
    ``compute``, ``reset``, like torchmetrics), built with ``kwargs``: tasks look metrics up
    by name this way, their own plugin's or another's.

    Example::

        ari = zoo.metric("fg-ari")   # doctest: +SKIP
    """
    return resolve_ref("zoo_metrics", name, plugin=plugin)(**kwargs)


# --- building and loading (imports torch and the model's plugin) ---------------------------

def create(name: str, **overrides: Any) -> "nn.Module":
    """Build a model by name with random weights; ``overrides`` replace config values.

    Example::

        model = zoo.create("akorn-attn-tetrominoes", T=4)
    """
    if name.startswith(("hf-hub:", "local-dir:")):
        raise ZooError(f"{name!r} names saved weights; use zoo.load({name!r})")
    e = registry().resolve(name)
    return _build(e, {**e.config, **overrides})


_builders: dict[str, Any] = {}


def _build(e: Entry, config: dict[str, Any]) -> "nn.Module":
    builder = _builders.get(e.builder)
    if builder is None:
        status = registry().host.by_dist(e.plugin) if e.plugin else None
        package = status.module.partition(".")[0] if status and status.module else None
        builder = _builders.setdefault(e.builder, import_builder(
            e.builder, model=e.name, plugin=e.plugin, package=package,
            where=f"{e.source}:{e.line}" if e.line else e.source))
    try:
        model = builder(**config)
    except TypeError as exc:
        raise ZooError(f"building {e.name!r} with {e.builder}(**config) failed: {exc}. "
                       f"Config keys: {sorted(config)}") from exc
    # plain attributes (not parameters or submodules): skip nn.Module.__setattr__'s bookkeeping
    model.__dict__.update(zoo_name=e.name, config=dict(config), builder=e.builder, zoo_plugin=e.plugin)
    return model


def load(name: str, *, pretrained: bool = True, device: "str | torch.device | None" = None,
         dtype: "torch.dtype | None" = None, components: Sequence[str] | None = None,
         revision: str | None = None, cache_dir: str | Path | None = None,
         force_download: bool = False, strict: bool = True, **overrides: Any) -> "nn.Module":
    """Build a model and load its weights.

    ``name`` is a registry name or alias, ``hf-hub:org/repo[@rev]`` (config.json in the repo
    names the architecture) or ``local-dir:path`` (a folder written by ``save_pretrained``).
    A former name of weights that moved still loads them, with a DeprecatedNameWarning, even
    where the name now belongs to another entry (``Registry.lookup_weights``).

    Args:
        pretrained: load the published weights (False is ``zoo.create``).
        device, dtype: where and in which floating dtype the model ends up.
        components: load only these parts of a multi-part model (others are set to None).
        revision: another revision of the model's Hub repo (verified against its config.json).
        cache_dir: Hub cache folder (default: HF_HUB_CACHE / HF_HOME).
        force_download: download again even if cached.
        strict: refuse weights that do not fit the model exactly (the error lists every key).

    Raises:
        UnknownModelError, PluginNotInstalledError, NoPretrainedWeightsError,
        WeightsDownloadError, WeightsIntegrityError, StateDictMismatchError.

    Example::

        model = zoo.load("akorn-conv-tetrominoes-style", pretrained=True, device="cpu")
    """
    from zoo_core import hub

    kw = dict(cache=cache_dir, force_download=force_download)
    if name.startswith("local-dir:"):
        folder = Path(name.removeprefix("local-dir:")).expanduser()
        config = _read_saved_config(folder / "config.json")
        model = _build_saved(config, overrides, source=str(folder))
        paths = {}
        for c, spec in _weight_files(model, config["files"], components, f"{folder / 'config.json'}").items():
            path = folder / spec["file"]
            if not path.is_file():
                raise CheckpointError(f"{folder}: config.json lists {spec['file']!r} for component {c!r}, "
                                      "but the folder has no such file")
            paths[c] = hub.verify_file(path, sha256=spec["sha256"], size=spec["bytes"], fresh=False,
                                       what=str(folder), pin=f"the sha256 in {folder / 'config.json'}")
        return _finish(model, paths, components, device, dtype, strict)
    if name.startswith("hf-hub:"):
        repo, rev = hub.parse_hub_ref(name.removeprefix("hf-hub:"))
        if rev and revision and rev != revision:
            raise ZooError(f"{name!r} names revision {rev!r} but revision={revision!r} was passed; give one")
        return _load_hub_repo(repo, rev or revision or "main", overrides, components, device, dtype,
                              strict, kw)
    e = registry().resolve_weights(name) if pretrained else registry().resolve(name)
    if not pretrained:
        return _finish(_build(e, {**e.config, **overrides}), {}, components, device, dtype, strict)
    if e.weights is None:
        raise NoPretrainedWeightsError(_no_weights_message(name, e))
    if revision is not None and revision != e.weights.revision:
        return _load_hub_repo(e.weights.repo, revision, overrides, components, device, dtype, strict, kw)
    model = _build(e, {**e.config, **overrides})
    specs = _weight_files(model, e.weights.files, components, f"the catalog entry {e.name!r}")
    paths = {c: hub.fetch_file(e.weights.repo, spec.file, revision=e.weights.revision, sha256=spec.sha256,
                               size=spec.bytes, pin=_pin(e), **kw)
             for c, spec in specs.items()}
    return _finish(model, paths, components, device, dtype, strict)


def _wanted(model: "nn.Module", components: Sequence[str] | None) -> list[str]:
    from zoo_core.weights import components_of

    own = components_of(model)
    if components is None:
        return list(own)
    if isinstance(components, str):
        components = [components]
    name = getattr(model, "zoo_name", type(model).__name__)
    bad = [c for c in components if c not in own]
    if bad:
        raise ZooError(f"{name} has no component(s) {bad}; it has {sorted(own)}")
    if not components:
        raise ZooError(f"components=[] would load no part of {name}; name some of {sorted(own)}, "
                       "or pass None for all")
    return list(components)


def _weight_files(model: "nn.Module", files: dict[str, Any], components: Sequence[str] | None,
                  source: str) -> dict[str, Any]:
    """The weight file of every wanted component: none may be missing (it would stay random)."""
    from zoo_core.weights import components_of

    own, name = components_of(model), getattr(model, "zoo_name", type(model).__name__)
    files = dict(files)
    foreign = sorted(set(files) - set(own))
    if foreign:
        raise CheckpointError(f"{source} has weights for component(s) {foreign}, which {name} does not "
                              f"have (it has {sorted(own)})")
    wanted = _wanted(model, components)
    missing = [c for c in wanted if c not in files]
    if missing:
        raise CheckpointError(f"{source} has no weights for component(s) {missing} of {name} (it has "
                              f"{sorted(files)}); they would stay randomly initialised. Load only the "
                              f"others with components={sorted(files)}.")
    return {c: files[c] for c in wanted}


def _pin(e: Entry) -> str:
    """Where an entry's sha256 pins are written, for error messages."""
    where = [f"plugin {e.plugin}"] if e.plugin else []
    if e.line:
        where.append(f"{e.source}:{e.line}")
    else:
        where.append("its zoo_catalog hook" if e.source.startswith("plugin ") else e.source)
    return f"the catalog pin of {e.name} ({', '.join(where)})"


def _finish(model, paths, components, device, dtype, strict):
    from zoo_core.weights import component_module, components_of, load_state_dict_strict, read_safetensors

    for component, path in paths.items():
        module = component_module(model, component)
        load_state_dict_strict(module, read_safetensors(path), strict=strict,
                               source=f"{path} ({component})")
    if components is not None:
        wanted = _wanted(model, components)
        for component, sub in components_of(model).items():
            if component not in wanted and sub:  # drop parts the caller did not ask for
                parent, _, leaf = sub.rpartition(".")
                setattr(model.get_submodule(parent) if parent else model, leaf, None)
    if paths:
        model.eval()
    if device is not None or dtype is not None:
        model.to(device=device, dtype=dtype)
    return model


def _read_saved_config(path: Path) -> dict[str, Any]:
    from zoo_core.weights import read_config

    if not path.is_file():
        raise CheckpointError(f"{path} does not exist: a local-dir: or hf-hub: model needs the "
                              "config.json that model.save_pretrained() writes")
    return read_config(path)


def _build_saved(config: dict[str, Any], overrides: dict[str, Any], source: str):
    """Rebuild from config.json, but only through a builder an installed plugin declares."""
    reg = registry()
    builder = config["builder"]
    candidates = [e for e in reg.declared() if e.builder == builder]
    named = [e for e in candidates if e.name == config.get("zoo_name")]
    e = (named or candidates or [None])[0]
    if e is None:
        raise ZooError(f"{source}: config.json names the builder {builder!r}, which no catalog entry "
                       "declares; install the plugin that provides it (Zoo never imports code a "
                       "downloaded file names unless an installed plugin declares it)")
    reg.require_available(e)  # plugin installed and healthy
    model = _build(e, {**config.get("config", {}), **overrides})
    model.zoo_name = config.get("zoo_name") or e.name
    return model


def _load_hub_repo(repo, revision, overrides, components, device, dtype, strict, kw):
    from zoo_core import hub

    config_path = Path(hub.fetch_file(repo, "config.json", revision=revision, **kw))
    commit = config_path.parent.name  # the snapshot: every file comes from the same commit
    commit = commit if hub.COMMIT_RE.match(commit) else revision
    config = _read_saved_config(config_path)
    source = f"hf-hub:{repo}@{commit}"
    model = _build_saved(config, overrides, source=source)
    specs = _weight_files(model, config["files"], components, f"config.json of {source}")
    paths = {c: hub.fetch_file(repo, spec["file"], revision=commit, sha256=spec["sha256"],
                               size=spec["bytes"], pin=f"the sha256 in config.json of {source}", **kw)
             for c, spec in specs.items()}
    return _finish(model, paths, components, device, dtype, strict)


def _no_weights_message(name: str, e: Entry) -> str:
    lines = [f"{name!r} has no published weights (architecture only)."]
    if e.provenance.get("unpublished"):
        lines[0] = f"{name!r} has no published weights: {e.provenance['unpublished']}"
    lines.append(f"  - build it untrained: zoo.create({name!r})")
    if e.train:
        lines.append(f"  - train it here: zoo train {e.name} [--data DIR] (a paper dataset is read "
                     "from your local copy: `zoo data` shows where and in which layout)")
    converters = [e.converter] if e.converter else _plugin_converters(e)
    for converter in converters:
        lines.append(f"  - convert an official checkpoint: zoo convert {e.name} CHECKPOINT --out DIR, "
                     f"then zoo.load('local-dir:DIR') (converter {converter!r} of {e.plugin})")
    for stand_in in _stand_ins(e):
        lines.append(f"  - on data made here instead: {_stand_in_line(stand_in)}")
    same = [n for n in registry().filter(plugin=e.plugin, pretrained=True) if n != e.name] if e.plugin else []
    if same:
        lines.append(f"  - use a model that has weights: {', '.join(same)}")
    return "\n".join(lines)


def _stand_ins(e: Entry) -> list[Entry]:
    """Entries trained on regenerated data in place of ``e``'s paper dataset: those whose
    ``provenance.stands_in_for`` names ``e`` (or one of its aliases)."""
    reg = registry()
    names = {e.name, *e.aliases}
    return sorted((other for other in reg.entries.values()
                   if other.name != e.name and other.provenance.get("stands_in_for") in names),
                  key=lambda x: x.name)


def _stand_in_line(s: Entry) -> str:
    """``name (data), measured k v, ...`` and, on a second line, how to get it, for one stand-in."""
    data = s.provenance.get("data")
    text = s.name + (f" ({data})" if data else "")
    if s.results:
        text += ", measured by `zoo eval`: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                    for k, v in s.results.items())
    if s.weights is not None:
        return text + f"\n      zoo.load({s.name!r}, pretrained=True)"
    why = s.provenance.get("unpublished")
    return text + (f"\n      not published: {why}" if why else "\n      not published") + f"; zoo train {s.name}"


def _plugin_converters(e: Entry) -> list[str]:
    """Converters registered by the plugin that provides ``e``."""
    reg = registry()
    status = reg.host.by_dist(e.plugin) if e.plugin else None
    return sorted(status.data.get("zoo_converters", {})) if status else []


def iter_models(pattern: str | Iterable[str] | None = None, *, task: str | None = None,
                plugin: str | None = None, pretrained: bool = False,
                on_error: Literal["raise", "skip", "yield"] = "raise",
                **load_kwargs: Any) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, model)`` for every matching model, built one at a time in name order.

    ``on_error="yield"`` yields ``(name, exception)`` for a model that fails to build or load and
    goes on; ``"skip"`` warns and goes on; ``"raise"`` stops.
    """
    for name in list_models(pattern, task=task, plugin=plugin, pretrained=pretrained):
        try:
            model = load(name, pretrained=pretrained, **load_kwargs)
        except Exception as exc:
            if on_error == "raise":
                raise
            if on_error == "skip":
                warnings.warn(f"skipping {name}: {exc}", stacklevel=2)
                continue
            yield name, exc
            continue
        yield name, model


def download(pattern: str | Iterable[str], *, revision: str | None = None,
             cache_dir: str | Path | None = None, force_download: bool = False) -> dict[str, list[Path]]:
    """Prefetch the weights of every pretrained model matching ``pattern`` into the cache."""
    from zoo_core import hub

    out: dict[str, list[Path]] = {}
    patterns = [pattern] if isinstance(pattern, str) else list(pattern)
    for p in patterns:
        registry().warn_deprecated(p)  # a former name matches the entry that now holds its weights
    names = list_models(patterns, pretrained=True)
    if not names:
        raise UnknownModelError(f"no pretrained model matches {pattern!r}; `zoo list --pretrained` "
                                "shows them", name=str(pattern))
    for name in names:
        e = registry().resolve(name)
        w = e.weights
        out[name] = [hub.fetch_file(w.repo, f.file, revision=revision or w.revision,
                                    sha256=None if revision else f.sha256,
                                    size=None if revision else f.bytes, cache=cache_dir,
                                    force_download=force_download, pin=_pin(e))
                     for f in w.files.values()]
    return out


def convert(converter: str, path: str | Path, **kwargs: Any) -> dict[str, Any]:
    """Run a plugin's converter on an official checkpoint: returns ``{component: state_dict}``."""
    return resolve_ref("zoo_converters", converter)(path, **kwargs)


__all__ = ["list_models", "info", "cite", "create", "load", "iter_models", "download", "plugins",
           "offline", "refresh", "registry", "entry", "resolve_ref", "metric", "convert",
           "catalog_errors"]

"""Reading and writing weights: safetensors per component, config.json, strict loading.

Published weights are safetensors only. Official checkpoints in pickle form are read with
``torch.load(weights_only=True)`` (see ``load_official_pickle``), never with an unsafe unpickler.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from zoo_core import __version__ as CORE_VERSION
from zoo_core.errors import CheckpointError, StateDictMismatchError
from zoo_core.hub import sha256_file

CONFIG_FILE = "config.json"
_SHOWN = 12


def component_file(component: str) -> str:
    """File name of one component's weights: ``model.safetensors``, ``generator.safetensors``, ..."""
    return f"{component}.safetensors"


def components_of(model: nn.Module) -> dict[str, str]:
    """Component name -> submodule path; plain modules have the single component ``model``."""
    return dict(getattr(model, "zoo_components", {"model": ""}))


def component_module(model: nn.Module, component: str) -> nn.Module | None:
    path = getattr(model, "zoo_components", {"model": ""})[component]
    return model.get_submodule(path) if path else model


def read_safetensors(path: str | Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Load a safetensors file, turning a corrupt or foreign file into a CheckpointError."""
    try:
        return load_file(str(path), device=str(device))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file ({exc}); if it came from "
                              "the cache, download it again (`zoo download NAME --force`)") from exc


def load_state_dict_strict(module: nn.Module, state: Mapping[str, torch.Tensor], *,
                           strict: bool = True, source: str = "checkpoint") -> None:
    """Load ``state`` into ``module``; with ``strict`` any difference raises one explained error.

    A wrong shape, or a tensor of another kind of dtype than the model's (int or bool where the
    model has float, or the reverse), is refused even without ``strict``: torch would cast it.

    Raises:
        StateDictMismatchError: listing missing keys, unexpected keys, shape and dtype mismatches
            (``key: checkpoint (a, b) vs model (c, d)``, ``key: checkpoint int64 vs model float32``).
    """
    own = module.state_dict()
    wrong_dtype = [(k, state[k].dtype, own[k].dtype) for k in state
                   if k in own and _kind(state[k].dtype) != _kind(own[k].dtype)]
    if not wrong_dtype:
        try:  # fast path: torch checks keys and shapes while copying
            result = module.load_state_dict(state, strict=False)
        except RuntimeError:  # a shape mismatch: explain every difference below
            result = None
        if result is not None and not (strict and (result.missing_keys or result.unexpected_keys)):
            return
    tied = _tied_keys(own)
    missing = [k for k in own if k not in state and k not in tied]
    unexpected = [k for k in state if k not in own]
    mismatched = [(k, tuple(state[k].shape), tuple(own[k].shape)) for k in state
                  if k in own and tuple(state[k].shape) != tuple(own[k].shape)]
    if not (mismatched or missing or unexpected or wrong_dtype):
        return  # only aliases of tied weights were absent: safetensors stores those once

    def block(title: str, items: list[str]) -> str:
        if not items:
            return ""
        more = f"\n    ... and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
        return f"\n  {title} ({len(items)}):\n    " + "\n    ".join(items[:_SHOWN]) + more

    shapes = [f"{k}: checkpoint {a} vs model {b}" for k, a, b in mismatched]
    dtypes = [f"{k}: checkpoint {str(a).removeprefix('torch.')} vs model {str(b).removeprefix('torch.')}"
              for k, a, b in wrong_dtype]
    raise StateDictMismatchError(
        f"{source} does not fit {type(module).__name__}:"
        + block("missing from the checkpoint", missing)
        + block("unexpected in the checkpoint", unexpected)
        + block("wrong shape", shapes)
        + block("wrong kind of dtype (would be cast silently)", dtypes)
        + "\n  The checkpoint was probably saved from a different config; build the model with "
          "the config it was saved with (config.json), or convert it with the plugin's converter.",
        missing=missing, unexpected=unexpected, mismatched=mismatched, wrong_dtype=wrong_dtype)


def _kind(dtype: torch.dtype) -> str:
    """bool, int, float or complex: loading may change precision within a kind, never the kind."""
    if dtype == torch.bool:
        return "bool"
    return "complex" if dtype.is_complex else "float" if dtype.is_floating_point else "int"


def _tied_keys(state: Mapping[str, torch.Tensor]) -> set[str]:
    """Keys whose tensor shares storage with an earlier key (safetensors stores those once)."""
    seen: dict[tuple, str] = {}
    tied = set()
    for key, tensor in state.items():
        if tensor.device.type == "meta" or tensor.numel() == 0:
            continue
        ident = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape))
        if ident in seen:
            tied.add(key)
        else:
            seen[ident] = key
    return tied


def save_pretrained(model: nn.Module, directory: str | Path, *, card: str | None = None) -> Path:
    """Write ``config.json`` and ``<component>.safetensors`` for every loaded component.

    The config records the registry name, the builder and its full config, so
    ``zoo.load("local-dir:DIR")`` rebuilds the model without naming its class.
    """
    from safetensors.torch import save_model

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    builder = getattr(model, "builder", None)
    if not builder:
        raise CheckpointError(f"{type(model).__name__} was not built through the zoo registry, so "
                              "its builder is unknown; build it with zoo.create(NAME) first")
    files = {}
    for component in components_of(model):
        module = component_module(model, component)
        if module is None:
            continue
        path = directory / component_file(component)
        save_model(module, str(path), metadata={"zoo_name": str(model.zoo_name), "component": component})
        _sort_metadata(path)
        files[component] = {"file": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size}
    config = {
        "zoo_name": model.zoo_name,
        "builder": builder,
        "config": _jsonable(dict(getattr(model, "config", {}) or {})),
        "plugin": getattr(model, "zoo_plugin", None),
        "core_version": CORE_VERSION,
        "files": files,
    }
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    if card is not None:
        (directory / "README.md").write_text(card)
    return directory


def _sort_metadata(path: Path) -> None:
    """Sort a safetensors file's ``__metadata__`` in place.

    safetensors writes that map in hash order, which changes from one call to the next, so the
    same weights would get another sha256 each time they are saved. Sorted, they always make
    the same bytes (the header keeps its length: same keys, same values, same padding).
    """
    with open(path, "r+b") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        if "__metadata__" not in header:
            return
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
        text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
        if len(text) <= size:
            f.seek(8)
            f.write(text.ljust(size))


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError as exc:
        raise CheckpointError(f"the model config must be JSON data to be saved, got {value!r}") from exc
    return value


def read_config(path: str | Path) -> dict[str, Any]:
    """Read and check a saved ``config.json``: builder, config, and one safetensors file per component.

    Raises:
        CheckpointError: not JSON, not an object, or a field is missing or malformed (named).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"{path}: cannot read config.json ({exc}); the folder must come from "
                              "model.save_pretrained()") from exc
    problem = _config_problem(data)
    if problem:
        raise CheckpointError(f"{path}: {problem}; config.json must hold 'builder', 'config' and "
                              "'files' as written by model.save_pretrained()")
    return data


def _config_problem(data: Any) -> str | None:
    from zoo_core.catalog import COMPONENT_RE, SHA256_RE
    from zoo_core.hub import file_name_problem

    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    if not isinstance(data.get("builder"), str):
        return f"'builder' must be a 'module:callable' string, got {data.get('builder')!r}"
    if not isinstance(data.get("config", {}), dict):
        return f"'config' must be an object, got {type(data['config']).__name__}"
    if not isinstance(data.get("zoo_name", ""), (str, type(None))):
        return f"'zoo_name' must be a string, got {data['zoo_name']!r}"
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        return f"'files' must name a weight file for each component, got {files!r}"
    for component, spec in files.items():
        where = f"files.{component}"
        if not COMPONENT_RE.match(component):
            return f"{where}: component names are lower-case identifiers (model, generator, ...)"
        if not isinstance(spec, dict) or not {"file", "sha256", "bytes"} <= set(spec):
            return f"{where}: expected {{file, sha256, bytes}}, got {spec!r}"
        problem = file_name_problem(spec["file"])
        if problem or not spec["file"].endswith(".safetensors"):
            return f"{where}.file: {problem or 'weights are .safetensors files, got ' + repr(spec['file'])}"
        if not isinstance(spec["sha256"], str) or not SHA256_RE.match(spec["sha256"]):
            return f"{where}.sha256: expected 64 lower-case hexadecimal characters, got {spec['sha256']!r}"
        size = spec["bytes"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            return f"{where}.bytes: expected a positive byte count, got {size!r}"
    return None


def load_official_pickle(path: str | Path) -> Any:
    """Read an official PyTorch checkpoint safely: tensors and plain containers only."""
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path} could not be read with torch.load(weights_only=True): {exc}. "
                              "Zoo never unpickles arbitrary objects; re-save the checkpoint as a "
                              "plain state dict.") from exc


__all__ = ["save_pretrained", "load_state_dict_strict", "read_safetensors", "read_config",
           "load_official_pickle", "component_file", "components_of"]

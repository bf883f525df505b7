"""``zoo convert NAME CHECKPOINT --out DIR``: an official checkpoint as a Hub-layout folder.

The model's plugin declares converters (``zoo_converters``: ``{name: "module:function"}``,
each ``function(path) -> {component: state_dict}``). The converted weights are loaded
strictly into ``zoo.create(NAME)``, so a checkpoint of another config fails naming every
mismatched key, then written as ``config.json`` + ``<component>.safetensors`` + a card, the
folder ``zoo eval NAME --weights DIR`` and ``zoo.load("local-dir:DIR")`` read.

Example::

    zoo convert akorn-attn-clevrtex runs/clevrtex_akorn/ema_499.pth --out converted/
    zoo eval akorn-attn-clevrtex --weights converted/ --data /data
"""

from __future__ import annotations

from pathlib import Path

from zoo_core.errors import ZooError


def read_snapshot_state_dict(path: str | Path, *, what: str, example: str):
    """The model state dict in a pytorch-pfn-extras snapshot (``snapshot_model_iter_N``: a state
    dict; ``snapshot_manager_iter_N``: ``{"models": {"main": state_dict}, ...}``), read with the
    safe unpickler (``weights_only=True``). Official MSP and NFT runs write these files.

    Raises FileNotFoundError when ``path`` is missing and ValueError when the file holds no
    tensor state dict; ``what`` names the method and ``example`` a file name, for the message.
    """
    from collections.abc import Mapping

    import torch

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"official {what} checkpoint not found: {path} (expected a file like {example})")
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(obj, Mapping) and isinstance(obj.get("models"), Mapping):
        obj = obj["models"].get("main", obj["models"])
    if not isinstance(obj, Mapping) or not obj or not all(torch.is_tensor(v) for v in obj.values()):
        raise ValueError(f"{path} is not an official {what} model state dict (got {type(obj).__name__} without tensor "
                         "values); pass snapshot_model_iter_<N> or snapshot_manager_iter_<N> from the official "
                         "log directory")
    return obj


def pick_converter(entry, converter: str | None) -> str:
    """``converter``, else the entry's own ``converter`` field, else the only converter its plugin declares."""
    import zoo

    if converter:
        return converter
    if entry.converter:
        return entry.converter
    host = zoo.registry().host
    plugin = host.by_dist(entry.plugin).name if entry.plugin else None
    own = sorted(n for n, (_, p) in host.references("zoo_converters").items() if p == plugin)
    if len(own) != 1:
        found = "no converter" if not own else "converters " + ", ".join(own)
        raise ZooError(f"{entry.name!r}: its plugin declares {found}; pass --converter NAME")
    return own[0]


def convert(name: str, checkpoint: str | Path, out: str | Path, *, converter: str | None = None,
            overwrite: bool = False) -> Path:
    """Convert ``checkpoint`` for model ``name`` and write the Hub-layout folder ``out``."""
    import zoo
    from zoo_core.interfaces import ModelCard
    from zoo_core.weights import CONFIG_FILE, component_module, components_of, load_state_dict_strict

    entry = zoo.registry().resolve(name)
    out = Path(out)
    if (out / CONFIG_FILE).exists() and not overwrite:
        raise ZooError(f"--out {out} already holds weights ({CONFIG_FILE}); pass --overwrite or another --out")
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise ZooError(f"checkpoint {checkpoint} not found; give the official checkpoint file")
    used = pick_converter(entry, converter)
    try:
        state = zoo.convert(used, checkpoint)
    except ZooError:
        raise
    except Exception as exc:  # the plugin's converter names what it could not map
        raise ZooError(f"converter {used!r} could not convert {checkpoint}: {exc}") from exc
    model = zoo.create(name)
    parts = components_of(model)
    if set(state) != set(parts):
        raise ZooError(f"converter {used!r} gave components {sorted(state)}, but {name!r} has {sorted(parts)}")
    for component, sd in state.items():
        load_state_dict_strict(component_module(model, component), sd,
                               source=f"{checkpoint} (converted by {used!r}, component {component!r})")
    prov = dict(entry.provenance)
    card = ModelCard(
        name=entry.name, summary=entry.description or entry.name, license=str(prov.get("license", "other")),
        paper=prov.get("paper"), tags=[entry.task.split("/")[0]] if entry.task else [], task=entry.task,
        body=(f"## Provenance\n\nConverted from the official checkpoint `{checkpoint.name}` with "
              f"`zoo convert {entry.name} {checkpoint.name} --converter {used}`.\n\n## Results\n\n"
              "Written by `zoo eval --write`; none yet."))
    model.eval()
    return model.save_pretrained(out, card=card.render())


__all__ = ["convert", "pick_converter"]

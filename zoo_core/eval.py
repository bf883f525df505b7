"""``zoo eval NAME``: evaluate a model through its Task; ``--write`` records the numbers.

The numbers go into the model card (front matter ``model-index`` and the Results section) and
into the entry's ``results`` in the catalog file that defines it (registry.yaml or a plugin's
catalog.yaml), so no result is ever typed by hand.
"""

from __future__ import annotations

import contextlib
import math
import re
from pathlib import Path
from typing import Any, Callable

import yaml


def evaluate(name: str, *, weights: str | Path | None = None, limit: int | None = None,
             seed: int = 0) -> dict[str, Any]:
    """Metric values of model ``name`` (published weights, or the folder ``weights``, which must
    hold weights of that entry)."""
    import zoo
    from zoo_core.checks import SEED_MAX, require

    require(limit, 1, "limit", "a number of examples")
    require(seed, 0, "seed", "a seed", high=SEED_MAX)
    entry = evaluated_entry(name, weights)
    if not entry.task:
        raise zoo.ZooError(f"{name!r} names no task, so there is nothing to evaluate it with")
    try:  # before any download: a task nobody implements fails fast
        task_cls = zoo.resolve_ref("zoo_tasks", entry.task, plugin=entry.plugin)
    except zoo.UnknownModelError as e:
        family = entry.task.split("/")[0]
        raise zoo.ZooError(f"{name!r} is evaluated on task {entry.task!r}, which no installed plugin implements "
                           f"({e}). Its dataset may be one that cannot be obtained or regenerated here; see "
                           f"`zoo list --task {family}` for models whose tasks run.") from None
    if weights:
        _check_folder_is_of(Path(weights), entry)
    model = zoo.load(f"local-dir:{weights}") if weights else zoo.load(entry.name, pretrained=True)
    model.eval()
    task = task_cls()
    settings = dict(entry.eval)
    if limit is not None:
        settings["limit"] = limit
    return task.evaluate(model, seed=seed, **settings)


def trained_model(name: str, runs: str | Path | None = None) -> tuple[Any, str] | None:
    """``(model, source)``: ``name``'s published weights, else the folder ``runs/name`` that
    ``zoo train name`` wrote (for an entry whose weights are withdrawn or were never published),
    else None. ``source`` is ``"published"`` or the folder."""
    import zoo

    if zoo.entry(name).weights is not None:
        return zoo.load(name, pretrained=True), "published"
    folder = Path(runs) / name if runs is not None else None
    if folder is not None and (folder / "config.json").is_file():
        return zoo.load(f"local-dir:{folder}"), str(folder)
    return None


def evaluated_entry(name: str, weights: str | Path | None = None) -> Any:
    """The entry ``zoo eval NAME`` evaluates and records: with ``weights``, the one ``name``
    names; without, the one whose published weights it means (a former name of weights that
    moved reaches them: ``Registry.lookup_weights``)."""
    import zoo

    reg = zoo.registry()
    return reg.resolve(name) if weights else reg.resolve_weights(name)


def _check_folder_is_of(folder: Path, entry: Any) -> None:
    """Refuse a ``--weights`` folder whose config.json names another catalog entry: its numbers
    would be recorded as ``entry``'s."""
    import zoo
    from zoo_core.weights import read_config

    if not (folder / "config.json").is_file():
        return  # loading it says what is missing
    config = read_config(folder / "config.json")
    named = config.get("zoo_name")
    reg = zoo.registry()
    try:
        own = reg.resolve(str(named)).name if named else None
    except zoo.ZooError:
        own = named  # an entry this catalog does not know is another entry too
    if named and reg.deprecated.get(str(named)) == entry.name:
        own = entry.name  # saved under a former name of this entry
    if own is not None and own != entry.name:
        raise zoo.ZooError(f"--weights {folder} holds weights of {named!r} (its config.json says so), "
                           f"not of {entry.name!r}; evaluate them as `zoo eval {named} --weights {folder}`")
    if own is None and config["builder"] != entry.builder:
        raise zoo.ZooError(f"--weights {folder}: its config.json names builder {config['builder']!r}, "
                           f"not {entry.name!r}'s {entry.builder!r}; these are another model's weights")


def plain(value: Any, *, nonfinite: Callable[[float], Any] = lambda v: None) -> Any:
    """A metric value as JSON data: tensors and numpy scalars to numbers, containers recursively,
    NaN and infinities to ``nonfinite(value)`` (null by default), anything else to its string."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return nonfinite(value)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): plain(v, nonfinite=nonfinite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, nonfinite=nonfinite) for v in value]
    return str(value)


def json_ready(results: dict[str, Any]) -> dict[str, Any]:
    """``results`` that ``json.dumps(..., allow_nan=False)`` accepts (non-finite numbers as null)."""
    return {str(k): plain(v) for k, v in results.items()}


def write_card_results(card_path: Path, results: dict[str, Any], *, name: str, task: str | None,
                       settings: dict[str, Any] | None = None) -> None:
    """Put ``results`` into a model card's front matter (model-index) and Results section
    (which also names the task and the catalog's ``eval`` settings they were measured with)."""
    text = card_path.read_text(encoding="utf-8") if card_path.is_file() else f"---\n---\n# {name}\n"
    match = re.match(r"^---\n(.*?)\n?---\n", text, re.S)
    front = (yaml.safe_load(match.group(1)) if match else None) or {}
    body = text[match.end():] if match else text
    front["model-index"] = [{"name": name, "results": [{
        "task": {"type": task or "other"},
        "metrics": [{"type": k, "value": v} for k, v in results.items()]}]}]
    table = "\n".join(f"- {k}: {v}" for k, v in results.items())
    how = f" on task `{task}`" if task else ""
    if settings:
        how += " with " + ", ".join(f"{k}={v}" for k, v in settings.items())
    section = f"## Results\n\nWritten by `zoo eval {name} --write`{how}:\n\n{table}\n"
    if re.search(r"^## Results\n", body, re.M):
        body = re.sub(r"^## Results\n.*?(?=^## |\Z)", section + "\n", body, flags=re.S | re.M)
    else:
        body = body.rstrip("\n") + "\n\n" + section
    card_path.write_text("---\n" + yaml.safe_dump(front, sort_keys=False).strip() + "\n---\n" + body,
                         encoding="utf-8")


def record(name: str, results: dict[str, Any], *, weights: str | Path | None = None) -> list[str]:
    """Write results to the model card (``weights``/README.md) and to the catalog file that
    defines the entry; returns what changed.

    Raises:
        ZooError: the entry's catalog cannot be written here (the message says what to edit
            and what was already written).
    """
    import zoo
    from zoo_core.catalog_edit import write_field
    from zoo_core.errors import CatalogError

    entry = evaluated_entry(name, weights)
    changed = []
    if weights:
        write_card_results(Path(weights) / "README.md", results, name=entry.name, task=entry.task,
                           settings=dict(entry.eval))
        changed.append(str(Path(weights) / "README.md"))
    try:
        changed.append(write_field(entry, "results", results))
    except CatalogError as exc:
        if not changed:
            raise
        raise zoo.ZooError(f"{exc}\n(already written: {', '.join(changed)})") from exc
    return changed


@contextlib.contextmanager
def single_thread():
    """Run the block with one torch thread (then restore the count): a task whose numbers go
    through many float reductions (an optimisation loop, a sum over thousands of samples) gets
    the same digits on any machine and under any ``OMP_NUM_THREADS``, which published results
    and their re-evaluation need."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


__all__ = ["evaluate", "evaluated_entry", "trained_model", "record", "write_card_results", "plain", "json_ready",
           "single_thread"]

"""``zoo eval NAME``: evaluate a model through its Task; ``--write`` records the numbers.

The numbers go into the model card (front matter ``model-index`` and the Results section) and
into the entry's ``results`` in the catalog file that defines it (registry.yaml or a plugin's
catalog.yaml), so no result is ever typed by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


def evaluate(name: str, *, weights: str | Path | None = None, limit: int | None = None,
             seed: int = 0) -> dict[str, Any]:
    """Metric values of model ``name`` (published weights, or the folder ``weights``)."""
    import zoo

    entry = zoo.registry().resolve(name)
    if not entry.task:
        raise zoo.ZooError(f"{name!r} names no task, so there is nothing to evaluate it with")
    try:  # before any download: a task nobody implements fails fast
        task_cls = zoo.resolve_ref("zoo_tasks", entry.task, plugin=entry.plugin)
    except zoo.UnknownModelError as e:
        family = entry.task.split("/")[0]
        raise zoo.ZooError(f"{name!r} is evaluated on task {entry.task!r}, which no installed plugin implements "
                           f"({e}). Its dataset may be one that cannot be obtained or regenerated here; see "
                           f"`zoo list --task {family}` for models whose tasks run.") from None
    model = zoo.load(f"local-dir:{weights}") if weights else zoo.load(name, pretrained=True)
    model.eval()
    task = task_cls()
    settings = dict(entry.eval)
    if limit is not None:
        settings["limit"] = limit
    return task.evaluate(model, seed=seed, **settings)


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
    from zoo_core.catalog_files import write_field
    from zoo_core.errors import CatalogError

    entry = zoo.entry(name)
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


__all__ = ["evaluate", "record", "write_card_results"]

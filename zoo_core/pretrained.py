"""The Hugging Face conventions on Zoo models: ``Model.from_pretrained`` and ``model.push_to_hub``.

Both sit on Zoo's own paths, so there is one way to load and one way to publish:

* ``from_pretrained`` turns its argument into a name ``zoo.load`` takes, so sha256 checks and
  the rebuilding from ``config.json`` (through a builder an installed plugin declares) are
  the same as everywhere else.
* ``push_to_hub`` is ``save_pretrained`` into a temporary folder, the checks of ``zoo publish``
  (``publish.folder_problems``) and its upload (``publish.upload``: ``HfApi.create_repo`` +
  ``upload_folder``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo_core.errors import ModelClassError, ZooError

if TYPE_CHECKING:  # pragma: no cover
    from torch import nn

    from zoo_core.interfaces import ModelCard
    from zoo_core.publish import Upload


def load_name(name_or_path: str | os.PathLike) -> str:
    """The ``zoo.load`` name for what a user hands ``from_pretrained``, checked in this order:

    1. ``hf-hub:...`` or ``local-dir:...``: as given;
    2. a path object, or an existing folder: ``local-dir:`` (a folder written by save_pretrained);
    3. a registry name, alias or former name: as given;
    4. ``org/repo`` or ``org/repo@rev``: ``hf-hub:org/repo[@rev]``;
    5. anything else: as given, so the registry explains it (did you mean ...).
    """
    if isinstance(name_or_path, os.PathLike):
        return f"local-dir:{os.fspath(name_or_path)}"
    name = str(name_or_path)
    if name.startswith(("hf-hub:", "local-dir:")):
        return name
    if Path(name).expanduser().is_dir():
        return f"local-dir:{name}"
    from zoo_core.api import registry

    reg = registry()
    if name in reg.entries or name in reg.aliases or name in reg.deprecated:
        return name
    org, slash, repo = name.partition("/")
    if slash and org and repo and "/" not in repo and not name.startswith("."):
        return f"hf-hub:{name}"
    return name


def from_pretrained(cls: type, name_or_path: str | os.PathLike, *, revision: str | None = None,
                    local_files_only: bool = False, device: Any = None, map_location: Any = None,
                    **load_kwargs: Any) -> "nn.Module":
    """``zoo.load(load_name(name_or_path), ...)``, checked to build an instance of ``cls``.

    ``cls`` is ``Model`` itself (any model) or a subclass; ``local_files_only`` loads from the
    cache only (``zoo.offline()``); ``map_location`` is another spelling of ``device``.
    """
    from zoo_core import api
    from zoo_core.hub import offline
    from zoo_core.interfaces import Model

    if map_location is not None and device is not None and str(map_location) != str(device):
        raise ZooError(f"device={device!r} and map_location={map_location!r} disagree; pass one of them")
    name = load_name(name_or_path)
    if name.startswith("local-dir:") and revision is not None:
        raise ZooError(f"{name_or_path} is a local folder, which has no revisions; drop revision={revision!r}")
    with offline() if local_files_only else contextlib.nullcontext():
        model = api.load(name, revision=revision, device=device if device is not None else map_location,
                         **load_kwargs)
    if cls is not Model and not isinstance(model, cls):
        built, wanted = (f"{c.__module__}.{c.__qualname__}" for c in (type(model), cls))
        if built == wanted:
            raise ModelClassError(f"{name_or_path!r} builds another copy of {wanted} (its module was "
                                  "imported twice or reloaded); restart the interpreter")
        raise ModelClassError(
            f"{name_or_path!r} builds a {built}, not a {wanted}; load it with "
            f"Model.from_pretrained({str(name_or_path)!r}) or zoo.load, or with its own class")
    return model


def push_to_hub(model: "nn.Module", repo_id: str, *, token: str | None = None, private: bool = False,
                branch: str | None = None, commit_message: str | None = None,
                endpoint: str | None = None, card: "str | ModelCard | None" = None) -> "Upload":
    """Save ``model``, check it as ``zoo publish`` does, and upload it; see ``Model.push_to_hub``."""
    from zoo_core.publish import folder_problems, upload
    from zoo_core.weights import save_pretrained

    name = getattr(model, "zoo_name", None) or type(model).__name__
    with tempfile.TemporaryDirectory(prefix="zoo-push-") as tmp:
        folder = save_pretrained(model, tmp)
        text = catalog_card(model, folder) if card is None else card if isinstance(card, str) else card.render()
        if text is not None:
            (folder / "README.md").write_text(text, encoding="utf-8")
        config, problems = folder_problems(folder)
        if problems:
            raise ZooError(
                f"{name} is not ready to push to {repo_id}:\n  - " + "\n  - ".join(problems)
                + "\n  The model card is README.md: pass card=ModelCard(name=..., summary=..., "
                  "license=..., results=...) with results measured on these weights "
                  "(your Task's evaluate(model)), or a Markdown card with that front matter.")
        return upload(folder, repo_id, config, token=token, private=private, branch=branch,
                      commit_message=commit_message or f"push {name} with zoo", endpoint=endpoint)


def catalog_card(model: "nn.Module", folder: Path) -> str | None:
    """The default card: license, paper and task from the model's catalog entry.

    The entry's results are copied only when the saved files are the very files they were
    measured on (same sha256 as the entry's weights); other weights get a card without results,
    which publishing refuses. None when the catalog does not know the model.
    """
    import json

    from zoo_core import api
    from zoo_core.interfaces import ModelCard

    try:
        entry = api.entry(str(getattr(model, "zoo_name", None)))
    except ZooError:
        return None
    files = json.loads((folder / "config.json").read_text())["files"]
    published = entry.weights.files if entry.weights else {}
    same = bool(files) and all(c in published and published[c].sha256 == spec["sha256"]
                               for c, spec in files.items())
    prov = dict(entry.provenance)
    return ModelCard(name=entry.name, summary=entry.description or entry.name,
                     license=str(prov.get("license", "")), paper=prov.get("paper"),
                     datasets=[str(prov["dataset_id"])] if prov.get("dataset_id") else [],
                     tags=[entry.task.split("/")[0]] if entry.task else [],
                     results=dict(entry.results) if same else {}, task=entry.task).render()


__all__ = ["load_name", "from_pretrained", "push_to_hub", "catalog_card"]

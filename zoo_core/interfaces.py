"""The three things every plugin provides: Model, Task and Metric (and the ModelCard they share).

``Model`` is an ``nn.Module`` that knows its registry name and constructor config, so
``save_pretrained`` writes a folder (``config.json`` + one safetensors file per component)
that rebuilds it without the caller naming the class. This module imports torch; the
registry and listing code never import it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar, Iterable, Protocol, runtime_checkable

import torch
from torch import nn


class Model(nn.Module):
    """Base class for Zoo models.

    Subclasses are ordinary ``nn.Module``s. Two class attributes describe them to the core:

    * ``zoo_components``: component name -> attribute path of the submodule holding it
      (``""`` is the whole model). Multi-part models (GAN generator + discriminator,
      compressor parts) list each part; each is saved to its own ``<component>.safetensors``
      and can be loaded alone with ``zoo.load(name, components=[...])``.
    * ``zoo_stochastic``: True when ``forward`` draws random numbers; such models accept a
      ``generator`` (``torch.Generator``) argument.

    ``zoo_name`` and ``config`` are set by the core when the model is built from the
    catalog (``zoo.create`` / ``zoo.load``). The constructor takes keyword-only arguments:
    the catalog entry's ``config`` is passed as ``builder(**config)``.

    The Hugging Face conventions work on top of the catalog: ``Tiny.from_pretrained(name)``
    (a registry name, a folder from ``save_pretrained`` or a Hub repo ``org/repo``),
    ``model.save_pretrained(dir)`` and ``model.push_to_hub("org/repo")``.

    Example::

        class Tiny(Model):
            def __init__(self, *, width=8):
                super().__init__()
                self.net = nn.Linear(width, width)

            def forward(self, x):
                return self.net(x)

            def example_inputs(self, batch_size=2):
                return (torch.zeros(batch_size, self.net.in_features),)
    """

    zoo_components: ClassVar[dict[str, str]] = {"model": ""}
    zoo_stochastic: ClassVar[bool] = False

    zoo_name: str | None = None
    config: dict = {}
    builder: str | None = None

    def example_inputs(self, batch_size: int = 2) -> tuple | dict:
        """A small valid input for ``forward`` (positional tuple or keyword dict).

        The conformance kit (``zoo_core.testing``) runs every catalog entry on it.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement example_inputs() so the "
                                  "conformance kit can run a forward pass")

    def component(self, name: str) -> nn.Module | None:
        """The submodule holding component ``name`` (None if it was not loaded)."""
        if name not in self.zoo_components:
            raise KeyError(f"{type(self).__name__} has no component {name!r}; "
                           f"it has {sorted(self.zoo_components)}")
        path = self.zoo_components[name]
        return self.get_submodule(path) if path else self

    def save_pretrained(self, directory: str | Path, card: str | None = None) -> Path:
        """Write ``config.json`` and one ``<component>.safetensors`` per component to ``directory``.

        ``zoo.load("local-dir:" + str(directory))`` rebuilds the model from it.
        """
        from zoo_core.weights import save_pretrained

        return save_pretrained(self, directory, card=card)

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, *, revision: str | None = None,
                        components: Iterable[str] | None = None,
                        device: str | torch.device | None = None,
                        map_location: str | torch.device | None = None,
                        dtype: torch.dtype | None = None, cache_dir: str | Path | None = None,
                        force_download: bool = False, local_files_only: bool = False,
                        strict: bool = True, **overrides: Any) -> "Model":
        """Load a model with its weights, the way ``zoo.load`` does (sha256-checked).

        ``name_or_path`` is, in this order: ``hf-hub:...`` / ``local-dir:...``; an existing
        folder written by ``save_pretrained`` (or any ``Path``); a registry name or alias;
        a Hub repo id ``org/repo[@rev]`` (its config.json names the architecture, which an
        installed plugin must declare). ``Model.from_pretrained`` returns whatever model that
        is; on a subclass it also checks that the model is an instance of that subclass
        (``ModelClassError`` otherwise). ``map_location`` is accepted as another spelling of
        ``device``; ``local_files_only`` reads the Hub cache only; ``overrides`` replace
        config values; the other arguments are those of ``zoo.load``.

        Example::

            model = Model.from_pretrained("nft-rotdigits")
            model = Model.from_pretrained("my-org/my-model", revision="<commit>")
        """
        from zoo_core.pretrained import from_pretrained

        return from_pretrained(cls, name_or_path, revision=revision, local_files_only=local_files_only,
                               map_location=map_location, device=device, dtype=dtype,
                               components=None if components is None else list(components),
                               cache_dir=cache_dir, force_download=force_download, strict=strict,
                               **overrides)

    def push_to_hub(self, repo_id: str, *, token: str | None = None, private: bool = False,
                    branch: str | None = None, commit_message: str | None = None,
                    endpoint: str | None = None, card: "str | ModelCard | None" = None):
        """Publish this model as Hub repo ``repo_id``, checked the way ``zoo publish`` checks.

        Saves the model (``save_pretrained``) with ``card`` (a ``ModelCard`` or Markdown) into a
        temporary folder, refuses it unless the card has a license and results, then uploads it
        with ``HfApi.create_repo(exist_ok=True)`` + ``upload_folder``. Without ``card`` the card
        comes from the catalog entry, and keeps the entry's results only if the weights are
        the very files they were measured on. ``token`` defaults to HF_TOKEN or the stored
        login, ``endpoint`` to HF_ENDPOINT; ``branch`` must exist (default main).

        Returns:
            ``publish.Upload``: ``.weights`` is the catalog ``weights`` entry that ``zoo publish``
            prints (repo, the pinned commit, each file's sha256 and bytes), ``.commit``
            huggingface_hub's ``CommitInfo`` and ``.url`` the commit's address.

        Raises:
            ZooError: the folder is not publishable, or the Hub refused (no or wrong token)
                or could not be reached.
        """
        from zoo_core.pretrained import push_to_hub

        return push_to_hub(self, repo_id, token=token, private=private, branch=branch,
                           commit_message=commit_message, endpoint=endpoint, card=card)


@runtime_checkable
class Task(Protocol):
    """The data and evaluation protocol of one kind of job.

    ``name`` is the registry task name (``"object-discovery/tetrominoes"``); ``dataset(split)``
    returns a ``torch.utils.data.Dataset``; ``evaluate(model, *, limit=None, seed=0)`` returns
    metric values (``limit`` caps the number of evaluation examples for quick reports; the
    published results use ``limit=None`` unless the catalog's ``eval`` settings say otherwise).
    Datasets that cannot be downloaded here are generated procedurally or come from data that
    pip packages ship, and the task's name says so. A task on a paper dataset reads the user's
    local copy: it names the ``zoo_datasets`` it reads in ``datasets`` (optional attribute)
    and finds each folder with ``zoo_core.data.dataset_root(SPEC)`` (``--data`` / ``ZOO_DATA``).
    """

    name: str

    def dataset(self, split: str) -> Any: ...

    def evaluate(self, model: nn.Module, **kwargs: Any) -> dict[str, float]: ...


@runtime_checkable
class Metric(Protocol):
    """torchmetrics-compatible metric: ``update(...)``, ``compute()``, ``reset()``."""

    def update(self, *args: Any, **kwargs: Any) -> None: ...

    def compute(self) -> Any: ...

    def reset(self) -> None: ...


@dataclasses.dataclass
class ModelCard:
    """What a model card says: rendered to a Hub ``README.md`` with YAML front matter."""

    name: str
    summary: str
    license: str
    paper: str | None = None
    datasets: list[str] = dataclasses.field(default_factory=list)
    tags: list[str] = dataclasses.field(default_factory=list)
    results: dict[str, float] = dataclasses.field(default_factory=dict)
    task: str | None = None
    body: str = ""

    def render(self) -> str:
        """The card as Markdown with Hub front matter (license, datasets, tags, model-index)."""
        import yaml

        front: dict[str, Any] = {"license": self.license, "library_name": "zoo",
                                 "tags": ["zoo", *self.tags]}
        if self.datasets:
            front["datasets"] = list(self.datasets)
        if self.results:
            front["model-index"] = [{
                "name": self.name,
                "results": [{
                    "task": {"type": self.task or "other"},
                    "metrics": [{"type": k, "value": v} for k, v in self.results.items()],
                }],
            }]
        head = yaml.safe_dump(front, sort_keys=False).strip()
        lines = [f"---\n{head}\n---", f"# {self.name}", "", self.summary]
        if self.paper:
            lines += ["", f"Paper: {self.paper}"]
        if self.body:
            lines += ["", self.body.strip()]
        return "\n".join(lines) + "\n"


def parameters_count(modules: Iterable[nn.Module]) -> int:
    """Total number of parameters of some modules."""
    return sum(p.numel() for m in modules for p in m.parameters())


__all__ = ["Model", "Task", "Metric", "ModelCard", "parameters_count"]

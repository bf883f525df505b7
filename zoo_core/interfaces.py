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
    catalog (``zoo.create`` / ``zoo.load``).

    Example::

        class Tiny(Model):
            def __init__(self, width=8):
                super().__init__()
                self.net = nn.Linear(width, width)

            def forward(self, x):
                return self.net(x)
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


@runtime_checkable
class Task(Protocol):
    """The data and evaluation protocol of one kind of job.

    ``name`` is the registry task name (``"object-discovery/tetrominoes"``); ``dataset(split)``
    returns a ``torch.utils.data.Dataset``; ``evaluate(model, *, limit=None, seed=0)`` returns
    metric values (``limit`` caps the number of evaluation examples for quick reports; the
    published results use ``limit=None`` unless the catalog's ``eval`` settings say otherwise).
    Datasets that cannot be downloaded here are generated procedurally or come from data that
    pip packages ship, and the task's name says so.
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

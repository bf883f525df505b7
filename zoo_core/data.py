"""The paper datasets from a local copy: where data lives, what each task needs, clear errors.

Nothing is ever downloaded. A user keeps each dataset in its official on-disk layout, one
folder per dataset under a root, and points the zoo at the root::

    export ZOO_DATA=/data          # /data/clevrtex/..., /data/cifar10/..., /data/3dshapes/...
    zoo data                       # every dataset the installed tasks know: found or not, and where to get it
    zoo train akorn-attn-clevrtex  # reads /data/clevrtex
    zoo eval akorn-attn-clevrtex --data /elsewhere   # --data: a root like ZOO_DATA, or one dataset's folder

A plugin declares each dataset once, as a :class:`DatasetSpec` named by its ``zoo_datasets``
hook (``{name: "module:SPEC"}``); a task lists the names it reads (``Task.datasets``) and
finds the folder with :func:`dataset_root`. Readers wrap their file access in
:func:`reading`, so a present but broken dataset (a missing file, a truncated archive,
arrays of the wrong shape) fails with an error that names the file and says what to do.

Example:
    >>> spec = DatasetSpec(name="toy", title="Toy", url="https://example.org/toy",
    ...                    layout=("train.npz",))
    >>> print(spec.describe().splitlines()[0])
    toy: Toy
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
from pathlib import Path
from typing import Iterator

from zoo_core.errors import ZooError

DATA_ENV = "ZOO_DATA"


class DatasetError(ZooError, ValueError):
    """A dataset is present but not in the expected layout, or a file of it cannot be read."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """A dataset a task needs was not found under ``--data`` / ``$ZOO_DATA``."""


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """One paper dataset as its official code expects it on disk.

    Attributes:
        name: the folder name under the data root (``"clevrtex"``).
        title: what it is, with its paper (``"CLEVRTex (Karazija et al., 2021)"``).
        url: where a user gets it.
        layout: the files the official code reads, relative to the dataset's folder; glob
            patterns (``"clevrtex_full/*/CLEVRTEX_full_*.png"``) must match at least one file.
        note: how to build the layout, when it is not the download as it comes (e.g. the
            official conversion script to run).
    """

    name: str
    title: str
    url: str
    layout: tuple[str, ...]
    note: str = ""

    def missing(self, folder: str | Path) -> list[str]:
        """The layout entries that nothing in ``folder`` matches (empty: the layout is there)."""
        folder = Path(folder)
        return [p for p in self.layout if not _matches(folder, p)]

    def describe(self) -> str:
        """Several lines: what it is, where to get it, the layout expected."""
        lines = [f"{self.name}: {self.title}", f"  get it from {self.url}",
                 f"  expected under $ZOO_DATA/{self.name}/ (or --data DIR):"]
        lines += [f"    {p}" for p in self.layout]
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)


def _matches(folder: Path, pattern: str) -> bool:
    if glob.has_magic(pattern):
        return next(iter(folder.glob(pattern)), None) is not None
    return (folder / pattern).exists()


def data_roots() -> list[Path]:
    """Where datasets are looked for: ``$ZOO_DATA`` (set by ``--data`` too), if set."""
    value = os.environ.get(DATA_ENV, "")
    return [Path(v).expanduser() for v in value.split(os.pathsep) if v]


def find_dataset(spec: DatasetSpec) -> Path | None:
    """The folder holding ``spec``'s layout: ``ROOT/<name>`` or ``ROOT`` itself, for each root."""
    for root in data_roots():
        for folder in (root / spec.name, root):
            if folder.is_dir() and not spec.missing(folder):
                return folder
    return None


def dataset_root(spec: DatasetSpec) -> Path:
    """The folder of ``spec``'s dataset, checked against its layout.

    Raises:
        DatasetNotFoundError: no root is set, or no root holds the dataset (the message says
            where it looked, where to get the data and the layout expected).
        DatasetError: ``ROOT/<name>`` exists but lacks part of the layout (names what is missing).
    """
    found = find_dataset(spec)
    if found is not None:
        return found
    roots = data_roots()
    for root in roots:
        folder = root / spec.name
        if folder.is_dir():
            absent = ", ".join(spec.missing(folder))
            raise DatasetError(f"{folder} does not hold {spec.title} in its official layout: "
                               f"nothing matches {absent}.\n{spec.describe()}")
    where = (f"not under {', '.join(str(r) for r in roots)} (looked for {spec.name}/ there, "
             f"and for the layout in the folder itself)" if roots else
             f"no data root is set: pass --data DIR or set {DATA_ENV}=ROOT (one folder per dataset)")
    raise DatasetNotFoundError(f"dataset {spec.name!r} ({spec.title}) was not found: {where}. "
                               "Nothing is downloaded at run time.\n" + spec.describe())


@contextlib.contextmanager
def reading(path: str | Path, spec: DatasetSpec | None = None) -> Iterator[Path]:
    """Turn any failure to read ``path`` inside the block into a DatasetError naming the file.

    Example::

        with reading(folder / "train.npz", SPEC) as path:
            arrays = np.load(path)
    """
    path = Path(path)
    try:
        yield path
    except DatasetError:
        raise
    except Exception as exc:  # truncated archive, bad pickle-free format, wrong keys or shapes
        what = f" (part of {spec.title}; {spec.url})" if spec else ""
        raise DatasetError(f"{path}: cannot be read as expected{what}: {type(exc).__name__}: "
                           f"{exc}. Check that the file is complete (compare its size or checksum "
                           "with the source) and in the official layout.") from exc


def require(condition: bool, path: str | Path, problem: str, spec: DatasetSpec | None = None) -> None:
    """Raise a DatasetError naming ``path`` and ``problem`` unless ``condition`` holds."""
    if not condition:
        what = f" ({spec.title}: {spec.url})" if spec else ""
        raise DatasetError(f"{path}: {problem}{what}; the file is not in the official layout")


# Datasets several plugins read, declared once here; a plugin names one in its zoo_datasets hook
# as "zoo_core.data:CIFAR10" (the same reference from two plugins is one dataset, not a conflict).
CIFAR10 = DatasetSpec(
    name="cifar10", title="CIFAR-10 (Krizhevsky, 2009), python version",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    layout=tuple(f"cifar-10-batches-py/{f}" for f in (*(f"data_batch_{i}" for i in range(1, 6)),
                                                      "test_batch", "batches.meta")),
    note="unpack cifar-10-python.tar.gz here as it comes (torchvision.datasets.CIFAR10's root)")


def known_datasets() -> dict[str, tuple[str, str]]:
    """``{name: (reference, plugin)}`` of every dataset the installed plugins declare."""
    from zoo_core.api import registry

    return registry().host.references("zoo_datasets")


def dataset_spec(name: str) -> DatasetSpec:
    """The DatasetSpec a plugin declared as ``name`` (``zoo_datasets`` hook)."""
    from zoo_core.api import resolve_ref

    try:
        spec = resolve_ref("zoo_datasets", name)
    except ZooError:
        raise
    except Exception as exc:  # a plugin's spec module that does not import
        raise ZooError(f"dataset {name!r}: its declaration cannot be imported ({type(exc).__name__}: "
                       f"{exc}); the plugin that declares it is broken (see `zoo plugins`)") from exc
    if not isinstance(spec, DatasetSpec):
        raise ZooError(f"dataset {name!r} must be declared as a zoo_core.data.DatasetSpec, "
                       f"got {type(spec).__name__}")
    return spec


def status() -> list[dict]:
    """One row per known dataset: name, plugin(s) declaring it, title, url, layout, found folder or None
    (or ``error`` where its declaration cannot be imported)."""
    rows = []
    for name, (_, plugin) in sorted(known_datasets().items()):
        try:
            spec = dataset_spec(name)
        except ZooError as exc:  # one broken declaration costs its own row only
            rows.append({"name": name, "plugin": plugin, "plugins": plugin.split(", "),
                         "error": str(exc), "found": None})
            continue
        found = find_dataset(spec)
        rows.append({"name": name, "plugin": plugin, "plugins": plugin.split(", "),
                     "title": spec.title, "url": spec.url,
                     "layout": list(spec.layout), "note": spec.note,
                     "found": str(found) if found else None})
    return rows


__all__ = ["DATA_ENV", "CIFAR10", "DatasetSpec", "DatasetError", "DatasetNotFoundError", "data_roots",
           "find_dataset", "dataset_root", "reading", "require", "known_datasets",
           "dataset_spec", "status"]

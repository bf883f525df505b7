"""A new op in the core's op form, ready to edit: ``render_op(name, package=...)``.

The files (templates in ``zoo_core/ops/templates/op/``) make a working op with placeholder
math (``y = scale * x * weight``) that passes its own tests at once, interpreter test included:

    <package>/ops/<name>/__init__.py    the Op(...) declaration and the public function
    <package>/ops/<name>/reference.py   the PyTorch reference and the input check
    <package>/ops/<name>/kernels.py     Triton forward and backward kernels
    <package>/ops/<name>/function.py    launchers and the torch.autograd.Function
    <package>/ops/<name>/checks.py      kernel vs reference (zoo_core.ops.testing.check_op)
    tests/test_ops_<name>.py            pytest: interpreter run, dispatch rules, reference, errors
    benchmarks/ops_<name>.py            timings (zoo_core.ops.bench)

Paths are relative to the plugin's project root; ``<package>/ops/__init__.py`` is the
plugin's own (it may re-export the op).

Example:
    >>> from zoo_core.ops.scaffold import render_op
    >>> files = render_op("fused_gate", package="zoo_example")
    >>> sorted(files)[:2]
    ['benchmarks/ops_fused_gate.py', 'tests/test_ops_fused_gate.py']
    >>> "OP = Op(" in files["zoo_example/ops/fused_gate/__init__.py"]
    True
"""

from __future__ import annotations

import keyword
import re
import string
from importlib import resources
from pathlib import Path

from zoo_core.errors import ZooError

__all__ = ["OpScaffoldError", "render_op", "write_op"]

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TEMPLATES = {  # template file -> where it goes, with {pkg} (package path) and {name}
    "__init__.py.tmpl": "{pkg}/ops/{name}/__init__.py",
    "reference.py.tmpl": "{pkg}/ops/{name}/reference.py",
    "kernels.py.tmpl": "{pkg}/ops/{name}/kernels.py",
    "function.py.tmpl": "{pkg}/ops/{name}/function.py",
    "checks.py.tmpl": "{pkg}/ops/{name}/checks.py",
    "test.py.tmpl": "tests/test_ops_{name}.py",
    "bench.py.tmpl": "benchmarks/ops_{name}.py",
}


class OpScaffoldError(ZooError, ValueError):
    """``render_op`` / ``write_op`` got an unusable name or would overwrite existing files."""


def render_op(name: str, *, package: str) -> dict[str, str]:
    """The files of a new op ``name`` in plugin package ``package``: ``{relative path: text}``.

    Args:
        name: the op's name, a lowercase Python identifier (``"fused_gate"``); it names the
            public function, the folder and the files.
        package: the plugin's import package (``"zoo_example"``); the op lives in
            ``<package>.ops.<name>``.

    Raises:
        OpScaffoldError: ``name`` or ``package`` is not usable (the message says why).
    """
    if not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise OpScaffoldError(f"op name {name!r} must be a lowercase Python identifier such as 'fused_gate'.")
    parts = package.split(".")
    if not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        raise OpScaffoldError(f"package {package!r} must be an importable dotted name such as 'zoo_example'.")
    values = {"name": name, "Name": "".join(p.capitalize() for p in name.split("_")), "package": package,
              "module": f"{package}.ops.{name}"}
    folder = resources.files("zoo_core.ops") / "templates" / "op"
    return {where.format(pkg="/".join(parts), name=name): string.Template((folder / tmpl).read_text()).substitute(values)
            for tmpl, where in _TEMPLATES.items()}


def write_op(root: str | Path, name: str, *, package: str) -> list[Path]:
    """Write ``render_op(name, package=package)`` under ``root`` (the plugin's project root).

    Returns:
        The files written.

    Raises:
        OpScaffoldError: a bad name, or any of the files exists already (nothing is written then).
    """
    root = Path(root)
    files = {root / rel: text for rel, text in render_op(name, package=package).items()}
    existing = [str(p) for p in files if p.exists()]
    if existing:
        raise OpScaffoldError(f"op {name!r} would overwrite {', '.join(existing)}; pick another name or move them.")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(files)

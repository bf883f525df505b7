"""``zoo new-plugin NAME [DIR]``: write a working plugin that passes its own tests at once.

The plugin (distribution ``zoo-NAME``, package ``zoo_NAME``, entry point ``NAME``) has a
model, a task on procedurally generated data, a training recipe, its catalog as a YAML file
in the package (so ``zoo eval --write`` and ``zoo publish --write`` can update it), a README
and the core's conformance kit as its test. The files are rendered from the templates in
``zoo_core/scaffold/templates/plugin`` with ``string.Template`` (``$name`` placeholders;
``_package_`` in a path is the package name, a ``dot_`` prefix is a leading dot).

Optional parts plug in as ``extras``: callables ``extra(root, context)`` run after the base
files are written; ``zoo new-plugin NAME --with-op OP`` adds an op folder in the core's op
form this way (``zoo_core.ops.scaffold.write_op``).
"""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable

from zoo_core import __version__
from zoo_core.errors import ZooError

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
TEMPLATES = "templates/plugin"

Extra = Callable[[Path, dict], None]


def context_for(name: str) -> dict[str, str]:
    """Every placeholder the templates use, derived from the plugin's NAME."""
    from packaging.version import Version

    if name.startswith("zoo-"):
        name = name.removeprefix("zoo-")
    if not NAME_RE.match(name):
        raise ZooError(f"plugin name {name!r}: use lower-case letters and digits, words joined by "
                       "hyphens, starting with a letter (e.g. lenet); the distribution is zoo-NAME")
    core = Version(__version__)
    upper = f"{core.major + 1}" if core.major else f"{core.major}.{core.minor + 1}"
    return {
        "name": name,
        "dist": f"zoo-{name}",
        "package": "zoo_" + name.replace("-", "_"),
        "model": f"{name}-mlp-quadrants",
        "task": f"classification/{name}-quadrants",
        "recipe": f"{name}-classifier",
        "core_version": core.base_version,
        "core_requires": f">={core.major}.{core.minor},<{upper}",
    }


def new_plugin(name: str, directory: str | Path | None = None, *,
               extras: Iterable[Extra] = ()) -> Path:
    """Write the plugin ``zoo-NAME`` into ``directory`` (default ``./zoo-NAME``); returns it.

    Raises:
        ZooError: the name is not valid, or the directory exists and is not empty.
    """
    context = context_for(name)
    root = Path(directory) if directory is not None else Path.cwd() / context["dist"]
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ZooError(f"{root} already exists and is not an empty folder; choose another DIR "
                       "(nothing was written)")
    base = resources.files("zoo_core.scaffold").joinpath(TEMPLATES)
    for template, relative in _templates(base):
        text = string.Template(template.read_text(encoding="utf-8")).substitute(context)
        target = root / relative.replace("_package_", context["package"])
        target = target.with_name(re.sub(r"^dot_", ".", target.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for extra in extras:
        extra(root, context)
    return root


def _templates(folder, prefix: str = "") -> Iterable[tuple[object, str]]:
    """``(template, relative output path)`` for every ``*.tmpl`` below ``folder``."""
    for item in sorted(folder.iterdir(), key=lambda t: t.name):
        if item.is_dir():
            yield from _templates(item, f"{prefix}{item.name}/")
        elif item.name.endswith(".tmpl"):
            yield item, prefix + item.name.removesuffix(".tmpl")


def with_op(op: str) -> Extra:
    """An extra that writes op ``op`` (reference, Triton kernel, autograd function, tests,
    benchmark) into the new plugin; the name is checked now, before anything is written."""
    from zoo_core.ops.scaffold import render_op, write_op

    render_op(op, package="zoo_check")  # raises OpScaffoldError for a bad name

    def extra(root: Path, context: dict) -> None:
        ops_init = root / context["package"] / "ops" / "__init__.py"
        ops_init.parent.mkdir(parents=True, exist_ok=True)
        if not ops_init.exists():
            dist = context["dist"]
            ops_init.write_text(f'"""Fused ops of {dist}, one folder each in the core op form."""\n')
        write_op(root, op, package=context["package"])

    return extra


def cmd_new_plugin(args) -> int:
    """The ``zoo new-plugin`` command."""
    extras = [with_op(args.with_op)] if args.with_op else []
    root = new_plugin(args.name, args.dir, extras=extras)
    context = context_for(args.name)
    if args.with_op:
        print(f"op {args.with_op}: {context['package']}/ops/{args.with_op}/, "
              f"tests/test_ops_{args.with_op}.py, benchmarks/ops_{args.with_op}.py")
    print(f"wrote {context['dist']} in {root}: model {context['model']}, task {context['task']}\n"
          f"next:  pip install -e '{root}[test]' && zoo plugins && pytest {root}\n"
          f"       (docs/plugin-authoring.md walks through training and publishing)")
    return 0


def add_command(sub) -> None:
    """Add ``new-plugin`` to the ``zoo`` subcommands."""
    p = sub.add_parser("new-plugin", help="Scaffold a working plugin (model, task, recipe, catalog, tests).",
                       description="Write the plugin zoo-NAME (pyproject with the zoo.plugins entry "
                                   "point, plugin.py, model, task, recipe, catalog.yaml, README, "
                                   "conformance test) into DIR; it passes its own tests at once.")
    p.add_argument("name", help="method name, lower case with hyphens (e.g. lenet): "
                                "distribution zoo-NAME, package zoo_NAME")
    p.add_argument("dir", nargs="?", help="where to write it (default ./zoo-NAME; must be new or empty)")
    p.add_argument("--with-op", metavar="OP", help="also write a fused op OP (a lowercase identifier, e.g. "
                                                    "fused_gate): PyTorch reference, Triton kernel, "
                                                    "autograd function, interpreter test, benchmark")
    p.set_defaults(fn=cmd_new_plugin)


__all__ = ["new_plugin", "context_for", "with_op", "add_command"]

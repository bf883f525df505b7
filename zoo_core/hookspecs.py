"""The pluggy hook specifications a Zoo plugin implements.

Hooks return data and ``"module:object"`` references, never imported classes, so that
discovering plugins never imports torch or model code. A plugin is a module (named by an
entry point in the ``zoo.plugins`` group) that defines some of these functions decorated
with ``zoo_core.hookimpl``::

    from zoo_core import hookimpl

    @hookimpl
    def zoo_core_requires():
        return ">=0.1,<0.2"

    @hookimpl
    def zoo_catalog():
        return {"mymodel-tiny-digits": {"builder": "my_pkg.models:Tiny",
                                        "config": {"width": 8},
                                        "task": "classification/digits"}}
"""

import pluggy

PROJECT = "zoo"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def zoo_core_requires() -> str:
    """A ``packaging`` specifier of the zoo-core versions this plugin supports, e.g. ``">=0.1,<0.2"``.

    A plugin whose specifier excludes the running core is reported as incompatible and
    not used.
    """


@hookspec
def zoo_catalog() -> dict:
    """Catalog entries: ``{model_name: entry}``, each entry shaped like one in registry.yaml.

    First-party plugins keep their entries in the project's registry.yaml instead; this hook
    is how third-party plugins add models. Returning
    ``zoo_core.catalog_files.package_catalog("my_pkg", "catalog.yaml")`` (a YAML file in the
    package) lets ``zoo eval --write`` and ``zoo publish --write`` update the entries.
    """


@hookspec
def zoo_tasks() -> dict:
    """Tasks: ``{task_name: "module:TaskClass"}`` (e.g. ``"object-discovery/tetrominoes"``)."""


@hookspec
def zoo_metrics() -> dict:
    """Metrics: ``{metric_name: "module:MetricClass"}``."""


@hookspec
def zoo_converters() -> dict:
    """Converters from official checkpoint formats: ``{converter_name: "module:function"}``.

    A converter takes a path to an official checkpoint and returns ``{component: state_dict}``.
    """


@hookspec
def zoo_recipes() -> dict:
    """Training recipes: ``{recipe_name: "module:function"}``; catalog entries name theirs."""


@hookspec
def zoo_datasets() -> dict:
    """Paper datasets read from a local copy: ``{name: "module:SPEC"}``, each a
    ``zoo_core.data.DatasetSpec`` (folder name, title, URL, the official layout's files).

    ``zoo data`` lists them (found under ``$ZOO_DATA`` or not, and where to get each); a task
    names the ones it reads in ``Task.datasets`` and finds the folder with
    ``zoo_core.data.dataset_root(SPEC)``. Nothing is ever downloaded.
    """


@hookspec
def zoo_figures() -> dict:
    """Report figures: ``{task_prefix: "module:function"}`` drawing figures for ``zoo bench``.

    The function is called as ``fn(model, task, out_dir: pathlib.Path, *, name: str)`` and returns
    a list of ``(title, png_path)`` (segmentation overlays, sample grids, roll-outs, RD curves...).
    A function that also takes ``limit`` gets ``zoo bench --limit`` (a reduced report, whose
    figures should be as cheap as its evaluation) and None for a full one.
    """


@hookspec
def zoo_cli_commands() -> dict:
    """Extra ``zoo`` subcommands: ``{command: "module:function"}``.

    The function is called with the command's ``argparse.ArgumentParser`` (its help text is the
    first line of the function's docstring): it adds the arguments and calls
    ``parser.set_defaults(fn=run)``, where ``run(args)`` returns an exit code and raises
    ``ZooError`` for bad input (printed as one line). The module is imported only when
    ``zoo`` is asked for that command or for the command list, so it must import no torch at
    module level. A name the core already uses, or that two plugins give, is refused (``zoo
    plugins`` shows why).
    """

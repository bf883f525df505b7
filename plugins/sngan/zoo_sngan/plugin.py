"""Zoo hook implementations of zoo-sngan (data and ``module:object`` strings only; no torch)."""

from zoo_core import hookimpl


@hookimpl
def zoo_core_requires():
    return ">=0.1,<0.2"


@hookimpl
def zoo_converters():
    return {"sngan-official": "zoo_sngan.convert:from_official"}


@hookimpl
def zoo_recipes():
    return {"sngan": "zoo_sngan.recipes:sngan_recipe"}


@hookimpl
def zoo_tasks():
    return {"generation/digits32": "zoo_sngan.task:DigitsGeneration"}


@hookimpl
def zoo_figures():
    return {"generation/digits32": "zoo_sngan.figures:sample_grids"}

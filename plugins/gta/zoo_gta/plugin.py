"""Hook implementations of zoo-gta: data and "module:object" strings only.

`zoo list` imports this module for every installed plugin, so it must not import torch or
model code.
"""

from zoo_core import hookimpl
from zoo_core.catalog_files import package_catalog


@hookimpl
def zoo_core_requires():
    """The zoo-core versions this plugin supports (a packaging specifier)."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_catalog():
    """The catalog: catalog.yaml in this package (`zoo eval/publish --write` update it)."""
    return package_catalog("zoo_gta", "catalog.yaml")


@hookimpl
def zoo_tasks():
    """Task name -> the class that generates its data and evaluates a model on it."""
    return {"classification/gta-quadrants": "zoo_gta.task:Quadrants",
            "classification/shifted-digits": "zoo_gta.tasks_2d:ShiftedDigitsTask"}


@hookimpl
def zoo_recipes():
    """Recipe name (the catalog's train.recipe) -> the function `zoo train` calls."""
    return {"gta-classifier": "zoo_gta.recipes:classifier",
            "gta2d-vit-classifier": "zoo_gta.recipes_2d:vit_classifier"}


@hookimpl
def zoo_converters():
    """Official checkpoints -> our state dicts (DiT branch: the train.py dict, its `ema`)."""
    return {"gta-dit-official": "zoo_gta.convert_dit:from_official"}


@hookimpl
def zoo_figures():
    """Report figures for `zoo bench`."""
    return {"classification/shifted-digits": "zoo_gta.figures_2d:draw"}

"""Hook implementations of zoo-contrastive: data and "module:object" strings only.

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
    return package_catalog("zoo_contrastive", "catalog.yaml")


@hookimpl
def zoo_tasks():
    """Task name -> the class that generates its data and evaluates a model on it."""
    return {"classification/contrastive-quadrants": "zoo_contrastive.task:Quadrants",
            "representation-learning/digits-canvas": "zoo_contrastive.tasks_tac:DigitsCanvasTask"}


@hookimpl
def zoo_recipes():
    """Recipe name (the catalog's train.recipe) -> the function `zoo train` calls."""
    return {"contrastive-classifier": "zoo_contrastive.recipes:classifier",
            "tac-infomax": "zoo_contrastive.recipes_tac:infomax"}


@hookimpl
def zoo_figures():
    """Report figures for `zoo bench`: where the crops of the channel land."""
    return {"representation-learning/digits-canvas": "zoo_contrastive.figures_tac:draw"}

"""Hook implementations of zoo-scbn: data and "module:object" strings only.

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
    return package_catalog("zoo_scbn", "catalog.yaml")


@hookimpl
def zoo_tasks():
    """Task name -> the class that generates its data and evaluates a model on it."""
    return {"classification/scbn-quadrants": "zoo_scbn.task:Quadrants"}


@hookimpl
def zoo_recipes():
    """Recipe name (the catalog's train.recipe) -> the function `zoo train` calls."""
    return {"scbn-classifier": "zoo_scbn.recipes:classifier"}

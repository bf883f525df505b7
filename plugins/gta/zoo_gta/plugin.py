"""Hook implementations of zoo-gta: data and "module:object" strings only.

`zoo list` imports this module for every installed plugin, so it must not import torch or
model code. The catalog entries of this first-party plugin live in the project's root
registry.yaml (families gta-srt, srt, repast; the 2-D entries), so there is no ``zoo_catalog`` hook.
"""

from zoo_core import hookimpl


@hookimpl
def zoo_core_requires():
    """The zoo-core versions this plugin supports (a packaging specifier)."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_tasks():
    """Novel-view synthesis (procedural multiview-scenes; the paper datasets from a local copy)
    and the 2-D position-generalisation task."""
    return {"novel-view-synthesis/multiview-scenes": "zoo_gta.tasks:MultiviewScenesTask",
            "novel-view-synthesis/clevr-tr": "zoo_gta.paper_tasks:ClevrTRTask",
            "novel-view-synthesis/msn-hard": "zoo_gta.paper_tasks:MSNHardTask",
            "classification/shifted-digits": "zoo_gta.tasks_2d:ShiftedDigitsTask"}


@hookimpl
def zoo_datasets():
    """The paper datasets, read from the user's local copy in the official layout."""
    return {"clevr-tr": "zoo_gta.paper_tasks:CLEVR_TR", "msn-hard": "zoo_gta.paper_tasks:MSN_HARD"}


@hookimpl
def zoo_recipes():
    """Recipe name (the catalog's train.recipe) -> the function `zoo train` calls."""
    return {"gta-nvs": "zoo_gta.recipes:nvs",
            "gta2d-vit-classifier": "zoo_gta.recipes_2d:vit_classifier"}


@hookimpl
def zoo_converters():
    """Official checkpoints -> our state dicts: main branch (``{"encoder", "decoder", ...}``)
    and the DiT branch (the train.py dict, its ``ema``)."""
    return {"gta-srt-official": "zoo_gta.convert:from_official",
            "gta-dit-official": "zoo_gta.convert_dit:from_official"}


@hookimpl
def zoo_figures():
    """Report figures for `zoo bench`."""
    return {"novel-view-synthesis/multiview-scenes": "zoo_gta.figures:draw",
            "classification/shifted-digits": "zoo_gta.figures_2d:draw"}

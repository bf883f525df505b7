"""Hook implementations of zoo-contrastive: data and "module:object" strings only.

`zoo list` imports this module for every installed plugin, so it must not import torch or
model code. The catalog entries of this first-party plugin live in the project's root
registry.yaml (section "contrastive (plugin zoo-contrastive)"), so there is no ``zoo_catalog`` hook.
"""

from zoo_core import hookimpl


@hookimpl
def zoo_core_requires():
    """The zoo-core versions this plugin supports (a packaging specifier)."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_tasks():
    """Task name -> the class that generates its data and evaluates a model on it."""
    return {"identifiability/latent-blocks": "zoo_contrastive.tasks_lasso:LatentBlocksTask",
            "identifiability/latent-blocks-linear": "zoo_contrastive.tasks_lasso:LatentBlocksLinearTask",
            "representation-learning/digits-canvas": "zoo_contrastive.tasks_tac:DigitsCanvasTask"}


@hookimpl
def zoo_recipes():
    """Recipe name (the catalog's train.recipe) -> the function `zoo train` calls."""
    return {"contrastive-latents": "zoo_contrastive.recipes_lasso:contrastive_latents",
            "tac-infomax": "zoo_contrastive.recipes_tac:infomax"}


@hookimpl
def zoo_figures():
    """Report figures for `zoo bench` (task prefix -> drawing function): R^2 matrices, where the crops land."""
    return {"identifiability/latent-blocks": "zoo_contrastive.figures_lasso:draw",
            "representation-learning/digits-canvas": "zoo_contrastive.figures_tac:draw"}

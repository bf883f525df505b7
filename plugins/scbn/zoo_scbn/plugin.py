"""Hook implementations of zoo-scbn: data and "module:object" strings only.

`zoo list` imports this module for every installed plugin, so it must not import torch or
model code. The catalog entries of this first-party plugin live in the project's root
registry.yaml (section "scbn"), so there is no ``zoo_catalog`` hook.
"""

from zoo_core import hookimpl


@hookimpl
def zoo_core_requires():
    """The zoo-core versions this plugin supports (a packaging specifier)."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_tasks():
    """Edit success and locality of sCBN; projection from an encoder vs random starts."""
    return {"editing/fontdigits32": "zoo_scbn.task:FontDigitsEditing",
            "projection/fontdigits32": "zoo_scbn.task_projection:FontDigitsProjection"}


@hookimpl
def zoo_recipes():
    """``collage-encoder``: the projection encoder, trained with a frozen conditional GAN."""
    return {"collage-encoder": "zoo_scbn.recipes:collage_encoder"}


@hookimpl
def zoo_figures():
    """Report figure for `zoo bench`: label collage, feature blend, projected-then-edited digit."""
    return {"editing/fontdigits32": "zoo_scbn.figures:draw"}


@hookimpl
def zoo_converters():
    """Official neural-collage encoder ``.npz`` -> ``CollageEncoder`` (G and D: zoo-sngan's)."""
    return {"collage-encoder-official": "zoo_scbn.convert:from_official"}

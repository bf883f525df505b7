"""Hook implementations of zoo-nmsc: data and "module:object" strings only.

`zoo list` imports this module for every installed plugin, so it must not import torch or
model code. The catalog entries live in the Zoo's registry.yaml (section "nmsc").
"""

from zoo_core import hookimpl


@hookimpl
def zoo_core_requires():
    """The zoo-core versions this plugin supports (a packaging specifier)."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_tasks():
    """Task name -> the class that provides its data and evaluates a model on it."""
    return {"compression/photos": "zoo_nmsc.tasks:HeldOutPhotos",
            "compression/kodak": "zoo_nmsc.tasks:Kodak"}


@hookimpl
def zoo_recipes():
    """Recipe name (the catalog's train.recipe) -> the function `zoo train` calls."""
    return {"nmsc": "zoo_nmsc.recipes:nmsc"}


@hookimpl
def zoo_datasets():
    """Paper datasets read from a local copy (`zoo data`)."""
    return {"kodak": "zoo_nmsc.tasks:KODAK"}


@hookimpl
def zoo_figures():
    """Figures for `zoo bench`: held-out photos beside their decoded files."""
    # its own task names, not the prefix "compression/": zoo bench calls every plugin's figures
    # whose prefix covers a model's task, and zoo-nft has compression/time-warped-signals
    return {t: "zoo_nmsc.figures:reconstructions" for t in ("compression/photos", "compression/kodak")}


@hookimpl
def zoo_cli_commands():
    """`zoo compress NAME IMAGE -o FILE` and `zoo decompress FILE -o IMAGE`."""
    return {"compress": "zoo_nmsc.cli:add_compress", "decompress": "zoo_nmsc.cli:add_decompress"}


@hookimpl
def zoo_converters():
    """Official nms-comp ``model_all`` (Chainer ``.npz``) -> analyzer, synthesizer, context model."""
    return {"nmsc-official": "zoo_nmsc.convert:from_official"}

"""Hook implementations of zoo-nft: data and "module:object" strings only.

`zoo list` imports this module for every installed plugin, so it must not import torch or
model code.
"""

from zoo_core import hookimpl
from zoo_core.catalog_files import package_catalog

# image g-NFT and its baselines (nft-image)
_TASKS_IMAGE = {
    "representation/rotated-digits": "zoo_nft.rotdigits:RotatedDigitsTask",
    "representation/rotated-mnist": "zoo_nft.paper_tasks:RotatedMNISTTask",
    "representation/rotated-mnist-occluded": "zoo_nft.paper_tasks:OccludedRotatedMNISTTask",
    "novel-view-synthesis/modelnet10-so3": "zoo_nft.paper_tasks:ModelNet10SO3Task",
    "novel-view-synthesis/complex-brdfs": "zoo_nft.paper_tasks:ComplexBRDFsTask",
    "novel-view-synthesis/abo-material": "zoo_nft.paper_tasks:ABOMaterialTask",
}
_DATASETS_IMAGE = {name: f"zoo_nft.paper_tasks:{spec}" for name, spec in (
    ("fashion-mnist", "FASHION_MNIST"), ("kmnist", "KMNIST"), ("modelnet10-so3", "MODELNET10_SO3"),
    ("complex-brdfs", "COMPLEX_BRDFS"), ("abo-material", "ABO_MATERIAL"))}


@hookimpl
def zoo_core_requires():
    """The zoo-core versions this plugin supports (a packaging specifier)."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_catalog():
    """The catalog: catalog.yaml in this package (`zoo eval/publish --write` update it)."""
    return package_catalog("zoo_nft", "catalog.yaml")


@hookimpl
def zoo_tasks():
    """Task name -> the class that generates its data and evaluates a model on it."""
    return {"classification/nft-quadrants": "zoo_nft.task:Quadrants", **_TASKS_IMAGE}


@hookimpl
def zoo_datasets():
    """The paper datasets of the image experiments, read from the user's local copy (MNIST is zoo-msp's)."""
    return {**_DATASETS_IMAGE}


@hookimpl
def zoo_recipes():
    """Recipe name (the catalog's train.recipe) -> the function `zoo train` calls."""
    return {"nft-classifier": "zoo_nft.recipes:classifier", "nft-image": "zoo_nft.recipes_image:image"}


@hookimpl
def zoo_converters():
    """Official checkpoints -> our state dicts: the image experiments' Lightning ``.ckpt``."""
    return {"nft-image-lightning": "zoo_nft.convert_image:from_official"}


@hookimpl
def zoo_figures():
    """Report figures for `zoo bench`: predicted rotated views beside the truth."""
    return {"representation/rotated-digits": "zoo_nft.figures_image:draw"}

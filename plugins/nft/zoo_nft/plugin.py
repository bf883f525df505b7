"""Hook implementations of zoo-nft: data and "module:object" strings only.

`zoo list` imports this module for every installed plugin, so it must not import torch or
model code. The catalog entries of this first-party plugin live in the project's root
registry.yaml (``plugin: zoo-nft``), so there is no ``zoo_catalog`` hook.
"""

from zoo_core import hookimpl

# 1-D U-NFT / G-NFT / g-NFT (nft-1d)
_TASKS_1D = {
    **{f"sequence-prediction/time-warped-signals-f{s}": f"zoo_nft.tasks_1d:TimeWarpF{s}Task" for s in (1, 2, 3)},
    "compression/time-warped-signals": "zoo_nft.tasks_1d:CompressionTask",
}

# U-NFT ViT on fisheye-deformed shifting CIFAR-100 (nft-fisheye)
_TASKS_FISHEYE = {"sequence-prediction/fisheye-cifar100": "zoo_nft.fisheye_task:FisheyeCIFAR100Task"}

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
def zoo_tasks():
    """Task name -> the class that generates its data and evaluates a model on it."""
    return {**_TASKS_1D, **_TASKS_FISHEYE, **_TASKS_IMAGE}


@hookimpl
def zoo_datasets():
    """The paper datasets of the fisheye and image experiments, read from the user's local copy (MNIST is zoo-msp's)."""
    return {"cifar100": "zoo_nft.fisheye_task:CIFAR100", **_DATASETS_IMAGE}


@hookimpl
def zoo_recipes():
    """Recipe name (the catalog's train.recipe) -> the function `zoo train` calls."""
    return {"nft-seqmodel": "zoo_nft.recipes_1d:seqmodel", "nft-image": "zoo_nft.recipes_image:image"}


@hookimpl
def zoo_converters():
    """Official checkpoints -> our state dicts: pfn-extras ``snapshot_model_iter_N`` (1-D, compression, fisheye)
    and the image experiments' Lightning ``.ckpt``."""
    return {"nft-official": "zoo_nft.convert:from_official", "nft-image-lightning": "zoo_nft.convert_image:from_official"}


@hookimpl
def zoo_figures():
    """Report figures for `zoo bench`: character spectra and roll-outs (1-D), NFT vs DFT (compression),
    predicted rotated views beside the truth (image g-NFT)."""
    return {**{t: "zoo_nft.figures_1d:draw_timewarp" for t in _TASKS_1D if t.startswith("sequence-")},
            "compression/time-warped-signals": "zoo_nft.figures_1d:draw_compression",
            "representation/rotated-digits": "zoo_nft.figures_image:draw"}

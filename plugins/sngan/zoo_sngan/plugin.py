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
    paper = {f"generation/{name}": f"zoo_sngan.paper_task:{cls}" for name, cls in (
        ("cifar10", "Cifar10Generation"), ("stl10", "Stl10Generation"),
        ("imagenet128", "ImageNet128Generation"), ("imagenet64", "ImageNet64Generation"),
        ("dogcat64", "DogCat64Generation"), ("dogcat128", "DogCat128Generation"),
        ("dogcat256", "DogCat256Generation"))}
    return {"generation/digits32": "zoo_sngan.task:DigitsGeneration",
            "generation/fontdigits32": "zoo_sngan.task:FontDigitsGeneration", **paper}


@hookimpl
def zoo_datasets():
    return {"cifar10": "zoo_core.data:CIFAR10",  # shared with zoo-akorn
            **{name: f"zoo_sngan.datasets:{name.upper()}" for name in ("stl10", "imagenet", "inception")}}


@hookimpl
def zoo_figures():
    return {"generation/digits32": "zoo_sngan.figures:sample_grids",
            "generation/fontdigits32": "zoo_sngan.figures:sample_grids"}

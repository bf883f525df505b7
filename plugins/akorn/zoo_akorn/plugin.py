"""Hook implementations of the zoo-akorn plugin (data and "module:object" strings only; no torch)."""

from zoo_core import hookimpl


@hookimpl
def zoo_core_requires():
    """zoo-core versions this plugin supports."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_converters():
    """Official AKOrN checkpoints (``{"epoch", "model_state_dict"}``, EMA or raw) -> Zoo state dicts."""
    return {"akorn-official": "zoo_akorn.convert:from_official"}


@hookimpl
def zoo_tasks():
    """Object discovery on regenerated scenes and on the paper datasets (a local copy); Sudoku on
    generated puzzles and on SAT-Net / RRN boards (local copy); CIFAR-10 classification (local copy)."""
    paper = "zoo_akorn.tasks.object_discovery_paper"
    return {
        "object-discovery/tetrominoes-style": "zoo_akorn.tasks.object_discovery:ObjectDiscoveryTetrominoes",
        "object-discovery/dsprites-style": "zoo_akorn.tasks.object_discovery:ObjectDiscoveryDSprites",
        "object-discovery/clevr-style": "zoo_akorn.tasks.object_discovery:ObjectDiscoveryClevrStyle",
        "object-discovery/clevrtex-style": "zoo_akorn.tasks.object_discovery:ObjectDiscoveryClevrTexStyle",
        "object-discovery/clevrtex": f"{paper}:ObjectDiscoveryCLEVRTex",
        "object-discovery/clevr": f"{paper}:ObjectDiscoveryCLEVR",
        "object-discovery/tetrominoes": f"{paper}:ObjectDiscoveryTetrominoesPaper",
        "object-discovery/dsprites": f"{paper}:ObjectDiscoveryDSpritesPaper",
        "sudoku/generated": "zoo_akorn.tasks.sudoku:SudokuGenerated",
        "sudoku/satnet": "zoo_akorn.tasks.sudoku:SudokuSATNet",
        "classification/cifar10": "zoo_akorn.tasks.classification:ClassificationCIFAR10",
    }


@hookimpl
def zoo_datasets():
    """The paper datasets read from a local copy (``--data`` / ``$ZOO_DATA``): the object-discovery
    sets in the layout the official code reads (zoo_akorn.datasets), Sudoku and CIFAR-10."""
    objects = {name: f"zoo_akorn.datasets:{name.upper()}" for name in ("clevrtex", "clevr", "tetrominoes", "dsprites")}
    return {
        **objects,
        "sudoku-satnet": "zoo_akorn.data.sudoku_files:SATNET",
        "sudoku-rrn": "zoo_akorn.data.sudoku_files:RRN",
        "cifar10": "zoo_core.data:CIFAR10",  # shared with zoo-sngan
    }


@hookimpl
def zoo_metrics():
    """Foreground ARI and mean best overlap (official object-discovery metrics)."""
    return {"fg-ari": "zoo_akorn.metrics:FGARI", "mbo": "zoo_akorn.metrics:MBO"}


@hookimpl
def zoo_recipes():
    """``zoo train`` recipes: SimCLR for object discovery (AKOrN and ItrSA), cross-entropy for Sudoku."""
    return {"akorn-simclr": "zoo_akorn.recipes:object_discovery", "akorn-sudoku": "zoo_akorn.recipes:sudoku",
            "akorn-classification": "zoo_akorn.recipes:classification"}


@hookimpl
def zoo_figures():
    """``zoo bench`` figures: cluster overlays on scenes; Sudoku board accuracy against T and K."""
    return {"object-discovery/tetrominoes-style": "zoo_akorn.figures:cluster_overlays",
            "object-discovery/clevr-style": "zoo_akorn.figures:cluster_overlays",
            "object-discovery/clevrtex-style": "zoo_akorn.figures:cluster_overlays",
            "sudoku/generated": "zoo_akorn.figures:sudoku_accuracy"}

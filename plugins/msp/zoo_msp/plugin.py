"""Hook implementations of the zoo-msp plugin (data and ``module:object`` strings only).

The catalog entries of this first-party plugin live in the project's root registry.yaml
(each with its ``train`` settings), so there is no ``zoo_catalog`` hook.
"""

from zoo_core import hookimpl


@hookimpl
def zoo_core_requires():
    """Core versions this plugin supports."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_tasks():
    """Sequence prediction: procedural sequential digits, and the paper's datasets (local copy)."""
    return {
        "sequence-prediction/sequential-digits": "zoo_msp.tasks:SequentialDigitsTask",
        "sequence-prediction/sequential-digits-accl": "zoo_msp.tasks:AcceleratedSequentialDigitsTask",
        **{f"sequence-prediction/{name}": f"zoo_msp.paper_tasks:{cls}" for name, cls in _PAPER_TASKS.items()},
    }


_PAPER_TASKS = {"sequential-mnist": "SequentialMNISTTask", "sequential-mnist-bg": "SequentialMNISTBgTask",
                "sequential-mnist-bg-full": "SequentialMNISTBgFullTask",
                "sequential-mnist-accl": "SequentialMNISTAcclTask", "3dshapes": "ThreeDShapesTask",
                "smallnorb": "SmallNORBTask"}


@hookimpl
def zoo_datasets():
    """The paper's datasets, read from the user's local copy in the official MSP layout."""
    return {"mnist": "zoo_msp.datasets:MNIST", "mnist-bg": "zoo_msp.datasets:MNIST_BG",
            "3dshapes": "zoo_msp.datasets:SHAPES3D", "smallnorb": "zoo_msp.datasets:SMALLNORB"}


@hookimpl
def zoo_metrics():
    """Prediction error per step, equivariance error and block structure of M*."""
    return {
        "msp-prediction-error": "zoo_msp.metrics:PredictionError",
        "msp-equivariance-error": "zoo_msp.metrics:EquivarianceError",
        "msp-block-structure": "zoo_msp.metrics:BlockStructure",
    }


@hookimpl
def zoo_converters():
    """Official pytorch-pfn-extras model snapshots (``snapshot_model_iter_N``) -> our keys."""
    return {"msp-official": "zoo_msp.convert:from_official"}


@hookimpl
def zoo_recipes():
    """Training recipes for ``zoo train`` (official loop_seqmodel / loop_simclr)."""
    return {
        "msp-seqmodel": "zoo_msp.recipes:seqmodel",
        "msp-simclr": "zoo_msp.recipes:simclr",
    }


@hookimpl
def zoo_figures():
    """Report figures: predicted vs true roll-outs and block-diagonalised transitions."""
    tasks = ["sequential-digits", "sequential-digits-accl", *_PAPER_TASKS]
    return {f"sequence-prediction/{name}": "zoo_msp.figures:draw" for name in tasks}

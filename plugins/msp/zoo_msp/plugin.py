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
    """Sequence-prediction tasks on procedurally generated sequential digits."""
    return {
        "sequence-prediction/sequential-digits": "zoo_msp.tasks:SequentialDigitsTask",
        "sequence-prediction/sequential-digits-accl": "zoo_msp.tasks:AcceleratedSequentialDigitsTask",
    }


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
    return {
        "sequence-prediction/sequential-digits": "zoo_msp.figures:draw",
        "sequence-prediction/sequential-digits-accl": "zoo_msp.figures:draw",
    }

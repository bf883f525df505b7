"""Hook implementations of zoo-ssdrl: data and "module:object" strings only.

`zoo list` imports this module for every installed plugin, so it must not import torch or
model code. The catalog entries of this first-party plugin live in the project's root
registry.yaml (section "ssdrl"), so there is no ``zoo_catalog`` hook.
"""

from zoo_core import hookimpl

_TASKS = {"digits": "DigitsTask", "two-moons": "MoonsTask", "mnist": "MNISTTask", "svhn": "SVHNTask",
          "cifar10-zca": "CIFAR10Task"}


@hookimpl
def zoo_core_requires():
    """The zoo-core versions this plugin supports (a packaging specifier)."""
    return ">=0.1,<0.2"


@hookimpl
def zoo_tasks():
    """Robust classification: clean, WRM-gamma and L2-PGM-eps metrics on held-out data."""
    return {f"robust-classification/{name}": f"zoo_ssdrl.tasks:{cls}" for name, cls in _TASKS.items()}


@hookimpl
def zoo_datasets():
    """The paper datasets, read from the user's local copy (MNIST's spec is zoo-msp's)."""
    return {"mnist": "zoo_msp.datasets:MNIST", "svhn": "zoo_ssdrl.datasets:SVHN",
            "cifar10": "zoo_core.data:CIFAR10", "cifar10-zca": "zoo_ssdrl.datasets:CIFAR10_ZCA"}


@hookimpl
def zoo_recipes():
    """Every training method of the official Updater (mle, drl, ssdrl, pl, at, vat)."""
    return {"ssdrl": "zoo_ssdrl.recipes:ssdrl"}


@hookimpl
def zoo_converters():
    """Official Chainer ``.npz`` snapshots (``MNISTClassifier_50000.npz``, ...) -> state dicts."""
    return {"ssdrl-official": "zoo_ssdrl.convert:from_official"}


@hookimpl
def zoo_figures():
    """Robustness curves (WRM and PGM) for every task; decision boundaries for two-moons."""
    return {f"robust-classification/{name}": "zoo_ssdrl.figures:draw" for name in _TASKS}

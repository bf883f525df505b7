"""Hook implementations only: data and "module:object" references, no torch import."""

from zoo_core import hookimpl

CITATION = """@misc{zoo-example,
  title = {Zoo example plugin: an MLP on scikit-learn digits},
  note  = {Example for the Zoo plugin-authoring guide}
}"""


@hookimpl
def zoo_core_requires():
    return ">=0.1,<0.2"


@hookimpl
def zoo_catalog():
    common = {
        "builder": "zoo_example.model:DigitsMLP",
        "task": "classification/digits",
        "train": {"recipe": "digits-classifier", "steps": 400, "batch_size": 256, "lr": 0.01},
        "provenance": {"license": "MIT", "paper": "none (example model)", "citation": CITATION,
                       "data": "scikit-learn digits (8x8, 1,797 images)"},
    }
    return {
        "example-mlp-digits": {
            **common,
            "config": {"hidden": 32},
            "description": "Two-layer MLP digits classifier (example plugin, released by zoo_example.release)",
            "weights": {
                "repo": "zoo-examples/example-mlp-digits",
                "revision": WEIGHTS["revision"],
                "files": WEIGHTS["files"],
            },
            "results": WEIGHTS["results"],
            "aliases": ["example-digits"],
        },
        "example-mlp-wide-digits": {**common, "config": {"hidden": 256},
                                    "description": "Wider MLP, architecture only"},
    }


@hookimpl
def zoo_tasks():
    return {"classification/digits": "zoo_example.task:DigitsClassification"}


@hookimpl
def zoo_recipes():
    return {"digits-classifier": "zoo_example.recipes:digits_classifier"}


@hookimpl
def zoo_figures():
    return {"classification/digits": "zoo_example.figures:predictions"}


def _published() -> dict:
    """weights.json: revision, sha256 and results, written by `python -m zoo_example.release`."""
    import json
    from pathlib import Path

    return json.loads((Path(__file__).with_name("weights.json")).read_text())


WEIGHTS = _published()

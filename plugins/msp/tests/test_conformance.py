"""The core's conformance kit over every zoo-msp entry (published weights served from hub/).

The paper configurations (43-101 M parameters) are built at a small width here: the kit checks
construction, a forward pass and the save/load round trip, which do not depend on the width.
The released ``*-digits`` models run at their real size and load through a fake Hub. Their full
evaluation (256 test sequences, SBD) takes about a minute each on one CPU thread, too long
for this suite: ``zoo eval NAME`` reproduces their registry results exactly (the task pins
one thread), and ``test_recipes``/``test_metrics_tasks`` test the evaluation code itself.
"""

import zoo
from zoo_core.testing.conformance import conformance_suite


def _small(name: str) -> dict:
    builder = zoo.entry(name).builder.rsplit(":", 1)[1]
    if builder == "CPC":
        return {"k": 0.25, "dim_a": 16}
    if builder == "SimCLR":
        return {"k": 0.25, "dim_mlp": 16, "dim_head": 8}
    return {"k": 0.25, "dim_m": 4}


OVERRIDES = {name: _small(name) for name in zoo.list_models(plugin="zoo-msp", include_unavailable=True)
             if not name.endswith(("-digits", "-digits-accl"))}

RELEASED = tuple(n for n in zoo.list_models(plugin="zoo-msp", pretrained=True) if n != "msp-digits")

TestConformance = conformance_suite("zoo-msp", overrides=OVERRIDES, skip_results=RELEASED)

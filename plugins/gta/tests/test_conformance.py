"""The core's conformance kit over this plugin's models.

The paper-size entries (14.7M-42.5M parameters) are built with 1 encoder and 1 decoder block
and a narrow conv stem and render MLP (their attention widths, heads and GTA layouts stay as
configured); test_nvs.py checks the full-size state dicts against the official layout.
Published weights are read from hub/ beside the registry (where `zoo publish --local hub` puts them).
"""

import copy

import zoo
from zoo_core.testing.conformance import conformance_suite


def _small(name: str) -> dict:
    cfg = copy.deepcopy(zoo.entry(name).config)
    cfg["encoder_kwargs"].update(dim=64, num_att_blocks=1)
    cfg["decoder_kwargs"].update(num_att_blocks=1, rmlp_dim=64)
    return {"encoder_kwargs": cfg["encoder_kwargs"], "decoder_kwargs": cfg["decoder_kwargs"]}


BIG = [n for n in zoo.list_models(plugin="zoo-gta", include_unavailable=True) if not n.endswith("multiview-scenes")]

TestConformance = conformance_suite("zoo-gta", overrides={n: _small(n) for n in BIG})

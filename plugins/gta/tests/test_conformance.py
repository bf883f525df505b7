"""The core's conformance kit over this plugin's models.

The paper-size NVS entries (14.7M-42.5M parameters) are built with 1 encoder and 1 decoder block
and a narrow conv stem and render MLP (their attention widths, heads and GTA layouts stay as
configured); test_nvs.py checks the full-size state dicts against the official layout. The
architecture-only DiT-B/2 entries are built small. Published weights are read from the
repository's hub/ (where `zoo publish --local hub` puts them), served by a fake Hub on loopback.
"""

import copy

import zoo
from zoo_core.testing.conformance import conformance_suite


def _small_nvs(name: str) -> dict:
    cfg = copy.deepcopy(zoo.entry(name).config)
    cfg["encoder_kwargs"].update(dim=64, num_att_blocks=1)
    cfg["decoder_kwargs"].update(num_att_blocks=1, rmlp_dim=64)
    return {"encoder_kwargs": cfg["encoder_kwargs"], "decoder_kwargs": cfg["decoder_kwargs"]}


_DIT_SMALL = {"hidden_size": 64, "depth": 2, "num_heads": 2, "input_size": 8}
_NVS_BIG = [n for n in zoo.list_models(plugin="zoo-gta", include_unavailable=True)
            if zoo.entry(n).builder.endswith(":TransformingSRT") and not n.endswith("multiview-scenes")]
OVERRIDES = {**{n: _small_nvs(n) for n in _NVS_BIG},
             **{n: _DIT_SMALL for n in ("gta-dit-b2-imagenet256", "rope-dit-b2-imagenet256")}}

TestConformance = conformance_suite("zoo-gta", overrides=OVERRIDES)

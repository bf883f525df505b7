"""The core's conformance kit over this plugin's models.

Published weights are read from the repository's hub/ (where `zoo publish --local hub` puts
them), served by a fake Hub on loopback. Architecture-only DiT-B/2 entries are built small.
"""

from zoo_core.testing.conformance import conformance_suite

_DIT_SMALL = {"hidden_size": 64, "depth": 2, "num_heads": 2, "input_size": 8}
OVERRIDES = {name: _DIT_SMALL for name in ("gta-dit-b2-imagenet256", "rope-dit-b2-imagenet256")}

TestConformance = conformance_suite("zoo-gta", overrides=OVERRIDES)

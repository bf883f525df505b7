"""The core's conformance kit over this plugin's models.

The conv-large entries (SVHN, CIFAR-10; 3.1M parameters at width 128) are built at width 16;
test_models.py checks the full-width parameter counts. Published weights are read from the
repository's hub/ (where `zoo publish --local hub` puts them), served by a fake Hub on loopback.
"""

import zoo
from zoo_core.testing.conformance import conformance_suite

OVERRIDES = {n: {"ch": 16} for n in zoo.list_models(plugin="zoo-ssdrl", include_unavailable=True)
             if zoo.entry(n).builder.endswith(":ConvLarge")}

TestConformance = conformance_suite("zoo-ssdrl", overrides=OVERRIDES)

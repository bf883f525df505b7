"""The core's conformance kit over this plugin's models.

Published weights are read from hub/ beside this folder (where `zoo publish --local hub`
puts them), served by a fake Hub on loopback.
"""

from pathlib import Path

from zoo_core.testing.conformance import conformance_suite

HUB = Path(__file__).resolve().parents[1] / "hub"

TestConformance = conformance_suite("zoo-scbn", hub_dir=HUB)

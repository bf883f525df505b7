"""The core's conformance kit over this plugin's models.

Published weights are read from the repository's hub/ (where `zoo publish --local hub`
puts them), served by a fake Hub on loopback; their results are re-evaluated through it.
"""

from zoo_core.testing.conformance import conformance_suite

TestConformance = conformance_suite("zoo-nmsc")

"""The core's conformance kit over this plugin's models (weights served from the repo's hub/)."""

from zoo_core.testing.conformance import conformance_suite

TestConformance = conformance_suite("zoo-example-plugin")

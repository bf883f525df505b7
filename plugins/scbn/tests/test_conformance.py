"""The core's conformance kit over this plugin's models.

Published weights are read from the project's hub/ (where `zoo publish --local hub` puts them),
served by a fake Hub on loopback; the encoder's task loads the GAN it maps into, served beside it.
"""

from zoo_core.testing.conformance import conformance_suite

TestConformance = conformance_suite(
    "zoo-scbn", companions={"collage-encoder-fontdigits32": ("sngan-projection-fontdigits32",)})

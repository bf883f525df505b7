"""The examples in the public docstrings run."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["zoo_msp.transition", "zoo_msp.models.seqae", "zoo_msp.data",
                                    "zoo_msp.ops.lstsq_transition"])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

"""logits_to_freqs: the Triton kernel equals the reference (integers: equality) under
TRITON_INTERPRET=1 in a subprocess; CPU tensors dispatch to the reference; bad inputs."""

import pytest
import torch

from zoo_core.ops.testing import run_interpreted
from zoo_nmsc.ops.logits_to_freqs import OP, logits_to_freqs
from zoo_nmsc.ops.logits_to_freqs.checks import CASES

CHECK = "zoo_nmsc.ops.logits_to_freqs.checks:check_all"


def test_kernel_equals_reference_under_interpreter():
    lines = str(run_interpreted(CHECK, timeout=900)[CHECK].detail).splitlines()
    assert sum(line.endswith("kernel == reference") for line in lines) == len(CASES)


def test_cpu_tensors_run_the_reference_and_bad_inputs_are_refused():
    assert OP.choose(torch.randn(3, 5)) == "reference"
    with pytest.raises(TypeError, match="floating-point"):
        logits_to_freqs(torch.ones(3, 5, dtype=torch.int64))
    with pytest.raises(ValueError, match="2 <= q"):
        logits_to_freqs(torch.randn(3, 1))


def test_reference_follows_its_stated_algorithm():
    # grid [0, 16, -480] -> drops [16, 0, 176] -> w [12055, 32768, 1], sum 44824;
    # f = 1 + w * 65533 // 44824 = [17625, 47908, 2] (sum 65535), remainder 1 to the maximum
    # equal logits: 1 + 32768 * 65533 // 98304 = 21845 each, remainder 1 to the first
    f = logits_to_freqs(torch.tensor([[0.0, 1.0, -30.0], [2.0, 2.0, 2.0]]))
    assert f.tolist() == [[17625, 47909, 2], [21846, 21845, 21845]]

"""The sCBN op: reference semantics, equality with zoo-sngan's CBN layer on per-pixel maps,
dispatch, and the Triton kernels vs the reference under TRITON_INTERPRET=1 (subprocess)."""

import pytest
import torch

from zoo_core.ops.testing import check_dispatch, run_interpreted

from zoo_scbn.ops import spatial_conditional_batch_norm
from zoo_scbn.ops.spatial_conditional_batch_norm import OP
from zoo_sngan.layers import CategoricalConditionalBatchNorm2d

CHECKS = "zoo_scbn.ops.spatial_conditional_batch_norm.checks"


@pytest.mark.parametrize("training", [True, False])
def test_reference_equals_the_cbn_layer_with_per_pixel_maps(training):
    torch.manual_seed(0)
    bn = CategoricalConditionalBatchNorm2d(3, n_classes=5).train(training)
    with torch.no_grad():
        bn.gammas.normal_(), bn.betas.normal_(), bn.running_mean.normal_()
    x, w = torch.randn(2, 3, 4, 6), torch.rand(2, 5, 4, 6)
    rm, rv = bn.running_mean.clone(), bn.running_var.clone()
    want = bn(x, w)
    got = spatial_conditional_batch_norm(x, w, bn.gammas, bn.betas, rm, rv, training=training)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(rv, bn.running_var)


def test_one_hot_maps_equal_cbn_lookup():
    torch.manual_seed(1)
    bn = CategoricalConditionalBatchNorm2d(4, n_classes=6).eval()
    with torch.no_grad():
        bn.gammas.normal_(), bn.betas.normal_()
    x, y = torch.randn(3, 4, 5, 5), torch.tensor([0, 5, 2])
    w = torch.nn.functional.one_hot(y, 6).float()[:, :, None, None].expand(-1, -1, 5, 5)
    torch.testing.assert_close(spatial_conditional_batch_norm(x, w, bn.gammas, bn.betas, bn.running_mean,
                                                              bn.running_var, training=False), bn(x, y))


def test_bad_shapes():
    x = torch.zeros(2, 3, 4, 4)
    with pytest.raises(ValueError, match="class maps"):
        spatial_conditional_batch_norm(x, torch.zeros(2, 5, 2, 2), torch.ones(5, 3), torch.zeros(5, 3),
                                       None, None, training=True)
    with pytest.raises(ValueError, match=r"gammas and betas must both be \(K, C\) = \(5, 3\)"):
        spatial_conditional_batch_norm(x, torch.zeros(2, 5, 4, 4), torch.ones(5, 4), torch.zeros(5, 4),
                                       None, None, training=True)


def test_dispatch_rules():
    assert check_dispatch(OP) is not None


def test_triton_kernels_match_reference_under_interpreter():
    results = run_interpreted(f"{CHECKS}:check_spatial_conditional_batch_norm")
    lines = results[f"{CHECKS}:check_spatial_conditional_batch_norm"].detail.splitlines()
    assert sum(line.endswith("forward + grads match") for line in lines) == 6 * 2, lines

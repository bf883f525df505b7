"""The trainable augmentation channel (arXiv:2111.07679): data, crops, q_phi, InfoNCE, collapse measures, task.

No official code exists, so these check the properties the paper's construction states or
implies: crops are differentiable in their box (pathwise gradients to q_phi), q_phi is a
reparameterised Gaussian with the stated entropy, InfoNCE bounds the mutual information by
log B, the collapse measures take their known values at the extremes.
"""

import math

import pytest
import torch

from zoo_core.errors import ZooError
from zoo_contrastive.canvas import CanvasInputError, DigitsCanvas
from zoo_contrastive.collapse import alignment, effective_rank, uniformity
from zoo_contrastive.crops import crop, digit_coverage, uniform_boxes
from zoo_contrastive.tac import TACModel, info_nce


# --- data --------------------------------------------------------------------------------------

def test_canvas_is_seeded_and_places_the_digit_where_its_box_says():
    a, b = DigitsCanvas("test"), DigitsCanvas("test")
    xa, ya = a.tensors(50)
    assert torch.equal(xa, b.tensors(50)[0]) and torch.equal(ya, b.tensors(50)[1])
    assert not torch.equal(xa, DigitsCanvas("test", seed=7).tensors(50)[0])
    boxes = a.digit_boxes(50)
    for i in range(50):
        ink = xa[i, 0].nonzero()
        r, c = int(a.rows[i]), int(a.cols[i])
        assert ink[:, 0].min() >= r and ink[:, 0].max() < r + 16 and ink[:, 1].min() >= c and ink[:, 1].max() < c + 16
        # the box is the digit's square: cropping it at 16 px returns the 16x16 digit exactly
        assert torch.allclose(crop(xa[i:i + 1], boxes[i:i + 1], 16)[0, 0], a.digits[a.index[i]], atol=1e-5)
    assert xa.shape == (50, 1, 64, 64) and 0 <= xa.min() and xa.max() <= 1


def test_canvas_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        DigitsCanvas("val")
    with pytest.raises(ValueError, match="larger than the digit"):
        DigitsCanvas("train", canvas=16)


# --- crops -------------------------------------------------------------------------------------

def test_pixel_aligned_crop_is_the_sub_image_and_outside_is_blank():
    x = torch.rand(2, 1, 64, 64)
    boxes = torch.tensor([[-0.5, -0.5, 0.5], [0.5, 0.0, 0.5]])  # top-left quarter; right half, middle rows
    v = crop(x, boxes, 32)
    assert torch.allclose(v[0], x[0, :, :32, :32], atol=1e-5)
    assert torch.allclose(v[1], x[1, :, 16:48, 32:], atol=1e-5)
    out = crop(x[:1], torch.tensor([[1.5, 0.0, 0.5]]), 32)   # a crop entirely right of the canvas
    assert out.abs().max() == 0


def test_crop_gradient_reaches_the_box_where_the_crop_sees_ink():
    ds = DigitsCanvas("test")
    x, _ = ds.tensors(1)
    digit = ds.digit_boxes(1)
    box = (digit + torch.tensor([[0.2, 0.1, 0.1]])).requires_grad_(True)   # overlaps the digit's edge
    crop(x, box, 32).sum().backward()
    assert box.grad[0, :2].abs().sum() > 0
    far = torch.tensor([[-digit[0, 0].sign() * 0.8, -digit[0, 1].sign() * 0.8, 0.1]], requires_grad=True)
    if digit_coverage(far.detach(), digit) == 0:   # a crop over blank canvas only: no signal (why q_phi needs to see the canvas)
        crop(x, far, 32).sum().backward()
        assert far.grad.abs().sum() == 0


def test_uniform_boxes_stay_inside_the_canvas_within_the_scale_bounds():
    b = uniform_boxes(5000, (0.25, 0.5), generator=torch.Generator().manual_seed(0))
    s = b[:, 2]
    assert 0.25 <= s.min() and s.max() <= 0.5 and s.max() - s.min() > 0.2
    assert ((b[:, :2].abs() + s[:, None]) <= 1 + 1e-6).all()
    assert b[:, 0].min() < -0.6 and b[:, 0].max() > 0.6           # covers the canvas, not just the centre
    with pytest.raises(ValueError, match="scale"):
        uniform_boxes(3, (0.5, 0.25))


def test_digit_coverage_extremes():
    d = torch.tensor([[0.0, 0.0, 0.25]] * 3)
    boxes = torch.tensor([[0.0, 0.0, 0.5], [0.9, 0.9, 0.1], [0.25, 0.0, 0.25]])
    assert torch.allclose(digit_coverage(boxes, d), torch.tensor([1.0, 0.0, 0.5]))


# --- the channel and the objective -------------------------------------------------------------

def test_info_nce_matches_its_formula_and_bounds():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(16, 8, generator=g), torch.randn(16, 8, generator=g)
    n1, n2 = torch.nn.functional.normalize(z1, dim=1), torch.nn.functional.normalize(z2, dim=1)
    logits = n1 @ n2.T / 0.5
    manual = -0.5 * (logits.log_softmax(1).diag().mean() + logits.log_softmax(0).diag().mean())
    assert torch.allclose(info_nce(z1, z2, 0.5), manual, atol=1e-6)
    one = torch.ones(16, 8)
    assert torch.allclose(info_nce(one, one, 0.5), torch.tensor(math.log(16)), atol=1e-5)   # one point: no info
    eye = torch.eye(16)
    assert info_nce(eye, eye, 0.01) < 1e-6          # distinct, matched views: the bound log B is reached


def test_q_phi_is_reparameterised_with_its_stated_entropy_and_bounds():
    torch.manual_seed(0)
    m = TACModel(channel="learned", sigma_min=0.05, sigma_init=0.2, sigma_max=0.4)
    x = m.example_inputs(4)[0]
    boxes, entropy = m.sample_boxes(x, draws=3, generator=torch.Generator().manual_seed(1))
    mean, sigma = m.q(x)
    ref = torch.distributions.Normal(mean, sigma).entropy().sum(1)
    assert torch.allclose(entropy, ref, atol=1e-5)
    assert (0.05 <= sigma).all() and (sigma <= 0.4).all() and torch.allclose(sigma, torch.full_like(sigma, 0.2), atol=1e-4)
    assert (0.25 <= boxes[..., 2]).all() and (boxes[..., 2] <= 0.5).all()
    # pathwise gradients: the InfoNCE reaches q_phi's heat map and its sigma head through the crops
    loss, logs = m.loss(x)
    loss.backward()
    assert m.q.heat.weight.grad.abs().sum() > 0 and m.q.head.bias.grad[1].abs() > 0
    assert set(logs) == {"infonce", "mi_bound", "side", "entropy"}


def test_entropy_term_pushes_sigma_up_and_the_fixed_channel_has_none():
    torch.manual_seed(0)
    x = TACModel().example_inputs(8)[0]
    grads = {}
    for beta in (0.0, 5.0):
        torch.manual_seed(0)
        m = TACModel(channel="learned", entropy_weight=beta)
        m.loss(x, generator=torch.Generator().manual_seed(0))[0].backward()
        grads[beta] = m.q.head.bias.grad[1:].clone()
    # d(-beta H)/d(raw sigma) is -beta * dlog(sigma)/draw per dimension: the difference is exactly that
    sig = m.q(x)[1]
    u = (sig - m.q.sigma_min) / (m.q.sigma_max - m.q.sigma_min)
    dlog = ((m.q.sigma_max - m.q.sigma_min) * u * (1 - u) / sig).mean(0)
    assert torch.allclose(grads[5.0] - grads[0.0], -5.0 * torch.stack([2 * dlog[0], dlog[2]]), atol=1e-5)
    f = TACModel(channel="fixed")
    assert f.q is None and f.sample_boxes(x)[1] is None and set(f.loss(x)[1]) == {"infonce", "mi_bound", "side"}


def test_forward_is_deterministic_and_bad_input_is_a_clear_error():
    m = TACModel(channel="fixed").eval()
    x = m.example_inputs(3)[0]
    assert torch.equal(m(x), m(x)) and m(x).shape == (3, 64)
    for bad in (torch.zeros(2, 64, 64), torch.zeros(2, 1, 32, 32), torch.zeros(0, 1, 64, 64),
                torch.zeros(2, 1, 64, 64, dtype=torch.long)):
        with pytest.raises(CanvasInputError, match=r"\[B") as e:
            m(bad)
        assert isinstance(e.value, ZooError)
    with pytest.raises(ValueError, match="channel"):
        TACModel(channel="random")


# --- collapse measures -------------------------------------------------------------------------

def test_collapse_measures_at_their_extremes():
    g = torch.Generator().manual_seed(0)
    iso = torch.randn(4000, 8, generator=g)
    assert 7.8 < effective_rank(iso) <= 8
    line = torch.randn(100, 1, generator=g) * torch.randn(1, 8, generator=g)
    assert abs(effective_rank(line) - 1) < 1e-4        # float32 rounding leaves tiny singular values
    assert effective_rank(torch.ones(10, 4)) == 1.0
    assert alignment(iso, iso) == 0 and abs(alignment(iso[:1], -iso[:1]) - 4) < 1e-9
    assert uniformity(torch.ones(10, 4)) == 0                      # one point: the maximum
    assert abs(uniformity(torch.tensor([[1.0, 0.0], [-1.0, 0.0]])) + 8) < 1e-9   # antipodes: log exp(-2 * 4)
    assert uniformity(iso) < uniformity(iso + 5)                    # spread beats clustered


# --- task and figures --------------------------------------------------------------------------

def test_task_metrics_are_reproducible_and_in_range(tmp_path):
    from zoo_contrastive.figures_tac import draw
    from zoo_contrastive.tasks_tac import DigitsCanvasTask

    torch.manual_seed(0)
    task, m = DigitsCanvasTask(), TACModel(channel="learned", eval_draws=2)
    a, b = task.evaluate(m, limit=40), task.evaluate(m, limit=40)
    assert a == b
    assert set(a) == {"probe_accuracy", "probe_accuracy_single_draw", "effective_rank", "alignment", "uniformity",
                      "digit_coverage"}
    assert 0 <= a["probe_accuracy"] <= 1 and 1 <= a["effective_rank"] <= 64 and 0 <= a["digit_coverage"] <= 1
    with pytest.raises(ValueError, match="limit"):
        task.evaluate(m, limit=5)
    figs = draw(m, task, tmp_path, name="test", limit=40)
    assert [p.name for _, p in figs] == ["crops.png", "views.png", "spectrum.png"] and all(p.stat().st_size > 0 for _, p in figs)

"""WRM, PGM and VAT attacks and the SSDRL losses: the official update rules, batching, BN statistics."""

import math

import pytest
import torch
import torch.nn.functional as F

from zoo_ssdrl.attacks import ball_pgm_step, batch_stats, official_pgm_step, pgm_l2_attack, square_cost, vat_attack, wrm_attack
from zoo_ssdrl.losses import candidate_labels, sswrm_loss, wrm_loss
from zoo_ssdrl.models import ConvLarge, MNISTClassifier


@pytest.fixture
def net():
    torch.manual_seed(0)
    return MNISTClassifier(ch=8, example_size=8).eval()


def _batch(n=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 8, 8, generator=g) * 2 - 1, torch.randint(0, 10, (n,), generator=g)


def test_wrm_steps_follow_the_official_rule(net):
    x, y = _batch()
    gamma, alpha = 0.5, 1.0
    expected = x.clone()
    for t in range(3):  # x <- clip(x + alpha / gamma / (t + 1) * grad phi)
        xe = expected.clone().requires_grad_(True)
        phi = F.cross_entropy(net(xe), y, reduction="sum") - gamma * 0.5 * ((xe - x) ** 2).sum()
        expected = (expected + alpha / gamma / (t + 1) * torch.autograd.grad(phi, xe)[0]).clamp(-1, 1)
    assert torch.allclose(wrm_attack(net, x, y, gamma=gamma, alpha=alpha, steps=3), expected, atol=1e-6)


def test_wrm_raises_the_surrogate_and_alpha_zero_is_no_attack(net):
    x, y = _batch()
    x_adv, phis = wrm_attack(net, x, y, gamma=2.0, steps=5, return_phis=True)
    final = F.cross_entropy(net(x_adv), y, reduction="sum") - 2.0 * square_cost(x_adv, x).sum()
    assert final > phis[0]
    assert torch.equal(wrm_attack(net, x, y, gamma=1.0, alpha=0.0, steps=1), x)
    assert x_adv.abs().max() <= 1.0
    with pytest.raises(ValueError, match="gamma must be > 0"):
        wrm_attack(net, x, y, gamma=0.0)


def test_pgm_projections(net):
    x, y = _batch()
    eps = 1.5
    ball = pgm_l2_attack(net, x, y, eps=eps, steps=5, step_size=1.0, clip=False)
    sphere = pgm_l2_attack(net, x, y, eps=eps, steps=2, projection="sphere", clip=False)
    assert ((ball - x).flatten(1).norm(dim=1) <= eps + 1e-5).all()
    assert torch.allclose((sphere - x).flatten(1).norm(dim=1), torch.full((6,), eps), atol=1e-4)
    small = pgm_l2_attack(net, x, y, eps=eps, steps=1, step_size=official_pgm_step(eps, 1), clip=False)
    assert torch.allclose((small - x).flatten(1).norm(dim=1), torch.full((6,), official_pgm_step(eps, 1)), atol=1e-4)


def test_pgm_default_step_reaches_the_ball_boundary(net):
    # the official step (0.027 eps per step at 15 steps) never leaves the inside of the ball; the
    # ball's default 2.5 eps / steps reaches the boundary, so the default attack is not weakened
    x, y = _batch()
    eps, steps = 1.5, 15
    default = pgm_l2_attack(net, x, y, eps=eps, steps=steps, clip=False)
    official = pgm_l2_attack(net, x, y, eps=eps, steps=steps, step_size=official_pgm_step(eps, steps), clip=False)
    assert ((default - x).flatten(1).norm(dim=1) > 0.99 * eps).all()
    assert ((official - x).flatten(1).norm(dim=1) < 0.5 * eps).all()
    assert ball_pgm_step(eps, steps) == pytest.approx(2.5 * eps / steps)
    assert F.cross_entropy(net(default), y) >= F.cross_entropy(net(official), y)
    assert official_pgm_step(10.0, 15) == pytest.approx(10 / (1 + math.log(15)) * 0.1)
    with pytest.raises(ValueError, match="projection must be one of"):
        pgm_l2_attack(net, x, y, eps=1.0, projection="cube")


def test_pgm_raises_the_loss(net):
    x, y = _batch(32)
    adv = pgm_l2_attack(net, x, y, eps=2.0, steps=10, step_size=0.5)
    assert F.cross_entropy(net(adv), y) > F.cross_entropy(net(x), y) + 0.01


def test_vat_attack_is_on_the_sphere(net):
    x, _ = _batch()
    adv = vat_attack(net, x, net(x), eps=0.5, clip=False, generator=torch.Generator().manual_seed(0))
    norm = (adv - x).flatten(1).norm(dim=1)  # eps * g / (|g| + 1e-6): a hair inside for VAT's tiny gradients
    assert (norm <= 0.5 + 1e-5).all() and (norm > 0.45).all()


def test_candidate_labels_sorted_by_logit():
    logits = torch.tensor([[0.1, 3.0, -1.0], [2.0, 0.0, 1.0]])
    assert candidate_labels(logits, -1.0).tolist() == [[1, 0], [0, 2], [2, 1]]
    assert candidate_labels(logits, 1.0, max_classes=1).tolist() == [[2, 1]]
    with pytest.raises(ValueError, match="max_classes"):
        candidate_labels(logits, -1.0, max_classes=4)


def test_batched_candidates_equal_the_official_loop(net):
    x, _ = _batch(5)
    a, (wa, ca, xa) = sswrm_loss(net, x, gamma=0.3, lamb=-1.0, return_parts=True)
    b, (wb, cb, xb) = sswrm_loss(net, x, gamma=0.3, lamb=-1.0, batched=False, return_parts=True)
    assert torch.allclose(a, b, atol=1e-6) and torch.allclose(xa, xb, atol=1e-6) and torch.allclose(wa, wb, atol=1e-6)
    assert wa.shape == (10, 5) and torch.allclose(wa.sum(0), torch.ones(5))
    ga = torch.autograd.grad(a, list(net.parameters()))
    gb = torch.autograd.grad(b, list(net.parameters()))
    assert all(torch.allclose(p, q, atol=1e-6) for p, q in zip(ga, gb))


def test_weights_are_softmax_of_lambda_phi(net):
    x, _ = _batch(4)
    _, (w, ce, xadv) = sswrm_loss(net, x, gamma=0.3, lamb=-2.0, max_classes=4, return_parts=True)
    phi = ce - 0.3 * torch.stack([square_cost(xadv[k], x) for k in range(4)])
    assert torch.allclose(w, torch.softmax(-2.0 * phi, 0), atol=1e-6)
    _, (w0, _, _) = sswrm_loss(net, x, gamma=0.3, lamb=0.0, max_classes=4, return_parts=True)
    assert torch.allclose(w0, torch.full_like(w0, 0.25))  # lambda = 0: plain mean over candidates


def test_fast_ssdrl_is_wrm_on_the_argmax_label(net):
    x, _ = _batch(6)
    with torch.no_grad():
        pseudo = net(x).argmax(1)
    fast = sswrm_loss(net, x, gamma=0.5, lamb=-1.0, max_classes=1)
    assert torch.allclose(fast, wrm_loss(net, x, pseudo, gamma=0.5), atol=1e-6)


def test_batch_stats_freezes_running_averages_and_groups_match_separate_passes():
    torch.manual_seed(0)
    m = ConvLarge(ch=4, bn_logits=True, dropout=0.0).train()
    x = torch.randn(6, 3, 32, 32)
    before = [b.running_mean.clone() for b in m.bns]
    with batch_stats(m, groups=2):
        both = m(torch.cat([x[:3], x[3:]]))
    with batch_stats(m):
        first, second = m(x[:3]), m(x[3:])
        whole = m(x)
    assert all(torch.equal(a, b.running_mean) for a, b in zip(before, m.bns))
    assert torch.allclose(both, torch.cat([first, second]), atol=1e-5)
    assert not torch.allclose(both, whole, atol=1e-3)
    m(x)  # outside the block the clean forward updates the averages again
    assert not torch.equal(before[0], m.bns[0].running_mean)
    assert "forward" not in m.bns[0].__dict__


def test_batched_candidates_with_bn_equal_the_loop():
    torch.manual_seed(0)
    m = ConvLarge(ch=4, bn_logits=True, dropout=0.0).train()
    x = torch.randn(4, 3, 32, 32).clamp(-1, 1)
    a = sswrm_loss(m, x, gamma=1.0, steps=2, max_classes=3)
    b = sswrm_loss(m, x, gamma=1.0, steps=2, max_classes=3, batched=False)
    assert torch.allclose(a, b, atol=1e-5)


def test_bad_attack_input(net):
    with pytest.raises(ValueError, match="labels must be a long tensor"):
        wrm_attack(net, torch.zeros(2, 1, 8, 8), torch.zeros(3, dtype=torch.long), gamma=1.0)
    with pytest.raises(ValueError, match="non-empty float batch"):
        pgm_l2_attack(net, torch.zeros(0, 1, 8, 8), torch.zeros(0, dtype=torch.long), eps=1.0)

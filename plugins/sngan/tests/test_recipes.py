"""The official update loop on a tiny model: order, learning-rate decay, determinism."""

import pytest
import torch

from zoo_sngan.data import digits32_tensors
from zoo_sngan.losses import dcgan_d_loss, hinge_d_loss, hinge_g_loss
from zoo_sngan.models import SNGAN
from zoo_sngan.recipes import linear_decay, train_sngan


def tiny(n_classes=10):
    torch.manual_seed(0)
    return SNGAN(n_classes=n_classes, generator={"channels": [8, 8, 8, 8]},
                 discriminator={"channels": [8, 8, 8, 8], "downsample": [True, True, False, False],
                                "head_bias": False})


@pytest.fixture(scope="module")
def data():
    x, y = digits32_tensors("train")
    return x[:64], y[:64]


def test_losses():
    d_real, d_fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.5])
    assert float(hinge_d_loss(d_real, d_fake)) == pytest.approx(0.25 + 0.75)
    assert float(hinge_g_loss(d_fake)) == pytest.approx(0.75)
    assert float(dcgan_d_loss(torch.zeros(3), torch.zeros(3))) == pytest.approx(2 * 0.6931, abs=1e-4)


def test_batches_have_the_asked_size_and_cover_each_epoch():
    from zoo_sngan.recipes import _batches

    it = _batches(10, 4, torch.Generator().manual_seed(0))
    got = [next(it) for _ in range(5)]  # 20 indices = 2 epochs
    assert all(len(b) == 4 for b in got)
    flat = torch.cat(got)
    assert sorted(flat[:10].tolist()) == list(range(10))
    assert sorted(flat[10:].tolist()) == list(range(10))


def test_linear_decay():
    assert linear_decay(0, decay_start=0, iterations=10) == 1.0
    assert linear_decay(5, decay_start=0, iterations=10) == pytest.approx(0.5)
    assert linear_decay(3, decay_start=4, iterations=10) == 1.0
    assert linear_decay(7, decay_start=None, iterations=10) == 1.0


def test_update_order_and_counts(data):
    gan = tiny()
    calls, batch_sizes = [], []

    def hook(module, inp, out):
        batch_sizes.append(inp[0].shape[0])
        calls.append("G-step" if torch.is_grad_enabled() and inp[0].requires_grad else "D")

    gan.discriminator.register_forward_hook(hook)
    opt_steps = []
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        opt_steps.append("G" if self.param_groups[0]["params"][0] is gan.generator.fc.weight else "D")
        return orig(self, *a, **k)

    torch.optim.Adam.step = spy
    try:
        hist = train_sngan(gan, *data, iterations=2, batch_size=4, n_gen_samples=6, n_dis=3, seed=0)
    finally:
        torch.optim.Adam.step = orig
    assert opt_steps == ["G", "D", "D", "D"] * 2  # G update first, then n_dis D updates
    assert len(hist["loss_g"]) == 2 and all(map(torch.isfinite, map(torch.tensor, hist["loss_d"])))
    assert hist["lr"] == [2e-4, 1e-4]
    assert calls.count("D") == 2 * 3 * 2  # real + fake forward per D update
    assert batch_sizes and set(batch_sizes) == {4, 6}


def test_seeded_runs_are_identical_and_change_weights(data):
    a, b = tiny(), tiny()
    before = a.generator.fc.weight.clone()
    train_sngan(a, *data, iterations=2, batch_size=4, n_dis=2, seed=3)
    train_sngan(b, *data, iterations=2, batch_size=4, n_dis=2, seed=3)
    assert not torch.equal(before, a.generator.fc.weight)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(p, q), name


def test_bad_arguments(data):
    with pytest.raises(ValueError, match="Labels must be given iff"):
        train_sngan(tiny(0), *data, iterations=1)
    with pytest.raises(ValueError, match="Unknown loss"):
        train_sngan(tiny(), *data, iterations=1, loss="wgan")


def test_zoo_recipe_phases_follow_the_official_settings(data):
    from zoo_sngan.recipes import sngan_recipe

    gan = tiny()
    recipe = sngan_recipe(config={"n_classes": 10}, steps=4, batch_size=4, lr=2e-4, n_dis=3)
    assert [p.name for p in recipe.phases] == ["discriminator", "generator"]
    assert [p.repeat for p in recipe.phases] == [3, 1]
    d_phase, g_phase = recipe.phases
    opt = d_phase.optimizer(list(d_phase.parameters(gan)))
    assert opt.defaults["lr"] == 2e-4 and opt.defaults["betas"] == (0.0, 0.9)
    assert {id(p) for p in d_phase.parameters(gan)} == {id(p) for p in gan.discriminator.parameters()}
    assert {id(p) for p in g_phase.parameters(gan)} == {id(p) for p in gan.generator.parameters()}
    sched = d_phase.scheduler(opt)
    lrs = []
    for _ in range(4):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs == pytest.approx([2e-4, 1.5e-4, 1e-4, 0.5e-4])  # linear decay to 0
    x, y = data
    gan.train()
    loss_d, _ = d_phase.loss(gan, (x[:4], y[:4]), 0)
    loss_d.backward()
    assert gan.generator.fc.weight.grad is None  # fakes are detached in the D phase
    assert gan.discriminator.fc.weight.grad is not None
    loss_g, _ = g_phase.loss(gan, (x[:4], y[:4]), 0)
    assert loss_g.shape == () and loss_g.requires_grad
    assert len(recipe.dataset(0)) == 1437


def test_zoo_recipe_rejects_bad_settings():
    from zoo_sngan.recipes import sngan_recipe

    with pytest.raises(ValueError, match="Unknown loss"):
        sngan_recipe(config={}, steps=1, batch_size=2, loss="wgan")
    with pytest.raises(ValueError, match="positive"):
        sngan_recipe(config={}, steps=1, batch_size=2, n_dis=0)

"""zoo_core.testing.parity: parameters that share a storage get their own before perturbation."""

import pytest
import torch
from torch import nn

from zoo_core.testing.parity import perturb_parameters, untie_parameters


class Shared(nn.Module):
    """Like AKOrN's official GTA: q, k, v from one tensor, o its transpose."""

    def __init__(self):
        super().__init__()
        m = torch.randn(3, 2, 2)
        self.q, self.k, self.v = nn.Parameter(m), nn.Parameter(m), nn.Parameter(m)
        self.o = nn.Parameter(m.transpose(-2, -1))
        self.lin = nn.Linear(2, 2)


def test_in_place_noise_keeps_shared_parameters_equal_without_untying():
    model = Shared()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    assert torch.equal(model.q, model.k) and torch.equal(model.k, model.v)   # the trap


def test_perturb_gives_each_parameter_its_own_values():
    model = Shared()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    perturb_parameters(model, 0.1, generator=torch.Generator().manual_seed(0))
    sd = model.state_dict()
    assert not torch.equal(sd["q"], sd["k"]) and not torch.equal(sd["k"], sd["v"])
    assert not torch.equal(sd["o"], sd["q"].transpose(-2, -1))
    assert all(not torch.equal(sd[k], before[k]) for k in sd)
    ptrs = {p.untyped_storage().data_ptr() for p in model.parameters()}
    assert len(ptrs) == len(list(model.parameters()))


def test_untie_counts_and_keeps_values():
    model = Shared()
    values = {k: v.clone() for k, v in model.state_dict().items()}
    assert untie_parameters(model) == 3          # k, v and o join q's storage
    assert untie_parameters(model) == 0
    assert all(torch.equal(values[k], v) for k, v in model.state_dict().items())


def test_interleaved_cpu_times_orders_work_and_counts_calls():
    import pytest

    from zoo_core.testing.parity import interleaved_cpu_times

    calls = {"light": 0, "heavy": 0}
    a = torch.randn(160, 160)

    def light():
        calls["light"] += 1
        a @ a

    def heavy():
        calls["heavy"] += 1
        for _ in range(20):
            a @ a

    t = interleaved_cpu_times({"light": light, "heavy": heavy}, reps=5, warmup=2)
    assert calls == {"light": 7, "heavy": 7}
    assert set(t) == {"light", "heavy"} and t["heavy"] > 3 * t["light"] > 0
    with pytest.raises(ValueError, match="reps must be"):
        interleaved_cpu_times({"light": light}, reps=0)


def test_operator_shares_finds_where_a_step_spends_its_time():
    import torch

    from zoo_core.testing.parity import operator_shares

    conv, x = torch.nn.Conv2d(8, 8, 3), torch.randn(4, 8, 32, 32)
    shares = operator_shares(lambda: conv(x).sum().backward(), reps=2, top=5)
    names = [n for n, _ in shares]
    assert len(shares) == 5 and all(0 <= s <= 100 for _, s in shares)
    assert [s for _, s in shares] == sorted((s for _, s in shares), reverse=True)
    assert any("conv" in n for n in names[:2])   # the convolution dominates this step
    with pytest.raises(ValueError, match="reps and top"):
        operator_shares(lambda: None, reps=0)

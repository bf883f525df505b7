"""The zoo-msp entries of the registry: every official configuration is there, configs are the
full constructor kwargs, sizes match the official models, training settings are consistent."""

import inspect

import pytest
import torch

import zoo
from zoo_core.api import import_ref

NAMES = zoo.list_models(plugin="zoo-msp", include_unavailable=True)


def test_required_entries_present():
    for name in ["msp-mnist", "msp-mnist-bg", "msp-mnist-bg-full", "msp-3dshapes", "msp-smallnorb",
                 "msp-mnist-accl", "msp-firstorder-mnist-accl", "msp-digits", "msp-digits-accl",
                 "neuralm-digits", "neuralm-mnist", "msp-rec-mnist", "msp-fixedblocks-mnist",
                 "neuraltrans-mnist", "neuralm-latentpred-mnist", "cpc-mnist", "simclr-mnist"]:
        assert name in NAMES, name


@pytest.mark.parametrize("name", NAMES)
def test_entry_shape_and_full_kwargs(name):
    e = zoo.entry(name)
    assert e.plugin == "zoo-msp"
    assert e.task.startswith("sequence-prediction/")
    assert e.provenance["license"] == "MIT" and e.provenance["paper"] == "arXiv:2210.05972"
    assert e.train["recipe"] in ("msp-seqmodel", "msp-simclr")
    params = inspect.signature(import_ref(e.builder).__init__).parameters
    expected = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert set(e.config) == expected, "config must list every keyword argument exactly"
    assert all(n == "self" or p.kind is p.KEYWORD_ONLY for n, p in params.items()), \
        "constructors must be keyword-only"


# Parameter counts of the official SeqAELSTSQ measured with its lazy layers materialised
# (research notes, Sec. 1.3).
OFFICIAL_PARAMS_M = {"msp-mnist": 43.35, "msp-mnist-bg": 101.24, "msp-3dshapes": 70.48,
                     "msp-smallnorb": 86.10}


@pytest.mark.parametrize("name", NAMES)
def test_builds_on_meta_device(name):
    e = zoo.entry(name)
    with torch.device("meta"):
        model = import_ref(e.builder)(**e.config)
    n = sum(p.numel() for p in model.parameters())
    if name in OFFICIAL_PARAMS_M:
        assert round(n / 1e6, 2) == OFFICIAL_PARAMS_M[name]
    if name == "msp-digits":
        assert n == 1_732_931  # the reduced official model timed in the research notes


@pytest.mark.parametrize("name", NAMES)
def test_train_settings_match_the_recipe(name):
    """Every setting is an argument of the recipe (names consistent: steps, not max_iteration)."""
    e = zoo.entry(name)
    settings = dict(e.train)
    fn = zoo.resolve_ref("zoo_recipes", settings.pop("recipe"))
    params = inspect.signature(fn).parameters
    assert set(settings) <= set(params) - {"config"}, set(settings) - set(params)
    required = {n for n, p in params.items() if p.default is inspect.Parameter.empty} - {"config"}
    assert required <= set(settings), required - set(settings)
    if "lr_decay_iter" in settings:
        assert 0 < settings["lr_decay_iter"] <= settings["steps"]
    if settings.get("reconst_iter"):  # baselines that reconstruct do so for the whole run
        assert settings["reconst_iter"] == settings["steps"]


def test_official_settings_kept():
    t = zoo.entry("msp-mnist").train
    assert t == {"recipe": "msp-seqmodel", "dataset": "sequential-mnist", "steps": 50000, "lr": 3e-4,
                 "lr_decay_iter": 40000, "batch_size": 32, "T": 3, "T_cond": 2, "reconst_iter": 0}
    assert zoo.entry("msp-rec-mnist").train["T_cond"] == 3
    assert zoo.entry("neuralm-mnist").train["reconst_iter"] == 50000
    assert zoo.entry("msp-mnist-accl").train["T_cond"] == 5


def test_released_models_share_data_and_budget():
    msp, neuralm, accl = (zoo.entry(n).train for n in ("msp-digits", "neuralm-digits", "msp-digits-accl"))
    same = ("dataset", "steps", "lr", "lr_decay_iter", "batch_size", "T", "T_cond")
    assert {k: msp[k] for k in same} == {k: neuralm[k] for k in same}
    assert accl["batch_size"] == msp["batch_size"] and accl["lr"] == msp["lr"]
    for name, t in (("msp-digits", msp), ("neuralm-digits", neuralm), ("msp-digits-accl", accl)):
        description = zoo.entry(name).description
        assert "reduced" in description and f"{t['steps']} steps" in description, description

"""Every official 1-D / compression configuration has an entry with the official settings."""

import pytest

import zoo
from zoo_core.api import import_ref

OFFICIAL = {  # entry -> (official config file, model config, train settings), read off NFTPublic
    **{f"nft-1d-timewarp-f{s}": ("oned_experiments/configs/NDFT.yml",
                                 {"dim_m": 16, "dim_a": 10, "transition": "LS", "act": "tanh"},
                                 {"steps": 100000, "lr": 1e-5, "batch_size": 32, "T": 3, "T_cond": 2,
                                  "reconst_iter": 30000, "lr_decay_iter": 80000, "freqseed": s})
       for s in (1, 2, 3)},
    **{f"nft-compress-g-{tag}": (f"DFT_g-NFT_FixF_ns{ns}.yml",
                                 {"dim_m": 1, "dim_a": 32, "transition": "Fixed", "enc_hdim": 256, "act": "relu"},
                                 {"steps": 100000, "lr": 1e-4, "batch_size": 16, "T": 6, "T_cond": 4, "noise": ns})
       for tag, ns in (("ns0", 0.0), ("ns001", 0.01), ("ns005", 0.05), ("ns01", 0.1))},
    **{f"nft-compress-abelg-{tag}": (f"DFT_AbelG-NFT_FixF_ns{ns}.yml",
                                     {"dim_m": 1, "dim_a": 32, "transition": "AbelMSP", "enc_hdim": 512,
                                      "act": "tanh"},
                                     {"steps": 200000, "lr": 1e-4, "batch_size": 16, "T": 10, "T_cond": 4,
                                      "noise": ns})
       for tag, ns in (("ns0", 0.0), ("ns001", 0.01), ("ns005", 0.05), ("ns01", 0.1))},
}


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_official_configuration(name):
    entry = zoo.registry().resolve(name)
    config_file, config, train = OFFICIAL[name]
    assert entry.plugin == "zoo-nft" and config_file in entry.provenance["official_config"]
    assert {k: entry.config[k] for k in config} == config
    assert {k: entry.train[k] for k in train} == train
    assert import_ref(dict(__import__("zoo_nft.plugin", fromlist=["_"]).zoo_tasks())[entry.task])


def test_figures_are_drawn(tmp_path):
    from zoo_nft.figures_1d import draw_compression, draw_timewarp
    from zoo_nft.tasks_1d import CompressionTask, TimeWarpF1Task

    drawn = draw_timewarp(zoo.create("nft-1d-timewarp").eval(), TimeWarpF1Task(), tmp_path, name="u", limit=16)
    drawn += draw_compression(zoo.create("nft-compress-g").eval(), CompressionTask(), tmp_path, name="g")
    assert len(drawn) == 3 and all(p.is_file() and p.stat().st_size > 1000 for _, p in drawn)

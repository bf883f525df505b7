"""A short U-NFT training recovers the true frequencies; the recipe and tasks run end to end."""

import pytest
import torch

from zoo_core.train import train
from zoo_nft.character import character_spectrum, top_frequencies
from zoo_nft.signals import TimeWarpedSignals
from zoo_nft.tasks_1d import CompressionTask, TimeWarpF1Task
from zoo_nft.unft import NFTSeqAE


def _recovered(model, test, k):
    xs, gs = test.tensors()
    with torch.no_grad():
        freqs, c = character_spectrum(model.get_M(xs[:, :2]), gs, max_freq=64)
    return sorted(top_frequencies(freqs, c, k))


def test_short_unft_training_recovers_the_true_frequencies():
    """Two strong frequencies (numpy seed 1: 37 and 43), a 4-column latent (two 2-D irreps):
    300 steps of the official objective put the top of the character spectrum on them
    (seeds 0, 1, 2 all do by step 100; an untrained model does not)."""
    torch.manual_seed(0)
    train_set = TimeWarpedSignals(n_data=8000, n_freq=2, n_small=0)
    test = TimeWarpedSignals(n_data=512, T=3, n_freq=2, n_small=0, test=1)
    assert train_set.strong == [37, 43]
    model = NFTSeqAE(dim_m=8, dim_a=4)
    before = _recovered(model, test, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(300):
        xs = torch.stack([train_set[int(i)][0] for i in torch.randint(0, 8000, (32,), generator=g)])
        loss, _ = model.loss(xs, T_cond=2, reconst=True)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert before != [37, 43]
    assert _recovered(model, test, 2) == [37, 43]


def test_recipe_trains_and_tasks_evaluate(tmp_path):
    out = train("nft-1d-timewarp-f1", out=tmp_path / "u", steps=3, progress=False)
    model = NFTSeqAE.from_pretrained(str(out))
    scores = TimeWarpF1Task().evaluate(model, limit=40, sbd_sequences=32)
    assert {"pred_sse_step18", "char_top5", "strong_recovered", "char_at_37", "sbd_n_blocks"} <= set(scores)
    assert 0 <= scores["strong_recovered"] <= 5
    out = train("nft-compress-abelg-ns001", out=tmp_path / "a", steps=2, progress=False)
    scores = CompressionTask().evaluate(NFTSeqAE.from_pretrained(str(out)), limit=20)
    assert scores["dft_sse"] > 0 and set(scores) == {"nft_sse", "nft_reconst_sse", "nft_pred_sse", "dft_sse"}


def test_task_arguments_are_checked():
    with pytest.raises(ValueError, match="split"):
        CompressionTask().dataset("val")
    with pytest.raises(ValueError, match="limit"):
        CompressionTask().evaluate(NFTSeqAE(dim_m=1, dim_a=32, transition="Fixed", encoder="mlp"), limit=0)

"""The two-stage recipe: stage 1 moves only the autoencoder, stage 2 only the context model
(the autoencoder frozen, its BatchNorm statistics included)."""

import torch

from zoo_core.train import train
from zoo_core.weights import read_safetensors


def _state(folder, component):
    return read_safetensors(folder / f"{component}.safetensors")


def test_stages_train_their_own_parts(tmp_path):
    name = "nmsc-tiny-0-0-4-32-q7-photos"
    one = train(name, out=tmp_path / "one", steps=3, lossy_steps=2, progress=False)
    two = train(name, out=tmp_path / "two", steps=4, lossy_steps=2, progress=False)  # one more coder step
    import zoo

    init = zoo.create(name).state_dict()
    a, b = _state(one, "analyzer"), _state(two, "analyzer")
    assert all(torch.equal(a[k], b[k]) for k in a)  # stage 2 leaves the analyzer (and its BN stats) alone
    assert any(not torch.equal(a[k], init[f"analyzer.{k}"]) for k in a)  # stage 1 moved it
    c1, c2 = _state(one, "context_model"), _state(two, "context_model")
    assert any(not torch.equal(c1[k], c2[k]) for k in c1)  # stage 2 moves the coder
    log = (two / "train_log.jsonl").read_text().splitlines()
    assert "ms_ssim" in log[0] and "bpp" in log[-1]

"""The Chainer-npz converter, on files with the official key names and shapes."""

import numpy as np
import pytest
import torch

from zoo_ssdrl.convert import OfficialFormatError, convert_arrays, from_official
from zoo_ssdrl.models import ConvLarge, MNISTClassifier

_PARAM = {"weight": "W", "bias": "b", "running_mean": "avg_mean", "running_var": "avg_var",
          "num_batches_tracked": "N"}


def _official_keys(model):
    """Our state dict under the official link names (classifiers/*.py)."""
    out = {}
    for key, value in model.state_dict().items():
        path, param = key.rsplit(".", 1)
        if path.startswith(("convs.", "bns.")):
            kind, idx = path.split(".")
            path = f"{'c' if kind == 'convs' else 'b'}{int(idx) // 3}_{int(idx) % 3}"
        name = _PARAM[param]
        if path.startswith("b") and param in ("weight", "bias"):
            name = {"weight": "gamma", "bias": "beta"}[param]
        out[f"{path}/{name}"] = value.numpy()
    return out


def test_mnist_snapshot_object_round_trip(tmp_path):
    torch.manual_seed(0)
    src = MNISTClassifier()
    arrays = _official_keys(src)
    assert set(arrays) == {f"{n}/{p}" for n in ("c0", "c1", "c2", "l3") for p in ("W", "b")}
    np.savez(tmp_path / "MNISTClassifier_50000.npz", **arrays)
    dst = MNISTClassifier()
    dst.load_state_dict(from_official(tmp_path / "MNISTClassifier_50000.npz")["model"])
    x = torch.rand(2, 1, 28, 28)
    assert torch.equal(src(x), dst(x))


def test_svhn_trainer_snapshot_with_bn(tmp_path):
    torch.manual_seed(0)
    src = ConvLarge(ch=8, bn_logits=True).train()
    src(torch.randn(4, 3, 32, 32))  # non-trivial running averages
    arrays = {f"updater/model:main/{k}": v for k, v in _official_keys(src).items()}
    arrays["updater/optimizer:main/t"] = np.array(3)
    assert "updater/model:main/b3/avg_var" in arrays and "updater/model:main/c2_2/W" in arrays
    np.savez(tmp_path / "snapshot_iter_48000", **arrays)
    dst = ConvLarge(ch=8, bn_logits=True)
    dst.load_state_dict(from_official(tmp_path / "snapshot_iter_48000.npz")["model"])
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(src.eval()(x), dst.eval()(x))


def test_unknown_layouts_are_refused():
    with pytest.raises(OfficialFormatError, match="unknown link 'fc9'"):
        convert_arrays({"fc9/W": np.zeros((2, 2))})
    with pytest.raises(OfficialFormatError, match="unexpected parameter"):
        convert_arrays({"c0/gamma": np.zeros(2)})
    with pytest.raises(OfficialFormatError, match="updater/model:main/"):
        convert_arrays({"updater/optimizer:main/t": np.zeros(())})


def test_zoo_convert_cli(tmp_path):
    import zoo
    from zoo_core.cli import main

    torch.manual_seed(0)
    src = MNISTClassifier()
    np.savez(tmp_path / "MNISTClassifier_50000.npz", **_official_keys(src))
    assert main(["convert", "ssdrl-fast-mnist-g0.1", str(tmp_path / "MNISTClassifier_50000.npz"),
                 "--out", str(tmp_path / "out")]) in (0, None)
    loaded = zoo.load(f"local-dir:{tmp_path / 'out'}")
    x = torch.rand(2, 1, 28, 28)
    assert torch.allclose(loaded(x), src(x))

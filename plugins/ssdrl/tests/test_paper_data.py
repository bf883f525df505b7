"""The paper datasets from a local copy: tiny fixtures in the official on-disk layouts, read
end to end by `zoo train` / `zoo eval` (through zoo_core.cli.main in-process, with the split
and batch sizes overridden to fit the fixtures), and one test per kind of fault."""

import pickle

import numpy as np
import pytest

from zoo_core.cli import main
from zoo_core.data import DatasetError


def _mnist(root, n=12):
    raw = root / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.RandomState(0)
    for prefix, count in (("train", n), ("t10k", n // 2)):
        images = rng.randint(0, 256, (count, 28, 28)).astype(np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            np.array([0x803, count, 28, 28], ">i4").tobytes() + images.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(np.array([0x801, count], ">i4").tobytes() + labels.tobytes())
    return root


def _svhn(root, n=10):
    from scipy.io import savemat

    folder = root / "svhn"
    folder.mkdir(parents=True)
    rng = np.random.RandomState(0)
    for split, count in (("train", n), ("test", n // 2)):
        savemat(folder / f"{split}_32x32.mat", {"X": rng.randint(0, 256, (32, 32, 3, count)).astype(np.uint8),
                                                "y": (np.arange(count) % 10 + 1).reshape(-1, 1).astype(np.uint8)})
    return root


def _cifar(root, n=10):
    folder = root / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.RandomState(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        with open(folder / name, "wb") as f:
            pickle.dump({"data": rng.randint(0, 256, (n, 3072)).astype(np.uint8),
                         "labels": list(np.arange(n) % 10)}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [str(i) for i in range(10)]}, f)
    zca = root / "cifar10-zca"
    zca.mkdir()
    np.savez(zca / "zca.npz", components=np.eye(3072, dtype=np.float32) / 64, mean=np.full(3072, 128, np.float32))
    return root




def _train_eval(name, root, tmp_path, capsys):
    # settings: a split that fits the fixture, small batches
    from zoo_core.train import train

    out = train(name, out=tmp_path / "run", steps=2, progress=False, n_labels=4, batch_size=2,
                batch_size_ul=2, attack_steps=1)
    assert (out / "model.safetensors").is_file()
    assert main(["eval", name, "--data", str(root), "--weights", str(out), "--limit", "2", "--json"]) in (0, None)
    return capsys.readouterr().out


def test_mnist_end_to_end(tmp_path, monkeypatch, capsys):
    root = _mnist(tmp_path / "data")
    monkeypatch.setenv("ZOO_DATA", str(root))
    assert '"pgm_error_e1000"' in _train_eval("ssdrl-fast-mnist-g0.1", root, tmp_path, capsys)


def test_svhn_end_to_end(tmp_path, monkeypatch, capsys):
    root = _svhn(tmp_path / "data")
    monkeypatch.setenv("ZOO_DATA", str(root))
    assert '"wrm_acc_g20"' in _train_eval("ssdrl-fast-svhn-g20", root, tmp_path, capsys)


def test_cifar10_zca_end_to_end(tmp_path, monkeypatch, capsys):
    root = _cifar(tmp_path / "data")
    monkeypatch.setenv("ZOO_DATA", str(root))
    from zoo_ssdrl.data import semi_supervised

    split = semi_supervised("cifar10", n_labels=4)
    assert split.x_l.shape == (4, 3, 32, 32) and abs(float(split.x_l.mean())) < 2.5  # whitened, not [0, 255]
    assert '"accuracy"' in _train_eval("pl-cifar10", root, tmp_path, capsys)


def test_faults_name_the_file(tmp_path, monkeypatch):
    from zoo_ssdrl import data

    root = _mnist(tmp_path / "m")
    (root / "mnist" / "MNIST" / "raw" / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00\x08")  # truncated
    monkeypatch.setenv("ZOO_DATA", str(root))
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte"):
        data.held_out("mnist")
    root = _cifar(tmp_path / "c")
    np.savez(root / "cifar10-zca" / "zca.npz", components=np.eye(10), mean=np.zeros(10))  # wrong shape
    monkeypatch.setenv("ZOO_DATA", str(root))
    with pytest.raises(DatasetError, match="zca.npz"):
        data.held_out("cifar10")
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "nothing"))
    with pytest.raises(DatasetError, match="svhn"):
        data.held_out("svhn")

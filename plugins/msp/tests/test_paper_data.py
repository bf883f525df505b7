"""The paper's datasets from a local copy: tiny fixtures in the official on-disk layout, written
here (MNIST idx files, the authors' torch files, DeepMind's h5), read by the same loaders a
user's real copy goes through, trained and evaluated end to end via ``zoo train`` / ``zoo eval``
(in process, with the model shrunk: the paper widths take seconds per step on a CPU)."""

import json
import struct

import numpy as np
import pytest
import torch

import zoo
from zoo_core.cli import main
from zoo_core.data import DATA_ENV, DatasetError
from zoo_msp import paper_data
from zoo_msp.paper_tasks import SequentialMNISTBgTask, SequentialMNISTTask, SmallNORBTask

SMALL = {"k": 0.25, "dim_m": 8, "dim_a": 4}


@pytest.fixture(autouse=True)
def no_root(monkeypatch):
    monkeypatch.setenv(DATA_ENV, "")  # recorded, so what `--data` sets is undone after the test
    monkeypatch.delenv(DATA_ENV)


def write_idx(path, array):
    """An MNIST idx file: magic (0x08 = ubyte, number of dims), big-endian sizes, the bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def make_mnist(folder, *, backgrounds=False, n_train=10, n_test=8):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = np.zeros((n, 28, 28), np.uint8)
        images[:, 8:20, 10:18] = rng.integers(100, 256, (n, 12, 8))  # a bright blob per digit
        write_idx(folder / "MNIST/raw" / f"{prefix}-images-idx3-ubyte", images)
        write_idx(folder / "MNIST/raw" / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 3 + 3)  # 3, 4, 5
    if backgrounds:
        for split, n in (("train", n_train), ("test", n_test)):
            torch.save(torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(n)),
                       folder / "MNIST" / f"{split}_dat.pt")
    return folder


def make_smallnorb(folder, sizes=(2, 1, 1, 9, 18)):
    """The authors' layout: a numpy uint8 array per split saved with torch.save; train.pt as
    torch 1.10 and numpy 1.x wrote it (legacy format, the pickle names numpy.core.multiarray)."""
    (folder / "smallNORB").mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        data = np.zeros((*sizes, 96, 96), np.uint8)
        data[..., 40:56, 40:56] = (np.arange(np.prod(sizes)).reshape(*sizes, 1, 1) % 250) + 5
        path = folder / "smallNORB" / f"{split}.pt"
        torch.save(data, path, _use_new_zipfile_serialization=split == "test")
        if split == "train":
            path.write_bytes(path.read_bytes().replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    return folder


def shrink(monkeypatch, name, **train):
    """A small model for ``name`` (same classes, narrower) and small batches."""
    entry = zoo.registry().resolve(name)
    for key, value in SMALL.items():
        monkeypatch.setitem(entry.config, key, value)
    for key, value in {"batch_size": 4, **train}.items():
        monkeypatch.setitem(entry.train, key, value)


def train_and_eval(name, data, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", name, "--data", str(data), "--steps", "2", "--out", str(out), "--no-progress"]) == 0
    rows = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2]
    capsys.readouterr()
    assert main(["eval", name, "--data", str(data), "--weights", str(out), "--limit", "2", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    return scores.get("results", scores)


def n_steps(scores, prefix="pred_sse"):
    return len([k for k in scores if k.startswith(prefix + "_step")])


# --- Sequential MNIST and MNIST-bg ---------------------------------------------------------------

def test_sequential_mnist_reads_torchvision_mnist_and_keeps_digit_4(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(make_mnist(tmp_path / "mnist")))
    images, labels = paper_data.mnist_images("train")
    assert images.shape == (10, 32, 32) and torch.all(images[:, :4] == 0) and float(images.max()) > 0.3
    train = SequentialMNISTTask().dataset("train")
    assert torch.all(train.labels == 4) and len(train.labels) == 3 and train.max_T == 9  # official config
    assert train[0].shape == (3, 3, 32, 32)
    test = SequentialMNISTTask().dataset("test", T=10)
    assert test.max_T == 10 and test.sample(2).shape == (2, 10, 3, 32, 32)


def test_mnist_bg_puts_the_authors_backgrounds_behind_the_digit(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(make_mnist(tmp_path / "mnist-bg", backgrounds=True)))
    data = SequentialMNISTBgTask().dataset("train")
    seq, bg = data[1], paper_data.mnist_backgrounds("train")[1]  # sequence i sits on background i
    g = torch.Generator().manual_seed(data.seed * 1_000_003 + 1)  # the parameters of data[1]
    fg = data.render(data.images[1:2], data.draw_params(1, generator=g))[0]  # (T, 3, 32, 32)
    empty, bright = fg.sum(1, keepdim=True) == 0, fg.sum(1, keepdim=True) >= 0.3
    assert empty.any() and bright.any()
    assert torch.equal(torch.where(empty, seq, 0), torch.where(empty, bg.expand_as(seq), 0))
    assert torch.equal(torch.where(bright, seq, 0), torch.where(bright, fg, 0))  # the digit stays on top
    assert float(seq.max()) <= 1.0


def test_zoo_data_lists_the_msp_datasets(tmp_path, capsys):
    make_mnist(tmp_path / "root" / "mnist")
    assert main(["data", "--data", str(tmp_path / "root"), "--json"]) == 0
    # a dataset two plugins declare (MNIST: zoo-msp's spec, reused by zoo-ssdrl) lists both, comma-separated
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out) if "msp" in r["plugin"].split(", ")}
    assert set(rows) == {"mnist", "mnist-bg", "3dshapes", "smallnorb"}
    assert rows["mnist"]["found"] == str(tmp_path / "root" / "mnist") and rows["smallnorb"]["found"] is None
    assert "smallNORB/train.pt" in rows["smallnorb"]["layout"] and "3dshapes.h5" in rows["3dshapes"]["layout"]


@pytest.mark.parametrize("name,background,steps", [("msp-mnist", False, 8), ("msp-mnist-bg-full", True, 8),
                                                   ("msp-mnist-accl", False, 15)])
def test_train_and_eval_on_mnist(name, background, steps, tmp_path, monkeypatch, capsys):
    data = make_mnist(tmp_path / "data", backgrounds=background)
    shrink(monkeypatch, name)
    scores = train_and_eval(name, data, tmp_path, capsys)
    assert n_steps(scores) == steps and n_steps(scores, "copy_last_sse") == steps  # eval T - T_cond
    assert all(np.isfinite(v) for v in scores.values()) and scores["copy_last_sse_mean"] > 0


# --- SmallNORB and 3DShapes ------------------------------------------------------------------------

def test_smallnorb_sequences_walk_elevation_and_azimuth(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(make_smallnorb(tmp_path / "smallnorb")))
    data = SmallNORBTask().dataset("test", T=6)
    raw = torch.as_tensor(torch.load(tmp_path / "smallnorb/smallNORB/test.pt", weights_only=False))
    g = torch.Generator().manual_seed(3)
    for _ in range(20):
        f = data.factors(g)
        assert torch.all(f[:, :3] == f[0, :3])  # category, instance, lighting held
        v = f[1] - f[0]
        assert torch.all(f == f[0] + v * torch.arange(6)[:, None])  # constant integer velocity
        assert torch.all(v[3:].abs() <= torch.tensor([9 // 6, 18 // 6])) and torch.all(f >= 0)
        assert torch.all(f < torch.tensor([2, 1, 1, 9, 18]))  # no wrap-around
        assert torch.equal(data.read(f), raw[tuple(f.T)][:, None].float() / 255)
    xs = data.sample(4, generator=g, shared_transition=True)
    assert xs.shape == (4, 6, 1, 96, 96)


def test_train_and_eval_on_smallnorb(tmp_path, monkeypatch, capsys):
    data = make_smallnorb(tmp_path / "data")
    monkeypatch.setenv(DATA_ENV, str(data))
    assert paper_data.smallnorb_frames("train")[1] == (2, 1, 1, 9, 18)  # the numpy 1.x file
    shrink(monkeypatch, "msp-smallnorb")
    scores = train_and_eval("msp-smallnorb", data, tmp_path, capsys)
    assert n_steps(scores) == 4 and scores["copy_last_sse_mean"] > 0  # eval T = 6, T_cond = 2


def make_3dshapes(folder, shape=(480000, 64, 64, 3)):
    """DeepMind's 3dshapes.h5, chunked so that the unwritten images (zeros) take no space."""
    import h5py
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / "3dshapes.h5", "w") as f:
        images = f.create_dataset("images", shape=shape, dtype=np.uint8, chunks=(1, *shape[1:]),
                                  compression="gzip", fillvalue=0)
        for factors in [(0, 0, 0, 0, 0, 0), (1, 2, 3, 4, 0, 5)] if shape[0] == 480000 else []:
            images[np.ravel_multi_index(factors, (10, 10, 10, 8, 4, 15))] = 200
    return folder


def test_3dshapes_sequences_read_the_h5_by_factor(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(make_3dshapes(tmp_path / "3dshapes")))
    data = paper_data.shapes3d_sequences(T=8)
    frames = data.read(torch.tensor([[1, 2, 3, 4, 0, 5], [0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 0]]))
    assert frames.shape == (3, 3, 64, 64) and frames[[0, 2]].min() == pytest.approx(200 / 255)
    assert frames[1].max() == 0
    g = torch.Generator().manual_seed(0)
    f = torch.stack([data.factors(g) for _ in range(30)])
    assert torch.all(f[..., 4] == 0)  # shape held at 0 (official train=True)


def test_train_and_eval_on_3dshapes(tmp_path, monkeypatch, capsys):
    data = make_3dshapes(tmp_path / "data")
    shrink(monkeypatch, "msp-3dshapes")
    scores = train_and_eval("msp-3dshapes", data, tmp_path, capsys)
    assert n_steps(scores) == 6 and scores["pred_sse_mean"] >= 0  # eval T = 8, T_cond = 2


# --- faults: each error names the file and says what to do ----------------------------------------

def test_missing_file_is_named(tmp_path, monkeypatch, capsys):
    data = make_mnist(tmp_path / "mnist")
    (data / "MNIST/raw/t10k-labels-idx1-ubyte").unlink()
    shrink(monkeypatch, "msp-mnist")
    assert main(["train", "msp-mnist", "--data", str(tmp_path), "--steps", "1", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "nothing matches MNIST/raw/t10k-labels-idx1-ubyte" in err and "yann.lecun.com" in err


def test_truncated_files_are_named(tmp_path, monkeypatch):
    data = make_mnist(tmp_path / "mnist")
    path = data / "MNIST/raw/train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:500])
    monkeypatch.setenv(DATA_ENV, str(data))
    with pytest.raises(DatasetError, match=rf"{path}: cannot be read as expected .*complete"):
        paper_data.mnist_images("train")
    norb = make_smallnorb(tmp_path / "smallnorb")
    path = norb / "smallNORB/train.pt"
    path.write_bytes(path.read_bytes()[:1000])
    monkeypatch.setenv(DATA_ENV, str(norb))
    with pytest.raises(DatasetError, match=rf"{path}: cannot be read as expected"):
        SmallNORBTask().dataset("train")


def test_wrong_shapes_are_named(tmp_path, monkeypatch):
    norb = tmp_path / "smallnorb"
    (norb / "smallNORB").mkdir(parents=True)
    for split in ("train", "test"):
        torch.save(np.zeros((2, 9, 18, 96, 96), np.uint8), norb / "smallNORB" / f"{split}.pt")
    monkeypatch.setenv(DATA_ENV, str(norb))
    with pytest.raises(DatasetError, match=r"smallNORB/train\.pt: expected one uint8 array \(category, .*got "
                                           r"torch.uint8 \(2, 9, 18, 96, 96\)"):
        SmallNORBTask().dataset("train")
    bg = make_mnist(tmp_path / "mnist-bg", backgrounds=True)
    torch.save(torch.zeros(10, 3, 28, 28), bg / "MNIST/train_dat.pt")
    monkeypatch.setenv(DATA_ENV, str(bg))
    with pytest.raises(DatasetError, match=r"MNIST/train_dat\.pt: expected backgrounds \(n, 3, 32, 32\), "
                                           r"got \(10, 3, 28, 28\)"):
        SequentialMNISTBgTask().dataset("train")


def test_3dshapes_wrong_shape_and_missing_h5py_are_named(tmp_path, monkeypatch):
    import sys

    folder = tmp_path / "3dshapes"
    folder.mkdir()
    (folder / "3dshapes.h5").write_bytes(b"")
    monkeypatch.setenv(DATA_ENV, str(folder))
    monkeypatch.setitem(sys.modules, "h5py", None)  # as where h5py is not installed
    with pytest.raises(DatasetError, match=r"3dshapes\.h5: reading 3DShapes needs h5py.*pip install h5py"):
        paper_data.shapes3d_sequences(T=3)
    monkeypatch.undo()
    make_3dshapes(tmp_path / "small", shape=(1000, 64, 64, 3))
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "small"))
    with pytest.raises(DatasetError, match=r"3dshapes\.h5: 'images' must be uint8 \(480000, 64, 64, 3\), "
                                           r"got uint8 \(1000, 64, 64, 3\)"):
        paper_data.shapes3d_sequences(T=3)


def test_figures_draw_on_a_paper_task(tmp_path, monkeypatch):
    """`zoo bench` roll-out figure on one-channel 96 px SmallNORB (the digits tests cover RGB and
    the block figure, which only needs ``sbd_dataset``)."""
    from zoo_msp import figures
    from zoo_msp.models import MSP

    monkeypatch.setenv(DATA_ENV, str(make_smallnorb(tmp_path / "smallnorb")))
    model = MSP(ch_x=1, bottom_width=6, n_blocks=4, **SMALL)
    (_, path), = figures.rollouts(model, SmallNORBTask(), tmp_path, name="msp-smallnorb")
    assert path.name == "rollouts.png" and path.stat().st_size > 0
    assert SmallNORBTask().sbd_dataset().sample(2).shape == (2, 6, 1, 96, 96)  # notebook: T = 6

"""The paper datasets from a local copy, end to end: `zoo train` and `zoo eval` on tiny fixtures
that each test writes in the official on-disk layout (CIFAR-10's pickled python batches,
STL-10's binary files, ImageNet's train/<wnid>/*.JPEG folders), through the same readers a
user's real copy goes through.

Two stand-ins keep this to seconds on a CPU, and only these:
* the Inception network is a tiny randomly initialised TorchScript module, saved as the
  user's "local weights" file ``inception/inception_tiny.pt`` (the real one is 100 MB and
  cannot be downloaded here); FID and IS run through torchmetrics exactly as with real weights;
* the official architectures are too big for a 2-step CPU run, so the commands run in-process
  (zoo_core.cli.main) on a copy of registry.yaml whose entries keep their task, recipe and
  eval settings but have every channel width set to 4, batch 2 and n_dis 1 (the number of blocks, so
  the resolution, is the official one).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image
from torch import nn

import zoo_core.api as api
from zoo_core.cli import main

REGISTRY = Path(__file__).resolve().parents[3] / "registry.yaml"
RNG = np.random.default_rng(0)


# --- fixtures in the official layouts -------------------------------------------------------

def write_cifar10(root: Path, per_batch: int = 4) -> Path:
    """cifar-10-batches-py as the python tarball unpacks: pickled dicts, data (N, 3072) uint8."""
    folder = root / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": RNG.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 "labels": RNG.integers(0, 10, per_batch).tolist(), "batch_label": name}
        (folder / name).write_bytes(pickle.dumps(batch))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}))
    return folder


def write_stl10(root: Path, n: int = 3) -> Path:
    """stl10_binary: raw uint8 images (N, 3, 96, 96) column-major, labels 1..10."""
    folder = root / "stl10" / "stl10_binary"
    folder.mkdir(parents=True)
    for name in ("train_X.bin", "unlabeled_X.bin", "test_X.bin"):
        (folder / name).write_bytes(RNG.integers(0, 256, n * 3 * 96 * 96, dtype=np.uint8).tobytes())
    for name in ("train_y.bin", "test_y.bin"):
        (folder / name).write_bytes(RNG.integers(1, 11, n, dtype=np.uint8).tobytes())
    return folder


def write_imagenet(root: Path, with_images=(0, 151, 152, 293)) -> Path:
    """train/<wnid>/*.JPEG for 1,000 classes (sorted wnids = class index); a few images in
    some classes, the others empty."""
    train = root / "imagenet" / "train"
    wnids = ["n01440764"] + [f"n{1440765 + i:08d}" for i in range(999)]
    for i, wnid in enumerate(wnids):
        (train / wnid).mkdir(parents=True)
        if i in with_images:
            for k in range(2):
                pixels = RNG.integers(0, 256, (70 + 10 * k, 90, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(train / wnid / f"{wnid}_{k}.JPEG", format="JPEG")
    return train


class TinyInception(nn.Module):
    """Stands in for Inception-v3: images in [-1, 1] -> (16 pool features, 10 logits)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 2, 1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pool = torch.relu(self.conv(x)).mean((2, 3))
        return pool, self.fc(pool)


def write_inception(root: Path) -> Path:
    torch.manual_seed(0)
    path = root / "inception" / "inception_tiny.pt"
    path.parent.mkdir(parents=True)
    torch.jit.script(TinyInception()).save(str(path))
    return path


# --- a registry whose paper entries are shrunk for a CPU ------------------------------------

def _shrink(value):
    if isinstance(value, dict):
        return {k: ([4] * len(v) if k == "channels" else 4 if k in ("ch", "concat_dim") else _shrink(v))
                for k, v in value.items()}
    return value


@pytest.fixture
def small_registry(tmp_path, monkeypatch):
    data = yaml.load(REGISTRY.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for name, entry in data.items():
        if isinstance(entry, dict) and str(entry.get("task", "")).startswith("generation/") \
                and "digits32" not in name:
            entry["config"] = _shrink(entry.get("config", {}))
            entry.setdefault("train", {}).update(batch_size=2, n_gen_samples=2, n_dis=1)
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))
    monkeypatch.setenv("ZOO_REGISTRY", str(path))
    monkeypatch.setattr(api, "_registry", None)
    yield path
    monkeypatch.setattr(api, "_registry", None)


def train_and_eval(name: str, data: Path, out: Path, capsys) -> dict:
    assert main(["train", name, "--data", str(data), "--steps", "2", "--out", str(out),
                 "--no-progress"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["eval", name, "--data", str(data), "--weights", str(out), "--limit", "4",
                 "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def check_metrics(results: dict) -> None:
    assert set(results) == {"fid", "inception_score", "inception_score_std"}
    assert results["fid"] >= 0 and 1 <= results["inception_score"] <= 10  # at most the 10 classes


# --- end to end -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sngan-cifar10", "sngan-projection-cifar10"])
def test_cifar10_train_and_eval(name, tmp_path, small_registry, capsys):
    write_cifar10(tmp_path / "data")
    write_inception(tmp_path / "data")
    check_metrics(train_and_eval(name, tmp_path / "data", tmp_path / "run", capsys))
    log = [json.loads(line) for line in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    assert len(log) == 2 and "discriminator/loss" in log[0]
    assert "CIFAR-10" in (tmp_path / "run" / "README.md").read_text()


def test_stl10_train_and_eval_at_48px(tmp_path, small_registry, capsys, monkeypatch):
    write_stl10(tmp_path / "data")
    write_inception(tmp_path / "data")
    check_metrics(train_and_eval("sngan-stl10", tmp_path / "data", tmp_path / "run", capsys))
    from zoo_sngan.paper_task import Stl10Generation

    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "data"))
    train = Stl10Generation().dataset("train")
    x, _ = train[0]
    assert len(train) == 6 and x.shape == (3, 48, 48)  # train + unlabeled, 96 -> 48 px
    assert -1 <= float(x.min()) and float(x.max()) < 1 + 1 / 128  # x / 128 - 1 + U(0, 1/128)


@pytest.mark.parametrize("name, size, n", [("sngan-projection-imagenet128", 128, 8),
                                            ("sngan-projection-dogcat64", 64, 6)])
def test_imagenet_train_and_eval(name, size, n, tmp_path, small_registry, capsys, monkeypatch):
    write_imagenet(tmp_path / "data")
    write_inception(tmp_path / "data")
    check_metrics(train_and_eval(name, tmp_path / "data", tmp_path / "run", capsys))
    import zoo

    task = zoo.resolve_ref("zoo_tasks", zoo.entry(name).task)()
    monkeypatch.setenv("ZOO_DATA", str(tmp_path / "data"))
    train = task.dataset("train")
    labels = sorted({int(train[i][1]) for i in range(len(train))})
    assert len(train) == n and train[0][0].shape == (3, size, size)
    # dog&cat keeps ImageNet classes 151-293, relabelled 0-142
    assert labels == ([0, 151, 152, 293] if "imagenet" in name else [0, 1, 142])


def test_every_paper_entry_has_a_task_and_the_paper_recipe():
    import zoo

    for name in ("sngan-cifar10", "sngan-cnn-cifar10", "sngan-projection-cifar10", "sngan-stl10",
                 "sngan-projection-imagenet128", "sngan-concat-imagenet128",
                 "sngan-projection-imagenet64", "sngan-projection-dogcat64",
                 "sngan-projection-dogcat128", "sngan-projection-dogcat256"):
        entry = zoo.entry(name)
        task = zoo.resolve_ref("zoo_tasks", entry.task)
        assert task.name == entry.task and "inception" in task.datasets
        assert entry.train["dataset"] == entry.task.split("/")[1]
        assert entry.eval == {"n_fake": 50000, "is_splits": 10,
                              **({"n_real": 50000} if "imagenet" in entry.task or "dogcat" in entry.task else {})}
    assert zoo.entry("sngan-cifar10").train["betas"] == [0.0, 0.9]
    assert zoo.entry("sngan-cnn-cifar10").train["n_dis"] == 1


def test_zoo_data_lists_found_and_missing(tmp_path, capsys):
    write_cifar10(tmp_path / "data")
    assert main(["data", "--data", str(tmp_path / "data"), "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out) if "sngan" in r["plugins"]}
    assert rows["cifar10"]["found"] == str(tmp_path / "data" / "cifar10")
    assert rows["stl10"]["found"] is None and rows["stl10"]["url"].endswith("stl10_binary.tar.gz")
    assert rows["inception"]["found"] is None and "stl10_binary/unlabeled_X.bin" in rows["stl10"]["layout"]


# --- faults: each error names the file ------------------------------------------------------

def run_error(args: list[str], capsys) -> str:
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("zoo: error:") and "Traceback" not in err
    return err


def test_missing_cifar_batch_is_named(tmp_path, small_registry, capsys):
    folder = write_cifar10(tmp_path / "data")
    (folder / "data_batch_3").unlink()
    err = run_error(["train", "sngan-cifar10", "--data", str(tmp_path / "data"), "--steps", "1",
                     "--out", str(tmp_path / "run"), "--no-progress"], capsys)
    assert "data_batch_3" in err and "cifar-10-python.tar.gz" in err


def test_truncated_cifar_batch_is_named(tmp_path, small_registry, capsys):
    folder = write_cifar10(tmp_path / "data")
    blob = (folder / "data_batch_2").read_bytes()
    (folder / "data_batch_2").write_bytes(blob[: len(blob) // 2])
    err = run_error(["train", "sngan-cifar10", "--data", str(tmp_path / "data"), "--steps", "1",
                     "--out", str(tmp_path / "run"), "--no-progress"], capsys)
    assert "data_batch_2: cannot be read" in err


def test_wrong_shape_stl10_files_are_named(tmp_path, small_registry, capsys):
    folder = write_stl10(tmp_path / "data")
    (folder / "unlabeled_X.bin").write_bytes(b"\0" * (3 * 96 * 96 + 5))  # not whole images
    args = ["train", "sngan-stl10", "--data", str(tmp_path / "data"), "--steps", "1",
            "--out", str(tmp_path / "run"), "--no-progress"]
    assert "unlabeled_X.bin: cannot be read" in run_error(args, capsys)
    write_stl10(tmp_path / "other")
    (tmp_path / "other" / "stl10" / "stl10_binary" / "train_y.bin").write_bytes(b"\1\2")  # 3 images
    args[3] = str(tmp_path / "other")
    assert "train_y.bin: 3 labels expected" in run_error(args, capsys)


def test_broken_imagenet_image_and_class_folders_are_named(tmp_path, small_registry, capsys):
    train = write_imagenet(tmp_path / "data", with_images=(0,))
    bad = train / "n01440764" / "n01440764_1.JPEG"
    bad.write_bytes(bad.read_bytes()[:40])
    args = ["train", "sngan-projection-imagenet64", "--data", str(tmp_path / "data"), "--steps", "1",
            "--out", str(tmp_path / "run"), "--no-progress"]
    assert f"{bad}: cannot be read" in run_error(args, capsys)
    import shutil

    shutil.rmtree(train / "n01440765")
    args[-2] = str(tmp_path / "run2")
    assert "1,000 class folders expected (found 999)" in run_error(args, capsys)


def test_inception_file_missing_or_ambiguous(tmp_path, small_registry, capsys):
    write_cifar10(tmp_path / "data")
    assert main(["train", "sngan-cifar10", "--data", str(tmp_path / "data"), "--steps", "1",
                 "--out", str(tmp_path / "run"), "--no-progress"]) == 0
    capsys.readouterr()
    args = ["eval", "sngan-cifar10", "--data", str(tmp_path / "data"), "--weights",
            str(tmp_path / "run"), "--limit", "2"]
    err = run_error(args, capsys)
    assert "'inception'" in err and "inception_v3_google-0cc3c7bd.pth" in err
    write_inception(tmp_path / "data")
    (tmp_path / "data" / "inception" / "inception_v3.safetensors").write_bytes(b"")
    assert "exactly one Inception weights file expected" in run_error(args, capsys)
    (tmp_path / "data" / "inception" / "inception_v3.safetensors").unlink()
    (tmp_path / "data" / "inception" / "inception_tiny.pt").write_bytes(b"not torchscript")
    assert "inception_tiny.pt: cannot be read" in run_error(args, capsys)

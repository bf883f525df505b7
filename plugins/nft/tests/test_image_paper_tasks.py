"""The paper image datasets from a local copy: readers on tiny files in the official layouts, clear errors."""

import json

import numpy as np
import pytest
import torch

from zoo_core.data import DATA_ENV, DatasetError, DatasetNotFoundError
from zoo_nft import paper_tasks as P
from zoo_nft.eae import EquivariantAE


def _idx(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def make_mnists(root, n=12):
    rng = np.random.default_rng(0)
    for name, folder in (("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST"), ("kmnist", "KMNIST")):
        for prefix in ("train", "t10k"):
            raw = root / name / folder / "raw"
            _idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
            _idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 3)
    return root


@pytest.fixture(autouse=True)
def _fresh_cache():
    P._idx_images.cache_clear()
    yield
    P._idx_images.cache_clear()


def test_rotated_mnist_reads_the_idx_files_and_evaluates(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(make_mnists(tmp_path)))
    task = P.RotatedMNISTTask()
    x, a, y = task.dataset("ood2").tensors()
    assert x.shape == (48, 2, 1, 28, 28) and a.shape == (48, 2) and set(y.tolist()) == {0, 1, 2}
    out = task.evaluate(EquivariantAE(), limit=12)
    assert {"probe_acc", "probe_acc_ood", "probe_acc_ood2", "psnr_ood2", "angle_err"} <= set(out)
    occ = P.OccludedRotatedMNISTTask().dataset("test").tensors(2)[0]
    assert occ[:, 0, :, :14].abs().sum() == 0 and occ[:, 1].abs().sum() > 0


def test_missing_and_broken_copies_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetNotFoundError, match="mnist"):
        P.RotatedMNISTTask().dataset("train")
    make_mnists(tmp_path)
    bad = tmp_path / "kmnist" / "KMNIST" / "raw" / "t10k-images-idx3-ubyte"
    bad.write_bytes(bad.read_bytes()[:100])                      # truncated
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte"):
        P.RotatedMNISTTask().dataset("ood2")
    with pytest.raises(DatasetNotFoundError, match="modelnet10-so3"):
        P.ModelNet10SO3Task().evaluate(EquivariantAE())


def test_modelnet10_so3_pairs_views_of_one_object(tmp_path, monkeypatch):
    root = tmp_path / "modelnet10-so3"
    root.mkdir()
    n = 6
    for split in ("train", "test"):
        torch.save(torch.randint(0, 256, (n, 3, 16, 16), dtype=torch.uint8), root / f"{split}_imgs.pt")
        torch.save(torch.tensor([0, 0, 0, 1, 1, 1]), root / f"{split}_labels.pt")
        torch.save(torch.nn.functional.normalize(torch.randn(n, 4), dim=-1), root / f"{split}_quats.pt")
        torch.save([torch.arange(3), torch.arange(3, 6)], root / f"{split}_label_index.pt")
        torch.save(torch.tensor([3, 3]), root / f"{split}_len_index.pt")
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    load, params, pairs = P.ModelNet10SO3Task().pairs("test", None, 0)
    assert len(pairs) == n and all((i < 3) == (j < 3) for i, j in pairs)
    model = EquivariantAE(latent_dim=4, action={"group": "so3", "num_basis": 2}, network="vit", img_size=16,
                          img_channels=3, encoder={"patch_size": 4, "embed_dim": 16, "depth": 1, "num_heads": 2},
                          decoder={"embed_dim": 16, "depth": 1, "num_heads": 2}, adapter="lowrank")
    out = P.ModelNet10SO3Task().evaluate(model, limit=4)
    assert set(out) == {"psnr", "angle_err"} and np.isfinite(out["psnr"])


def test_brdfs_meta_rows_are_read(tmp_path, monkeypatch):
    from PIL import Image

    root = tmp_path / "complex-brdfs"
    rows = []
    for cls in range(2):
        for view in range(2):
            p = root / f"{cls:03d}" / f"rgba_{view:05d}.png"
            p.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((240, 240, 4), 100 + view, np.uint8)).save(p)
            rows.append([str(p), view / 24 * 2 * np.pi, cls])
    (root / "meta.json").write_text(json.dumps({"test": rows}))
    (root / "same_orbit_indexes.json").write_text(json.dumps({"test": {"0": [0, 1], "1": [2, 3]}}))
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    load, params, pairs = P.ComplexBRDFsTask().pairs("test", None, 0)
    assert load(0).shape == (3, 224, 224) and params[1] == pytest.approx(2 * np.pi / 24) and len(pairs) == 4

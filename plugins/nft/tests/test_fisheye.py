"""Fisheye CIFAR-100 U-NFT: the model's official layout, the Shift_cifar law, the local CIFAR-100 reader,
one training step and the task on a tiny fake CIFAR-100 folder (torchvision's on-disk format)."""

import math
import pickle

import numpy as np
import pytest
import torch

import zoo
from zoo_core.data import DATA_ENV, DatasetError, DatasetNotFoundError
from zoo_core.train import recipe_for
from zoo_nft import fisheye_task
from zoo_nft.convert import from_official
from zoo_nft.fisheye import FisheyeWarp, ShiftedFisheyeImages, shift_frames
from zoo_nft.fisheye_task import FisheyeCIFAR100Task, cifar100_images
from zoo_nft.unft_vit import NFTSeqViT

SMALL = {"dim_m": 4, "dim_a": 4, "vit": {"patch_size": 8, "embed_dim": 16, "depth": 1, "num_heads": 2}}


def write_cifar100(root, n_train=6, n_test=4):
    """``cifar100/cifar-100-python/{train,test,meta}`` as the python tarball unpacks: pickled dicts."""
    folder = root / "cifar100" / "cifar-100-python"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, n in (("train", n_train), ("test", n_test)):
        entry = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), "fine_labels": list(range(n)),
                 "coarse_labels": [0] * n, "filenames": [f"{i}.png" for i in range(n)]}
        (folder / name).write_bytes(pickle.dumps(entry))
    (folder / "meta").write_bytes(pickle.dumps({"fine_label_names": [f"c{i}" for i in range(100)],
                                                "coarse_label_names": [f"s{i}" for i in range(20)]}))
    return root


@pytest.fixture
def cifar(tmp_path, monkeypatch):
    cifar100_images.cache_clear()
    monkeypatch.setenv(DATA_ENV, str(write_cifar100(tmp_path)))
    yield tmp_path
    cifar100_images.cache_clear()


def test_paper_model_has_the_official_layout():
    entry = zoo.registry().resolve("nft-fisheye-cifar100")
    shapes = {k: tuple(v.shape) for k, v in NFTSeqViT(**entry.config).state_dict().items()}   # 129M: ~3 s
    assert shapes["pre_adapter.1.weight"] == (128 * 16, 64 * 384)
    assert shapes["post_adapter.1.weight"] == (64 * 384, 128 * 16)
    assert shapes["post_adapter.3.weight"] == (64, 384)            # LayerNorm over [patches, embed]
    assert shapes["enc.net.patch_embed.proj.weight"] == (384, 3, 4, 4)
    assert shapes["dec.net.0.head.weight"] == (4 * 4 * 3, 384)
    assert shapes["enc.net.blocks.7.attn.qkv.weight"] == (3 * 384, 384) and "enc.net.blocks.8.norm1.weight" not in shapes
    assert shapes["dec.net.0.blocks.7.mlp.fc1.weight"] == (4 * 384, 384)
    assert not any(k.endswith("qkv.bias") for k in shapes)
    assert sum(math.prod(s) for s in shapes.values()) == 129_150_896


def test_forward_shapes_loss_and_bad_frames():
    model = NFTSeqViT(**SMALL)
    xs = torch.rand(3, 4, 3, 32, 32)
    assert model(xs[:, :2], n_rolls=2).shape == (3, 2, 3, 32, 32)
    assert model(xs[:, :2], n_rolls=2, reconst=True).shape == (3, 4, 3, 32, 32)
    assert model.get_M(xs[:, :2]).shape == (3, 4, 4)
    loss, logs = model.loss(xs, T_cond=2, reconst=True)
    pred = model(xs[:, :2], n_rolls=2, reconst=True)
    assert loss.item() == pytest.approx(((pred - xs) ** 2).sum((2, 3, 4)).mean().item(), rel=1e-5)
    assert set(logs) == {"pred_sse", "reconst_sse"}
    with pytest.raises(ValueError, match=r"\(N, T, 3, 32, 32\) frames"):
        model(torch.rand(2, 2, 3, 28, 28))
    with pytest.raises(ValueError, match="vit settings"):
        NFTSeqViT(vit={"patch": 4})


def _ramp_warp(scale=1):
    """The warp of an image whose value is its column index: the x coordinate each output pixel reads."""
    ramp = torch.arange(32, dtype=torch.float32).expand(32, 32)
    return FisheyeWarp(32, scale=scale)(ramp)


def test_warp_reads_defisheyes_radius_map():
    """Along the centre row (y = c = 15) output column c + k reads input column c + R(k),
    R(r) = ifoc atan(r / ofoc) (ifoc = d / pi for fov 180, ofoc = d / (2 tan 70 deg), d = 32 sqrt 2),
    to the 1/64 px of OpenCV's 1/32 px bilinear grid; R grows monotonically."""
    d = 32 * math.sqrt(2)
    R = lambda r: d / math.pi * math.atan(r / (d / (2 * math.tan(math.radians(70)))))
    row = _ramp_warp()[15]
    for k in range(-14, 17):
        if k:
            assert abs(row[15 + k].item() - (15 + R(k))) <= 1 / 64 + 1e-6, k
    assert row[15].item() == 0.0                  # defisheye's centre quirk: r = 0 reads pixel (0, 0)
    off_centre = torch.cat([row[:15], row[16:]])
    assert torch.all(off_centre.diff() > 0) and row[0] == 0.0   # column 0 reads at x = -0.39: zero and ramp 0
    assert 1.7 < row[16].item() - 15 <= 1.75       # the centre magnified by about 2 tan(70 deg) / pi = 1.749
    column = FisheyeWarp(32)(torch.arange(32, dtype=torch.float32)[:, None].expand(32, 32))[:, 15]
    assert torch.equal(column, row)                # radially symmetric: the same map on the vertical axis


def test_warp_keeps_constants_where_it_reads_inside_and_scale_changes_the_grid():
    ones = FisheyeWarp(32)(torch.ones(3, 32, 32))
    inside = FisheyeWarp(32).weight.sum(-1).reshape(32, 32) > 1 - 1e-6
    assert inside.float().mean() > 0.9 and torch.allclose(ones[:, inside], torch.ones(1), atol=1e-6)
    fine = _ramp_warp(scale=20)[15]
    assert torch.all(fine[1:].diff() >= 0) and not torch.allclose(fine, _ramp_warp()[15])
    with pytest.raises(ValueError, match="expected float images"):
        FisheyeWarp(32)(torch.zeros(3, 16, 16))


def test_shift_law_and_reproducible_velocities():
    images = np.random.default_rng(1).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    plain = ShiftedFisheyeImages(images, T=4, deform=False, seed=3)
    frames, g = plain[2]
    h, v = plain.velocity(2)
    assert v == 0.0 and -16 <= h < 16 and g.item() == pytest.approx(2 * math.pi * h / 32, rel=1e-6)
    x = torch.from_numpy(images[2]).permute(2, 0, 1).float() / 255
    for t in range(4):
        s = math.floor(h * t)
        assert torch.equal(frames[t], x[:, :, [(j + s) % 32 for j in range(32)]])
    assert torch.equal(ShiftedFisheyeImages(images, T=4, deform=False, seed=3)[2][0], frames)
    assert ShiftedFisheyeImages(images, seed=4).velocity(2) != (h, v)
    hs = [ShiftedFisheyeImages(images, length=200).velocity(k)[0] for k in range(200)]
    assert min(hs) >= -16 and max(hs) < 16 and min(hs) < -14 and max(hs) > 14
    warped = ShiftedFisheyeImages(images, T=4, seed=3)[2][0]
    assert torch.allclose(warped, FisheyeWarp(32)(shift_frames(x, h, 0.0, 4)))


def test_cifar100_reader_and_missing_or_broken_copies(cifar, monkeypatch, tmp_path_factory):
    images, labels = cifar100_images("test")
    assert images.shape == (4, 32, 32, 3) and images.dtype == np.uint8 and labels.tolist() == [0, 1, 2, 3]
    raw = pickle.loads((cifar / "cifar100" / "cifar-100-python" / "test").read_bytes())["data"]
    assert np.array_equal(images[1].transpose(2, 0, 1).reshape(-1), raw[1])   # torchvision's CHW rows -> HWC
    empty = tmp_path_factory.mktemp("empty")
    monkeypatch.setenv(DATA_ENV, str(empty))
    cifar100_images.cache_clear()
    with pytest.raises(DatasetNotFoundError, match="cifar100"):
        FisheyeCIFAR100Task().dataset("train")
    monkeypatch.setenv(DATA_ENV, str(cifar))
    bad = cifar / "cifar100" / "cifar-100-python" / "train"
    bad.write_bytes(bad.read_bytes()[:200])
    with pytest.raises(DatasetError, match="cifar-100-python/train"):
        cifar100_images("train")


def test_one_training_step_of_the_recipe_on_fake_cifar(cifar):
    entry, recipe = recipe_for("nft-fisheye-cifar100", steps=3, batch_size=2)
    assert len(recipe.dataset(0)) == 6 and "CIFAR-100" in recipe.data
    torch.manual_seed(0)
    model = zoo.create("nft-fisheye-cifar100", **SMALL)
    batch = next(iter(torch.utils.data.DataLoader(recipe.dataset(0), batch_size=2)))
    assert batch[0].shape == (2, 4, 3, 32, 32)
    phase = recipe.phases[0]
    opt = phase.optimizer(model.parameters())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss, logs = phase.loss(model, batch, 0)
    assert "reconst_sse" in logs                          # step 0 < reconst_iter: the conditioning frames too
    loss.backward()
    opt.step()
    assert all(not torch.equal(before[k], v) for k, v in model.state_dict().items() if k.endswith("weight"))
    assert "reconst_sse" not in phase.loss(model, batch, 100000)[1]


def test_task_evaluates_on_fake_cifar(cifar):
    task = FisheyeCIFAR100Task()
    xs, g = task.dataset("test").tensors()
    assert xs.shape == (4, 9, 3, 32, 32) and g.shape == (4,)
    out = task.evaluate(NFTSeqViT(**SMALL), limit=3, batch_size=2)
    assert {f"pred_sse_step{k}" for k in range(1, 8)} | {"pred_sse_mean", "zero_sse_mean", "copy_last_sse_mean",
                                                       "char_top1", "char_top2", "char_top3"} == set(out)
    zero = (xs[:3, 2:] ** 2).sum((2, 3, 4)).mean().item()
    assert out["zero_sse_mean"] == pytest.approx(zero, rel=1e-4) and all(0 <= out[f"char_top{i}"] <= 16 for i in (1, 2, 3))
    assert fisheye_task.FisheyeCIFAR100Task.datasets == ("cifar100",)


def test_official_snapshot_converts(tmp_path):
    model = NFTSeqViT(**SMALL)
    torch.save({f"module.{k}": v for k, v in model.state_dict().items()}, tmp_path / "snapshot_model_iter_250000")
    other = NFTSeqViT(**SMALL)
    other.load_state_dict(from_official(tmp_path / "snapshot_model_iter_250000")["model"])   # strict
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))


def test_entry_carries_the_official_settings():
    entry = zoo.registry().resolve("nft-fisheye-cifar100")
    assert entry.plugin == "zoo-nft" and "fisheye/vit.yaml" in entry.provenance["official_config"]
    assert entry.config == {"dim_m": 128, "dim_a": 16, "img_size": 32, "img_channels": 3, "transition": "LS",
                            "vit": {"patch_size": 4, "embed_dim": 384, "depth": 8, "num_heads": 6, "mlp_ratio": 4.0}}
    assert {k: entry.train[k] for k in ("steps", "lr", "batch_size", "T", "T_cond", "reconst_iter", "lr_decay_iter")} == {
        "steps": 250000, "lr": 3e-4, "batch_size": 32, "T": 4, "T_cond": 2, "reconst_iter": 100000, "lr_decay_iter": 200000}
    assert entry.train["lr_decay_factor"] == pytest.approx(1 / 3) and entry.converter == "nft-official"
    assert entry.task == "sequence-prediction/fisheye-cifar100" and not entry.weights

"""The object-discovery paper datasets from a local copy, end to end on tiny fixtures.

Each test writes its fixture in the official on-disk layout (CLEVRTex PNGs with ``_flat.png``
masks and JSON; the npz files of the official ``convert_tfrecord_to_np.py``) and runs
``zoo train`` / ``zoo eval`` (in process, through ``zoo_core.cli.main``) on it, through the
loaders a user's real copy goes through. The official architectures are too slow for a CPU
test at full width, so the entry's config is shrunk in place (``ch 32, T 2, heads 4``; same
patch and image sizes), and the batch is 2 scenes.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo_core.cli import main
from zoo_core.data import DATA_ENV, DatasetError, DatasetNotFoundError

SMALL = {"ch": 32, "T": 2, "heads": 4}


def scene(rng: np.random.Generator, h: int, w: int, objects: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """An RGB uint8 image with ``objects`` coloured rectangles on a grey background, and its labels."""
    image = np.full((h, w, 3), 90, np.uint8)
    labels = np.zeros((h, w), np.uint8)
    for k in range(1, objects + 1):
        top, left = rng.integers(0, h // 2), rng.integers(0, w // 2)
        image[top:top + h // 3, left:left + w // 3] = rng.integers(0, 256, 3)
        labels[top:top + h // 3, left:left + w // 3] = k
    return image, labels


def write_clevrtex(root, counts=None):
    """``root/clevrtex/clevrtex_{full,outd,camo}/0/CLEVRTEX_{v}_NNNNNN{.png,_flat.png,.json}`` at 80x60."""
    rng = np.random.default_rng(0)
    for variant, n in (counts or {"full": 10, "outd": 2, "camo": 10}).items():
        folder = root / "clevrtex" / f"clevrtex_{variant}" / "0"
        folder.mkdir(parents=True)
        for i in range(n):
            image, labels = scene(rng, 60, 80)
            stem = f"CLEVRTEX_{variant}_{i:06d}"
            Image.fromarray(image).save(folder / f"{stem}.png")
            Image.fromarray(labels, mode="L").save(folder / f"{stem}_flat.png")
            (folder / f"{stem}.json").write_text(json.dumps({"ground_material": "x", "objects": []}))
    return root


def write_npz(folder, prefix, imsize, splits=("train", "test"), n=4):
    """The official npz layout: ``{prefix}_{split}.npz`` with images [N, 3, H, W] in [0, 1], labels [N, H, W]."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    for split in splits:
        pairs = [scene(rng, imsize, imsize) for _ in range(n)]
        images = np.stack([im.transpose(2, 0, 1) / 255 for im, _ in pairs])
        np.savez_compressed(folder / f"{prefix}_{split}", images=images, labels=np.stack([lab for _, lab in pairs]))
    return folder


@pytest.fixture
def small(monkeypatch):
    """Shrink a catalog entry's config and batch in place (restored after the test)."""
    def shrink(name: str, **train):
        entry = zoo.entry(name)
        for key, value in SMALL.items():
            monkeypatch.setitem(entry.config, key, value)
        for key, value in {"batch_size": 2, **train}.items():
            monkeypatch.setitem(entry.train, key, value)
        return entry
    monkeypatch.delenv(DATA_ENV, raising=False)
    return shrink


def run(argv, capsys) -> str:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def scores(out: str) -> dict:
    return json.loads(out[out.index("{"):])


@pytest.mark.parametrize("name, write, keys", [
    ("akorn-attn-clevrtex", write_clevrtex,
     {"fg_ari", "mbo", "ood_fg_ari", "ood_mbo", "camo_fg_ari", "camo_mbo"}),
    ("akorn-attn-clevr", lambda root: write_npz(root / "clevr", "clevr", 128), {"fg_ari", "mbo"}),
    ("akorn-conv-dsprites", lambda root: write_npz(root / "dsprites", "colored_on_grayscale", 64),
     {"fg_ari", "mbo"}),
])
def test_train_and_eval_on_the_official_layout(name, write, keys, tmp_path, small, capsys):
    small(name)
    data = tmp_path / "data"
    write(data)
    out = tmp_path / "run"
    run(["train", name, "--data", str(data), "--steps", "2", "--out", str(out), "--no-progress"], capsys)
    assert (out / "model.safetensors").is_file()
    assert "train split" in (out / "README.md").read_text()
    result = scores(run(["eval", name, "--data", str(data), "--weights", str(out), "--limit", "2", "--json"], capsys))
    assert set(result) == keys and all(0 <= v <= 1 for v in result.values()), result


def test_tetrominoes_npz_task_trains_and_evaluates(tmp_path, monkeypatch):
    """No catalog entry names object-discovery/tetrominoes yet: the recipe is pointed at it."""
    from zoo_core.train import train
    from zoo_akorn.tasks.object_discovery_paper import ObjectDiscoveryTetrominoesPaper

    write_npz(tmp_path / "tetrominoes", "tetrominoes", 32)
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    out = train("akorn-attn-tetrominoes-ch64", out=tmp_path / "run", steps=2, batch_size=2, progress=False,
                task="object-discovery/tetrominoes", train_size=None)
    assert "tetrominoes_train.npz" in (out / "README.md").read_text()
    task = ObjectDiscoveryTetrominoesPaper()
    assert len(task.dataset("test")) == 4 and task.n_clusters == 4
    result = task.evaluate(zoo.load(f"local-dir:{out}"), limit=2, saccade_r=2)  # up-tiling x2
    assert set(result) == {"fg_ari", "mbo"} and 0 <= result["mbo"] <= 1


def test_readers_follow_the_official_preprocessing(tmp_path, monkeypatch):
    """CLEVRTex: splits by index fraction, centre crop 0.8 x short side, 128 px; npz: through uint8."""
    from zoo_akorn.data.paper import CLEVRTexScenes, NpzScenes
    from zoo_akorn.datasets import CLEVRTEX, TETROMINOES

    write_clevrtex(tmp_path)
    root = tmp_path / "clevrtex"
    sizes = {split: len(CLEVRTexScenes(root, CLEVRTEX, split=split)) for split in ("test", "val", "train")}
    assert sizes == {"test": 1, "val": 1, "train": 8}
    assert len(CLEVRTexScenes(root, CLEVRTEX, variant="outd")) == 2  # outd: no splits
    image, mask = CLEVRTexScenes(root, CLEVRTEX, split="test")[0]
    src = Image.open(root / "clevrtex_full" / "0" / "CLEVRTEX_full_000000.png").convert("RGB")
    flat = Image.open(root / "clevrtex_full" / "0" / "CLEVRTEX_full_000000_flat.png")
    box = (16, 6, 64, 54)  # side int(0.8 * 60) = 48, centred in 80x60
    expected = np.array(src.crop(box).resize((128, 128), Image.BILINEAR))
    assert image.shape == (3, 128, 128) and mask.shape == (128, 128) and mask.dtype == torch.int64
    assert torch.equal((image * 255).round().byte().permute(1, 2, 0), torch.from_numpy(expected))
    assert torch.equal(mask, torch.from_numpy(np.array(flat.crop(box).resize((128, 128), Image.NEAREST))).long())

    write_npz(tmp_path / "tet", "tetrominoes", 32)
    with np.load(tmp_path / "tet" / "tetrominoes_test.npz") as f:
        raw = f["images"][1]
    image, labels = NpzScenes(tmp_path / "tet" / "tetrominoes_test.npz", TETROMINOES, imsize=32)[1]
    assert torch.equal(image, torch.from_numpy((255 * raw.astype(np.float32)).astype(np.uint8)).float() / 255)


def test_zoo_data_lists_found_and_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)  # --data sets it; restored after the test
    write_npz(tmp_path / "tetrominoes", "tetrominoes", 32)
    out = run(["data", "--data", str(tmp_path)], capsys)
    assert f"found    tetrominoes      {tmp_path / 'tetrominoes'}" in out
    assert "missing  clevrtex" in out and "clevrtex/clevrtex_full/*/CLEVRTEX_full_??????.png" in out
    assert "clevr/clevr_test.npz" in out and "convert_tfrecord_to_np.py" in out


# --- faults: each error names the file and says what to do --------------------------------------

def test_missing_file(tmp_path, small, capsys):
    small("akorn-conv-dsprites")
    write_npz(tmp_path / "dsprites", "colored_on_grayscale", 64, splits=("train",))
    code = main(["train", "akorn-conv-dsprites", "--data", str(tmp_path), "--steps", "1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and "colored_on_grayscale_test.npz" in err and "Traceback" not in err
    assert "convert_tfrecord_to_np.py" in err  # what to do
    from zoo_akorn.tasks.object_discovery_paper import ObjectDiscoveryCLEVR

    with pytest.raises(DatasetNotFoundError, match=r"dataset 'clevr' .* was not found: not under"):
        ObjectDiscoveryCLEVR().dataset("test")  # --data set ZOO_DATA to tmp_path, which has no clevr/


def test_missing_clevrtex_mask(tmp_path, monkeypatch):
    from zoo_akorn.tasks.object_discovery_paper import ObjectDiscoveryCLEVRTex

    write_clevrtex(tmp_path)
    mask = tmp_path / "clevrtex" / "clevrtex_full" / "0" / "CLEVRTEX_full_000003_flat.png"
    mask.unlink()
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match="CLEVRTEX_full_000003_flat.png: missing"):
        ObjectDiscoveryCLEVRTex().dataset("train")


def test_truncated_archive(tmp_path, monkeypatch):
    from zoo_akorn.tasks.object_discovery_paper import ObjectDiscoveryTetrominoesPaper

    path = write_npz(tmp_path / "tetrominoes", "tetrominoes", 32) / "tetrominoes_test.npz"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=r"tetrominoes_test\.npz: cannot be read.*Check that the file is complete"):
        ObjectDiscoveryTetrominoesPaper().dataset("test")


def test_truncated_png(tmp_path, monkeypatch):
    from zoo_akorn.tasks.object_discovery_paper import ObjectDiscoveryCLEVRTex

    write_clevrtex(tmp_path)
    png = tmp_path / "clevrtex" / "clevrtex_full" / "0" / "CLEVRTEX_full_000000.png"
    png.write_bytes(png.read_bytes()[:60])
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match="CLEVRTEX_full_000000.png: cannot be read"):
        ObjectDiscoveryCLEVRTex().dataset("test")[0]


def test_wrong_shape(tmp_path, monkeypatch):
    from zoo_akorn.tasks.object_discovery_paper import ObjectDiscoveryDSpritesPaper

    folder = write_npz(tmp_path / "dsprites", "colored_on_grayscale", 32)  # 32 px, not 64
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    with pytest.raises(DatasetError, match=r"colored_on_grayscale_train\.npz: images have shape \(4, 3, 32, 32\)"):
        ObjectDiscoveryDSpritesPaper().dataset("train")
    np.savez(folder / "colored_on_grayscale_test.npz", pictures=np.zeros((2, 3, 64, 64)))
    with pytest.raises(DatasetError, match="expected 'images' and 'labels'"):
        ObjectDiscoveryDSpritesPaper().dataset("test")


# --- Must show: an official checkpoint, converted, evaluated ----------------------------------------

def official_checkpoint(model: torch.nn.Module) -> dict:
    """``model``'s weights under the official AKOrN key names and shapes, in an ema_pytorch wrapper.

    The official names and shapes are those recorded from the official classes
    (fixtures/official_keys.json, a smaller config): the converter maps each official key to ours,
    and an official 1x1 conv carries two trailing unit dims that our linear weight lacks.
    """
    from test_convert import CASES, official_state_dict
    from zoo_akorn.convert import convert_state_dict

    recorded = official_state_dict(CASES["akorn-attn"])
    ours_by_official = dict(zip(recorded, convert_state_dict(recorded, arch="akorn")))
    ours = model.state_dict()
    sd = {}
    for key, our_key in ours_by_official.items():
        extra = recorded[key].dim() - ours[our_key].dim()
        sd[key] = ours[our_key].reshape(*ours[our_key].shape, *[1] * extra).clone()
    assert len(sd) == len(ours)
    wrapped = {"initted": torch.tensor(True), "step": torch.tensor(1000)}
    wrapped.update({f"ema_model.{k}": v for k, v in sd.items()})
    wrapped.update({f"online_model.{k}": v + 1 for k, v in sd.items()})
    return {"epoch": 499, "model_state_dict": wrapped}


def test_convert_official_checkpoint_then_eval_clevrtex(tmp_path, small, capsys):
    small("akorn-attn-clevrtex")
    torch.manual_seed(3)
    reference = zoo.create("akorn-attn-clevrtex")
    ckpt = tmp_path / "ema_499.pth"
    torch.save(official_checkpoint(reference), ckpt)
    out = tmp_path / "converted"
    said = run(["convert", "akorn-clevrtex", str(ckpt), "--out", str(out)], capsys)
    assert str(out) in said and (out / "config.json").is_file()
    assert "ema_499.pth" in (out / "README.md").read_text()
    loaded = zoo.load(f"local-dir:{out}")
    for key, value in reference.state_dict().items():  # the EMA weights, not the online ones
        assert torch.equal(loaded.state_dict()[key], value), key
    data = write_clevrtex(tmp_path / "data")
    result = scores(run(["eval", "akorn-clevrtex", "--weights", str(out), "--data", str(data), "--limit", "2",
                         "--json"], capsys))
    assert set(result) == {"fg_ari", "mbo", "ood_fg_ari", "ood_mbo", "camo_fg_ari", "camo_mbo"}
    # converting again into the same folder is refused; a checkpoint of another config fails by key
    assert main(["convert", "akorn-clevrtex", str(ckpt), "--out", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    zoo.entry("akorn-attn-clevrtex").config["ch"] = 64
    assert main(["convert", "akorn-clevrtex", str(ckpt), "--out", str(tmp_path / "other")]) == 1
    assert "wrong shape" in capsys.readouterr().err

"""The NVS models, converter, task metrics, recipe and the world-frame invariance of GTA-SRT."""

import numpy as np
import pytest
import torch

import zoo
from zoo_gta.cameras import camera_positions, pixel_rays, rays_at
from zoo_gta.models.nvs import TransformingSRT, ring_cameras

SMALL = "gta-srt-multiview-scenes"


def transformer_keys(prefix: str, blocks: int, attn: list[str]) -> list[str]:
    """Keys of the official Transformer's blocks: PreNorm(Attention) then PreNorm(FeedForward)."""
    keys = []
    for l in range(blocks):
        p = f"{prefix}.layers.{l}."
        keys += [p + "0.norm.weight", p + "0.norm.bias", p + "0.fn.to_out.0.weight", p + "0.fn.to_out.0.bias"]
        keys += [p + "0.fn." + a for a in attn]
        keys += [p + f"1.{n}" for n in ("norm.weight", "norm.bias", "fn.net.0.weight", "fn.net.0.bias",
                                        "fn.net.3.weight", "fn.net.3.bias")]
    return keys


def official_keys(enc_blocks, dec_blocks, *, method, emb_dec, conv_blocks=3):
    """The official checkpoint keys (research notes B.5), written out independently of our modules."""
    enc = [f"conv_blocks.{i}.layers.{j}.weight" for i in range(conv_blocks) for j in (0, 2)]
    enc += ["per_patch_linear.weight", "per_patch_linear.bias"]
    attn = {"gta": ["to_qkv.weight", "trans_coeff"], "": ["to_qkv.weight"],
            "repast": ["to_q.weight", "to_k.weight", "to_v.weight"]}[method]
    enc += transformer_keys("transformer", enc_blocks, attn)
    dec = ["allocation_transformer.initial_emb"] if emb_dec == "const" else \
        [f"allocation_transformer.input_mlp.{i}.{w}" for i in (0, 2) for w in ("weight", "bias")]
    cross = {"gta": ["to_q.weight", "to_kv.weight", "trans_coeff"], "": ["to_q.weight", "to_kv.weight"],
             "repast": ["to_q.weight", "to_k.weight", "to_v.weight"]}[method]
    dec += transformer_keys("allocation_transformer.transformer", dec_blocks, cross)
    dec += [f"render_mlp.{i}.{w}" for i in (0, 2, 4, 6, 8) for w in ("weight", "bias")]
    return set(enc), set(dec)


@pytest.mark.parametrize("name,method,emb", [("gta-srt-clevrtr", "gta", "const"), ("srt-clevrtr", "", "ray"),
                                             ("repast-clevrtr", "repast", "ray")])
def test_state_dict_keys_and_shapes_are_the_official_ones(name, method, emb):
    m = zoo.create(name)
    enc, dec = official_keys(5, 2, method=method, emb_dec=emb)
    assert set(m.encoder.state_dict()) == enc
    assert set(m.decoder.state_dict()) == dec
    e, d = m.encoder.state_dict(), m.decoder.state_dict()
    first_in = {"gta": 3, "": 3 + 180, "repast": 3}[method]
    assert e["conv_blocks.0.layers.0.weight"].shape == (96, first_in, 3, 3)
    assert e["conv_blocks.2.layers.2.weight"].shape == (768, 384, 3, 3)
    assert e["per_patch_linear.weight"].shape == (384, 768, 1, 1)
    assert d["render_mlp.8.weight"].shape == (3, 768)
    if method == "gta":
        assert e["transformer.layers.0.0.fn.to_qkv.weight"].shape == (3 * 384, 384)
        assert d["allocation_transformer.transformer.layers.1.0.fn.to_kv.weight"].shape == (2 * 384, 384)
        assert d["allocation_transformer.initial_emb"].shape == (180,)
        assert sum(p.numel() for p in m.parameters()) == pytest.approx(14.69e6, rel=1e-3)


def test_shapes_and_bad_input():
    m = zoo.create(SMALL).eval()
    x = m.example_inputs(batch_size=3, size=32, views=(2, 3), rays=5)
    with torch.no_grad():
        y = m(**x)
    assert y.shape == (3, 3, 5, 3) and (y >= 0).all() and (y <= 1).all()
    with pytest.raises(ValueError, match="divisible"):
        m(**{**x, "input_images": x["input_images"][..., :30, :30]})
    with pytest.raises(ValueError, match="target_coords"):
        m(**{**x, "target_coords": x["target_coords"][..., :1]})


def _world_moved(inputs, G):
    """The same scene with the world frame moved by the rigid motion G (points p -> G p)."""
    Gi = torch.linalg.inv(G)
    R = G[:3, :3]
    return {**inputs, "input_extrinsics": inputs["input_extrinsics"] @ Gi,
            "target_extrinsics": inputs["target_extrinsics"] @ Gi,
            "input_rays": inputs["input_rays"] @ R.T, "target_rays": inputs["target_rays"] @ R.T}


def test_moving_the_world_frame_leaves_gta_unchanged_and_changes_srt():
    from scipy.spatial.transform import Rotation

    G = torch.eye(4)
    G[:3, :3] = torch.from_numpy(Rotation.from_euler("xyz", [0.4, -1.1, 2.0]).as_matrix()).float()
    G[:3, 3] = torch.tensor([1.5, -2.0, 0.7])
    x = zoo.create(SMALL).example_inputs(batch_size=2, size=16, views=(2, 2), rays=16)
    moved = _world_moved(x, G)
    # the data stay consistent: camera positions and rays move with the world
    assert torch.allclose(camera_positions(moved["input_extrinsics"]),
                          camera_positions(x["input_extrinsics"]) @ G[:3, :3].T + G[:3, 3], atol=1e-4)
    so3 = {"method": {"name": "gta", "args": {"so2": 1, "so3": 2, "max_freq_h": 1, "max_freq_w": 1,
                                              "f_dims": {"triv": 4, "se3": 8, "so3": 16, "so2": 4}}}}
    msn_like = TransformingSRT(  # the gta-srt-msn-hard layout (SE(3) + SO(3) + SO(2)) at a small width
        encoder_kwargs={"dim": 64, "attdim": 64, "num_att_blocks": 1, "heads": 2, "emb": False, "attn_args": so3},
        decoder_kwargs={"dim": 32, "z_dim": 64, "heads": 2, "rmlp_dim": 32, "num_att_blocks": 1, "emb": "const",
                        "attn_args": so3})
    for name, invariant in ((SMALL, True), ("srt-multiview-scenes", False), ("msn-like", True)):
        torch.manual_seed(0)
        m = (msn_like if name == "msn-like" else zoo.create(name)).eval()
        for p in m.parameters():  # make the translation part matter (init 0.01)
            if p.numel() == 1:
                p.data.fill_(0.5)
        with torch.no_grad():
            a, b = m(**x), m(**moved)
        diff = (a - b).abs().max().item()
        if invariant:
            assert diff < 1e-4, (name, diff)
        else:
            assert diff > 1e-3, (name, diff)


def test_rays_follow_the_contract():
    K = torch.tensor([[20.0, 0, 8], [0, 20.0, 8], [0, 0, 1]])
    E = ring_cameras(1, 1)[0, 0]
    rays = pixel_rays(K, E, 16, 16)
    d = torch.tensor([7 + 0.5 - 8, 3 + 0.5 - 8, 20.0])  # pixel (row 3, col 7) in the camera
    expect = E[:3, :3].T @ (d / d.norm())
    assert torch.allclose(rays[3, 7], expect, atol=1e-6)
    assert torch.allclose(rays_at(K, E, torch.tensor([3.0]), torch.tensor([7.0]))[0], expect, atol=1e-6)


def test_converter_reads_an_official_checkpoint(tmp_path):
    from zoo_gta.convert import from_official

    m = zoo.create(SMALL).eval()
    ckpt = {"encoder": {k: v.clone() + 0.1 for k, v in m.encoder.state_dict().items()},
            "decoder": {"module." + k: v.clone() for k, v in m.decoder.state_dict().items()},
            "optimizer": torch.optim.AdamW(m.parameters()).state_dict(), "epoch_it": 3, "it": 1000, "t": 12.5,
            "loss_val_best": np.float64(31.2), "run_id": "abc123"}
    torch.save(ckpt, tmp_path / "model.pt")
    parts = from_official(tmp_path / "model.pt")
    again = zoo.create(SMALL).eval()
    again.encoder.load_state_dict(parts["encoder"])
    again.decoder.load_state_dict(parts["decoder"])
    for k, v in again.encoder.state_dict().items():
        assert torch.equal(v, ckpt["encoder"][k])
    torch.save({"model": m.state_dict()}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="no 'encoder'"):
        from_official(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError):
        from_official(tmp_path / "missing.pt")


def test_metrics_match_pytorch_msssim_and_the_formula():
    from pytorch_msssim import ssim as ref_ssim

    from zoo_gta.metrics import psnr, ssim, ssim_window

    g = torch.Generator().manual_seed(0)
    a = torch.rand(4, 3, 32, 32, generator=g)
    b = (a + 0.1 * torch.randn(4, 3, 32, 32, generator=g)).clamp(0, 1)
    mse = ((a - b) ** 2).reshape(4, -1).mean(1)
    assert torch.allclose(psnr(b, a), 10 * torch.log10(1 / mse))
    assert torch.allclose(ssim(b, a), ref_ssim(b, a, data_range=1, size_average=False))  # win 11, sigma 1.5
    assert ssim_window(32, 32) == 11 and ssim_window(8, 8) == 7 and ssim_window(10, 12) == 9
    assert ssim(a, a).min() > 0.999


def test_task_evaluates_held_out_scenes_and_poses():
    from zoo_gta.tasks import MultiviewScenesTask, model_inputs, scene_batch

    task = MultiviewScenesTask()
    ds = task.dataset("test")
    b = scene_batch([ds[0], ds[1]])
    inputs, colours = model_inputs(b["images"], b["extrinsics"], b["intrinsics"], 2)
    assert colours.shape == (2, 3, 32 * 32, 3)
    assert torch.equal(colours[1, 2].T.reshape(3, 32, 32), b["images"][1, 4])
    assert torch.allclose(inputs["input_extrinsics"][:, 0], torch.eye(4).expand(2, 4, 4), atol=1e-5)  # canonical
    r = task.evaluate(zoo.create(SMALL).eval(), limit=2)
    assert set(r) == {"psnr", "ssim", "psnr_heldout_poses", "ssim_heldout_poses"}
    assert 3 < r["psnr"] < 30


def test_recipe_schedule_and_smoke(tmp_path):
    from zoo_core.train import train
    from zoo_gta.recipes import lr_factor

    assert lr_factor(0, 10, 100) == pytest.approx(0.1) and lr_factor(9, 10, 100) == pytest.approx(1.0)
    assert lr_factor(110, 10, 100) == pytest.approx(0.16)
    kw = dict(steps=2, progress=False, train_scenes=4, views=5, batch_size=2, pixels=16, warmup=1)
    out, again = train(SMALL, out=tmp_path / "a", **kw), train(SMALL, out=tmp_path / "b", **kw)
    from safetensors.torch import load_file

    x, y = load_file(out / "encoder.safetensors"), load_file(again / "encoder.safetensors")
    assert all(torch.equal(x[k], y[k]) for k in x)  # seeded: the same run twice
    before = zoo.create(SMALL).encoder.state_dict()
    assert any(not torch.equal(x[k], before[k]) for k in x if k in before)


def test_clevrtr_cameras_look_along_their_axis():
    from zoo_gta.paper_tasks import clevrtr_cameras

    E, rays = clevrtr_cameras([[0.9, 0.1, -0.3, 0.2], [0.5, 0.5, 0.5, 0.5]], [[1.0, 2.0, 3.0], [-4.0, 0.5, 2.0]], True)
    assert np.allclose(E[:, :3, :3] @ E[:, :3, :3].transpose(0, 2, 1), np.eye(3), atol=1e-6)
    assert np.allclose(np.linalg.norm(rays, axis=-1), 1)
    centre = rays[:, 119:121, 159:161].mean((1, 2))
    assert np.allclose(centre / np.linalg.norm(centre, axis=-1, keepdims=True), E[:, 2, :3], atol=1e-3)
    # camera positions are recovered from the extrinsics
    pos = -np.einsum("vji,vj->vi", E[:, :3, :3], E[:, :3, 3])
    assert np.allclose(pos, [[1, 2, 3], [-4, 0.5, 2]], atol=1e-6)


def test_figure_shows_inputs_targets_and_renders(tmp_path):
    from zoo_gta.figures import renders
    from zoo_gta.tasks import MultiviewScenesTask

    path = renders(zoo.create(SMALL), MultiviewScenesTask(), tmp_path / "f.png", title="t", n_scenes=1)
    from PIL import Image

    w, h = Image.open(path).size
    assert w > 2 * h  # one row: 2 inputs + 3 x (truth, rendering)


def test_zoo_convert_picks_each_entrys_own_converter():
    """zoo-gta declares two converters; each entry's `converter:` field says which one it takes."""
    import zoo
    from zoo_core.convert import pick_converter

    assert pick_converter(zoo.entry("gta-srt-clevrtr"), None) == "gta-srt-official"
    assert pick_converter(zoo.entry("srt-msn-hard"), None) == "gta-srt-official"
    assert pick_converter(zoo.entry("gta-dit-b2-imagenet256"), None) == "gta-dit-official"
    assert pick_converter(zoo.entry("gta-dit-b2-imagenet256"), "gta-srt-official") == "gta-srt-official"

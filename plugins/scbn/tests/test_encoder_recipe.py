"""The collage-encoder recipe (G, D frozen) through ``zoo train``, and the projection task, on
a small random conditional GAN written in Hub layout."""

import pytest
import torch

import zoo
from zoo_core.train import train
from zoo_core.weights import save_pretrained
from zoo_scbn.projection import CollageEncoder
from zoo_scbn.task_projection import FontDigitsProjection

TINY = {"n_classes": 10, "generator": {"channels": [8, 8, 8, 8]},
        "discriminator": {"channels": [8, 8], "downsample": [True, True]}}


@pytest.fixture(scope="module")
def gan_dir(tmp_path_factory):
    torch.manual_seed(0)
    gan = zoo.create("scbn-fontdigits32")  # for builder / name; then a tiny config of the same class
    tiny = type(gan)(**TINY).eval()
    tiny.zoo_name, tiny.builder, tiny.config = "scbn-tiny-test", "zoo_scbn.models:Collage", TINY
    return save_pretrained(tiny, tmp_path_factory.mktemp("gan") / "tiny"), tiny


def test_encoder_trains_and_leaves_the_gan_alone(gan_dir, tmp_path):
    folder, tiny = gan_dir
    out = train("collage-encoder-fontdigits32", out=tmp_path / "enc", steps=3, progress=False,
                gan=f"local-dir:{folder}", batch_size=4)
    enc = zoo.load(f"local-dir:{out}")
    fresh = zoo.create("collage-encoder-fontdigits32")
    assert isinstance(enc, CollageEncoder)
    assert any((a - b).abs().max() > 0 for a, b in zip(enc.state_dict().values(), fresh.state_dict().values())
               if a.dtype.is_floating_point)
    reloaded = zoo.load(f"local-dir:{folder}")
    for (k, a), b in zip(tiny.state_dict().items(), reloaded.state_dict().values()):
        torch.testing.assert_close(a, b, msg=f"GAN parameter {k} changed")
    assert "G and D frozen" in (out / "README.md").read_text()


def test_encoder_recipe_refuses_a_gan_of_another_latent_size(gan_dir):
    folder, _ = gan_dir
    from zoo_scbn.recipes import collage_encoder

    with pytest.raises(ValueError, match="dim_z=64 does not match"):
        collage_encoder(config={"dim_z": 64, "n_classes": 10}, gan=f"local-dir:{folder}", steps=1)


def test_projection_task_without_steps_scores_the_starts(gan_dir):
    folder, tiny = gan_dir
    enc = CollageEncoder()
    task = FontDigitsProjection(gan=f"local-dir:{folder}", n=4, steps=0)
    r = task.evaluate(enc)
    assert r["n"] == 4
    assert r["psnr_projected_encoder"] == pytest.approx(r["psnr_encoder"], abs=1e-3)   # 0 steps: the start
    assert r["psnr_projected_random"] == pytest.approx(r["psnr_random"], abs=1e-3)
    moved = FontDigitsProjection(gan=f"local-dir:{folder}", n=4, steps=5).evaluate(enc, gan=tiny)
    assert moved["feature_loss_projected_random"] < r["feature_loss_projected_random"]  # Adam lowers Eq. 4's -cos

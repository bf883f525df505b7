"""fontdigits32: deterministic splits, held-out fonts, balanced labels, range; its task."""

import pytest
import torch

from zoo_sngan.fontdigits import TEST_FONTS, TRAIN_FONTS, font_digits32_tensors


def test_splits_shapes_range_balance_and_determinism():
    x, y = font_digits32_tensors("train")
    xt, yt = font_digits32_tensors("test")
    assert x.shape == (12000, 3, 32, 32) and xt.shape == (2000, 3, 32, 32)
    assert torch.equal(y.bincount(), torch.full((10,), 1200))
    for a in (x, xt):
        assert float(a.min()) == -1.0 and 0.9 < float(a.max()) <= 1.0
        assert torch.equal(a[:, 0], a[:, 2])
    x2, y2 = font_digits32_tensors("train")
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x[:1000], xt[:1000])
    assert not set(TRAIN_FONTS) & set(TEST_FONTS)
    # digits are drawn with ink: a real share of pixels, not empty canvases
    ink = (x > 0).float().mean((1, 2, 3))
    assert float(ink.min()) > 0.01 and 0.08 < float(ink.mean()) < 0.35


def test_bad_split():
    with pytest.raises(ValueError, match="Unknown fontdigits32 split 'val'"):
        font_digits32_tensors("val")


def test_recipe_knows_the_dataset():
    from zoo_sngan.recipes import sngan_recipe

    r = sngan_recipe(config={"n_classes": 10}, steps=1, batch_size=4, dataset="fontdigits32")
    assert len(r.dataset(0)) == 12000 and "fontdigits32" in r.data
    with pytest.raises(ValueError, match="fontdigits32"):
        sngan_recipe(config={}, steps=1, batch_size=4, dataset="fontdigitz")


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")
def test_task_classifier_generalises_to_held_out_fonts_and_evaluates():
    from zoo_sngan.models import SNGAN
    from zoo_sngan.task import FontDigitsGeneration

    task = FontDigitsGeneration()
    net = task.feature_net()
    x, y = font_digits32_tensors("test")
    with torch.no_grad():
        pred = net.classify(x).argmax(-1)
    assert (pred[:1000] == y[:1000]).float().mean() > 0.9  # train fonts, new samples
    assert (pred[1000:] == y[1000:]).float().mean() > 0.85  # held-out fonts
    torch.manual_seed(0)
    tiny = SNGAN(n_classes=10, generator={"channels": [8, 8, 8, 8]},
                 discriminator={"channels": [8, 8], "downsample": [True, False], "head_bias": False})
    r = task.evaluate(tiny, limit=40)
    assert set(r) == {"digits_fid", "digits_is", "digits_max_softmax", "digits_intra_fid", "class_accuracy"}
    assert r["class_accuracy"] < 0.5  # an untrained generator ignores its label

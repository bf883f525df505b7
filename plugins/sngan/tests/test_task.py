"""Task generation/digits32: deterministic given the seed, conditional metrics, figures."""

import pytest
import torch

from zoo_sngan.models import SNGAN
from zoo_sngan.task import DigitsGeneration

# untrained nets give near-constant samples, whose feature covariance is singular
pytestmark = pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")


def tiny(n_classes):
    torch.manual_seed(0)
    return SNGAN(n_classes=n_classes, generator={"channels": [8, 8, 8, 8]},
                 discriminator={"channels": [8, 8], "downsample": [True, False], "head_bias": False})


@pytest.fixture(scope="module")
def task():
    return DigitsGeneration()


def test_feature_net_is_a_good_digits_classifier_and_reproducible(task):
    from zoo_sngan.data import digits32_tensors
    from zoo_sngan.task import _feature_net

    net = task.feature_net()
    x, y = digits32_tensors("test")
    with torch.no_grad():
        accuracy = (net.classify(x).argmax(-1) == y).float().mean()
    assert accuracy > 0.9
    _feature_net.cache_clear()
    again = task.feature_net()
    assert again is not net
    for a, b in zip(net.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)


def test_evaluate_is_deterministic_and_seed_dependent(task):
    model = tiny(10)
    a = task.evaluate(model, limit=40, seed=0)
    b = task.evaluate(model, limit=40, seed=0)
    c = task.evaluate(model, limit=40, seed=1)
    assert a == b and a != c
    assert set(a) == {"digits_fid", "digits_is", "digits_max_softmax", "digits_intra_fid", "class_accuracy"}
    assert 1.0 <= a["digits_is"] <= 10.0 and 0.0 <= a["class_accuracy"] <= 1.0
    assert 0.1 <= a["digits_max_softmax"] <= 1.0
    assert not model.training


def test_unconditional_has_no_class_metrics_and_real_data_scores_well(task):
    from zoo_sngan.data import digits32_tensors

    assert set(task.evaluate(tiny(0), limit=40)) == {"digits_fid", "digits_is", "digits_max_softmax"}

    class Replay(torch.nn.Module):  # "generates" the train images: a near-perfect model
        n_classes = 0

        def sample(self, n, labels=None, *, generator=None):
            x, _ = digits32_tensors("train")
            return x[torch.randperm(len(x), generator=generator)[:n]]

    real = task.evaluate(Replay(), limit=400)
    assert real["digits_fid"] < 0.1 * task.evaluate(tiny(0), limit=400)["digits_fid"]
    assert real["digits_is"] > 8
    assert real["digits_max_softmax"] > 0.9 > task.evaluate(tiny(0), limit=400)["digits_max_softmax"]


def test_bad_settings():
    with pytest.raises(ValueError, match="n_fake"):
        DigitsGeneration(n_fake=1)


def test_sample_grid_figure(tmp_path, task):
    from zoo_sngan.figures import image_grid, sample_grids

    [(title, path)] = sample_grids(tiny(10), task, tmp_path, name="tiny", per_class=3)
    assert path.is_file() and path.stat().st_size > 1000 and "class" in title
    grid = image_grid(torch.zeros(6, 3, 4, 4), rows=2)
    assert grid.shape == (2 * 5 - 1, 3 * 5 - 1, 3)
    with pytest.raises(ValueError, match="rows"):
        image_grid(torch.zeros(5, 3, 4, 4), rows=2)

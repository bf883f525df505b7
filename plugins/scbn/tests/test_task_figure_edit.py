"""The editing task, the figure and the edit command on a tiny random Collage model (the
fontdigits classifier is replaced by a stub so the test stays fast)."""

import pytest
import torch

from zoo_scbn import edit as edit_mod
from zoo_scbn.models import Collage
from zoo_scbn.task import FontDigitsEditing


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = Collage(n_classes=10, generator={"channels": [8, 8, 8, 8]},
                discriminator={"channels": [8, 8], "downsample": [True, True]})
    with torch.no_grad():
        for mod in m.generator.modules():
            if hasattr(mod, "gammas"):
                mod.gammas.normal_(1, 0.5), mod.betas.normal_(0, 0.5)
    return m.eval()


class _Stub(torch.nn.Module):  # a "classifier" with fixed random weights
    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.lin = torch.nn.Linear(3 * 32 * 32, 10)

    def classify(self, x):
        return self.lin(x.flatten(1))


def test_task_numbers_are_deterministic_and_local(model, monkeypatch):
    monkeypatch.setattr(FontDigitsEditing, "classifier", lambda self: _Stub())
    task = FontDigitsEditing(n=8)
    a, b = task.evaluate(model), task.evaluate(model)
    assert a == b
    assert set(a) >= {"edit_success_t1", "edit_success_coarse", "edit_success_fine", "base_accuracy",
                      "locality_inside", "locality_outside", "locality_outside_all"}
    assert a["locality_outside"] < 1e-6 < a["locality_inside"]  # fine layers: exactly local
    assert a["locality_outside_all"] > a["locality_outside"]


def test_collage_rows_and_figure(model, tmp_path):
    from zoo_scbn.figures import collage_rows, draw

    rows, labels = collage_rows(model, projection_steps=2)
    assert [r.shape[0] for r in rows] == [5, 5, 5] and len(labels) == 3
    # strength 0 of the label collage is the base class image, 1 of the blend differs from 0
    z = model.sample_latents(2, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(rows[0][0], model.generator(z[:1], torch.tensor([3]))[0], atol=2e-5, rtol=0)
    assert (rows[1][0] - rows[1][-1]).abs().max() > 1e-3
    [(caption, path)] = draw(model, None, tmp_path, name="tiny")
    assert path.is_file() and path.stat().st_size > 1000


def test_edit_command_writes_images_and_rejects_bad_input(model, tmp_path, monkeypatch, capsys):
    from PIL import Image

    import zoo

    img = torch.zeros(40, 40, dtype=torch.uint8)
    img[8:32, 18:22] = 255
    Image.fromarray(img.numpy()).save(tmp_path / "digit.png")
    mask = torch.zeros(40, 40, dtype=torch.uint8)
    mask[:, 20:] = 255
    Image.fromarray(mask.numpy()).save(tmp_path / "mask.png")
    monkeypatch.setattr(zoo, "load", lambda name, pretrained=True: model)
    out = tmp_path / "edited.png"
    assert edit_mod.main([str(tmp_path / "digit.png"), str(tmp_path / "mask.png"), "--source", "1",
                          "--target", "7", "--steps", "2", "--out", str(out)]) == 0
    assert out.is_file() and (tmp_path / "edited-projection.png").is_file()
    assert Image.open(out).size == (32, 32)
    assert edit_mod.main([str(tmp_path / "nope.png"), str(tmp_path / "mask.png"), "--source", "1",
                          "--target", "7"]) == 2
    assert "Cannot read image" in capsys.readouterr().err
    assert edit_mod.main([str(tmp_path / "digit.png"), str(tmp_path / "mask.png"), "--source", "1",
                          "--target", "12", "--steps", "1"]) == 2
    assert "--target must be a class in [0, 10)" in capsys.readouterr().err

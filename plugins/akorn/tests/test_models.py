"""Every catalog entry builds with exactly its config; small models: shapes, gradients, round trip."""

import inspect

import pytest
import torch

from conftest import build, load_catalog

CATALOG = load_catalog()

# parameter counts computed from the official module definitions (research notes, sec. A.4)
EXPECTED_PARAMS = {"akorn-attn-tetrominoes": 278_401, "akorn-attn-clevrtex": 1_167_617, "akorn-sudoku": 2_982_412}


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_catalog_config_is_exact_constructor_kwargs(name):
    entry = CATALOG[name]
    mod, cls = entry["builder"].split(":")
    klass = getattr(__import__(mod, fromlist=[cls]), cls)
    params = inspect.signature(klass.__init__).parameters
    kwonly = {k for k, p in params.items() if p.kind is p.KEYWORD_ONLY}
    assert set(entry["config"]) == kwonly, set(entry["config"]) ^ kwonly


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_catalog_entry_builds_and_runs(name):
    entry = CATALOG[name]
    torch.manual_seed(0)
    model = build(entry["builder"], entry["config"]).eval()
    if name in EXPECTED_PARAMS:
        assert sum(p.numel() for p in model.parameters()) == EXPECTED_PARAMS[name]
    if "T" in entry["config"]:  # one step is enough to check the wiring; T does not change the parameters
        model.T = [1] * len(model.T) if isinstance(model.T, list) else 1
    inputs = model.example_inputs(1)
    with torch.no_grad():
        out = model(**inputs)
    assert torch.isfinite(out).all()
    expected = {"AKOrN": (1, entry["config"].get("ch")), "ItrSA": (1, entry["config"].get("ch")),
                "AKOrNClassifier": (1, 10), "SudokuAKOrN": (1, 9, 9, 9), "SudokuItrSA": (1, 9, 9, 9)}
    assert tuple(out.shape) == expected[type(model).__name__]


SMALL = {
    "akorn-attn": ("zoo_akorn.models.akorn:AKOrN", dict(n=4, ch=16, L=2, T=2, psize=4, imsize=16, heads=2, c_norm="gn")),
    "akorn-conv-omega": ("zoo_akorn.models.akorn:AKOrN", dict(n=4, ch=16, L=1, T=2, psize=4, imsize=16, J="conv", ksize=3,
                                                               use_omega=True, gta=False, use_ro_x=True)),
    "classifier": ("zoo_akorn.models.classification:AKOrNClassifier", dict(n=2, ch=4, L=3, T=1, ksizes=[3, 3, 3])),
    "sudoku": ("zoo_akorn.models.sudoku:SudokuAKOrN", dict(n=4, ch=16, T=2, heads=2, learn_omg=True)),
    "itrsa": ("zoo_akorn.models.itrsa:ItrSA", dict(imsize=16, psize=4, ch=16, heads=2, mlp_dim=32, T=2)),
    "sudoku-itrsa": ("zoo_akorn.models.itrsa:SudokuItrSA", dict(ch=16, blocks=1, heads=2, mlp_dim=32, T=2)),
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_small_model_gradients_and_safetensors_round_trip(name, tmp_path):
    builder, cfg = SMALL[name]
    torch.manual_seed(0)
    model = build(builder, cfg).train()
    inputs = model.example_inputs(2)
    model(**inputs).square().sum().backward()
    unused = {"x0"}  # official Sudoku keeps an unused parameter
    for pname, p in model.named_parameters():
        if p.requires_grad and pname not in unused:
            assert p.grad is not None and torch.isfinite(p.grad).all(), pname
    from safetensors.torch import load_file, save_file

    path = tmp_path / "model.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))  # no shared tensors
    clone = build(builder, cfg).eval()
    clone.load_state_dict(load_file(str(path)), strict=True)
    model.eval()
    with torch.no_grad():
        torch.manual_seed(1)
        a = model(**model.example_inputs(2))
        torch.manual_seed(1)
        b = clone(**clone.example_inputs(2))
    torch.testing.assert_close(a, b)


def test_generator_makes_stochastic_models_reproducible():
    builder, cfg = SMALL["akorn-attn"]
    model = build(builder, cfg).eval()
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        a = model(x, generator=torch.Generator().manual_seed(3))
        b = model(x, generator=torch.Generator().manual_seed(3))
        c = model(x, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_sudoku_keeps_given_cells_and_votes():
    builder, cfg = SMALL["sudoku"]
    model = build(builder, cfg).eval()
    board = model.example_inputs(3)["board"]
    res = model.run(board, T=3, generator=torch.Generator().manual_seed(0))
    assert res["energies"][0].shape == (4, 3) and torch.equal(res["energies"][0][0], torch.zeros(3))
    logits = model.solve(board, T=3, K=3, generator=torch.Generator().manual_seed(0))
    assert logits.shape == (3, 9, 9, 9) and torch.isfinite(logits).all()
    best, runs = model.solve(board, T=3, K=3, generator=torch.Generator().manual_seed(0), return_all=True)
    assert torch.equal(best, logits) and runs.shape == (3, 3, 9, 9, 9)
    # the kept run is the one with the lowest final energy (replayed from the same generator)
    g = torch.Generator().manual_seed(0)
    finals = torch.stack([model.run(board, T=3, generator=g)["energies"][-1][-1] for _ in range(3)])
    for b, k in enumerate(finals.argmin(0).tolist()):
        assert torch.equal(best[b], runs[k, b])
    with pytest.raises(ValueError, match="energy"):
        model.solve(board, energy="mean")


def test_gta_grid_rescaling_runs_on_other_image_sizes():
    builder, cfg = SMALL["akorn-attn"]
    model = build(builder, dict(cfg, autorescale=False)).eval()
    with torch.no_grad():
        feats = model.features(torch.rand(1, 3, 24, 24), generator=torch.Generator().manual_seed(0))
    assert feats.shape == (1, 16, 6, 6)


@pytest.mark.parametrize("bad", [dict(ch=18, n=4), dict(J="dense"), dict(c_norm="bn")])
def test_invalid_config_raises_clear_error(bad):
    cfg = dict(SMALL["akorn-attn"][1], **bad)
    with pytest.raises(ValueError):
        build(SMALL["akorn-attn"][0], cfg)


def test_bad_input_shape_raises():
    model = build(*SMALL["akorn-attn"])
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        model(torch.rand(2, 1, 16, 16))

"""Parity with the official code (runs only with ``--official PATH``; see conftest.py).

Builds small official models, converts their state dicts, and checks that our outputs
and energies match from the same RNG state (the initial oscillators are drawn the same way).
"""

import importlib
import sys
import types
import warnings

import pytest
import torch

from zoo_akorn.convert import convert_state_dict
from zoo_core.testing.parity import untie_parameters

CASES = {
    "akorn-attn-gta": ("source.models.objs.knet", "AKOrN", "zoo_akorn.models.akorn:AKOrN", "image",
                       dict(n=4, ch=32, L=2, T=3, J="attn", c_norm="gn", psize=4, imsize=16, heads=4, gta=True,
                            autorescale=False, use_omega=False)),
    "akorn-conv-omega": ("source.models.objs.knet", "AKOrN", "zoo_akorn.models.akorn:AKOrN", "image",
                         dict(n=4, ch=32, L=1, T=3, J="conv", ksize=3, c_norm="none", psize=4, imsize=16, gta=False,
                              autorescale=False, use_omega=True, init_omg=0.5)),
    "itrsa": ("source.models.objs.vit", "ViT", "zoo_akorn.models.itrsa:ItrSA", "image",
              dict(psize=4, imsize=16, ch=32, blocks=1, heads=4, mlp_dim=64, T=3, maxpool=True, gta=False)),
    "sudoku": ("source.models.sudoku.knet", "SudokuAKOrN", "zoo_akorn.models.sudoku:SudokuAKOrN", "sudoku",
               dict(n=4, ch=32, L=1, T=3, use_omega=True, global_omg=True, init_omg=0.5, learn_omg=True, heads=4)),
    "classifier": ("source.models.classification.knet", "AKOrN", "zoo_akorn.models.classification:AKOrNClassifier",
                   "image32", dict(n=2, ch=8, L=3, T=2, ksizes=[5, 3, 3])),
}


@pytest.fixture(scope="module")
def official(official_path):
    """Import the official model modules. Their Sudoku code imports pandas (for CSV loading
    only); when pandas is absent a stand-in module is registered for the import and removed
    right after, so that nothing else (scikit-learn checks sys.modules) sees it."""
    sys.path.insert(0, official_path)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    stub = None
    if "pandas" not in sys.modules:
        try:
            import pandas  # noqa: F401
        except ImportError:
            from importlib.machinery import ModuleSpec  # (a local `import importlib.x` would shadow the module)

            stub = types.ModuleType("pandas")
            stub.__spec__ = ModuleSpec("pandas", None)
            sys.modules["pandas"] = stub
    try:
        for mod, *_ in CASES.values():
            importlib.import_module(mod)
    finally:
        if stub is not None and sys.modules.get("pandas") is stub:
            del sys.modules["pandas"]
    yield official_path
    sys.path.remove(official_path)


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_match_official(official, name):
    mod, cls, builder, kind, cfg = CASES[name]
    torch.manual_seed(0)
    theirs = getattr(importlib.import_module(mod), cls)(**cfg).eval()
    untie_parameters(theirs)  # the official GTA mat_q/k/v/o share one storage on the CPU: give each its own noise
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(0.05 * torch.randn_like(p))
    bmod, bcls = builder.split(":")
    ours = getattr(importlib.import_module(bmod), bcls)(**cfg).eval()
    ours.load_state_dict(convert_state_dict(theirs.state_dict()), strict=True)
    g = torch.Generator().manual_seed(1)
    if kind == "sudoku":
        board = torch.nn.functional.one_hot(torch.randint(0, 9, (3, 9, 9), generator=g), 9)
        board = (board * (torch.rand(3, 9, 9, 1, generator=g) < 0.4)).int()
        args = (board, board.sum(3, keepdim=True).int())
    else:
        size = 32 if kind == "image32" else 16
        args = (torch.rand(3, 3, size, size, generator=g),)
    with torch.no_grad():
        torch.manual_seed(7)
        a = theirs(*args)
        torch.manual_seed(7)
        b = ours(*args)
    torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-5)
    if name.startswith("akorn") or name == "sudoku":
        with torch.no_grad():
            torch.manual_seed(7)
            _, es = theirs(*args, return_es=True)
            torch.manual_seed(7)
            ours_es = ours.run(*args)["energies"]
        for layer, (e_off, e_ours) in enumerate(zip(es[1:] if name.startswith("akorn") else es, ours_es)):
            torch.testing.assert_close(e_ours, torch.stack(e_off), rtol=1e-5, atol=1e-3, msg=f"energies, block {layer}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_official(official, name):
    """One training-mode forward/backward in float64 (BatchNorm on tiny batches amplifies float32
    rounding): every parameter gradient agrees, mapped by the converter."""
    mod, cls, builder, kind, cfg = CASES[name]
    torch.manual_seed(0)
    theirs = getattr(importlib.import_module(mod), cls)(**cfg).train().double()
    bmod, bcls = builder.split(":")
    ours = getattr(importlib.import_module(bmod), bcls)(**cfg).train().double()
    ours.load_state_dict(convert_state_dict(theirs.state_dict()), strict=True)
    g = torch.Generator().manual_seed(2)
    if kind == "sudoku":
        board = torch.nn.functional.one_hot(torch.randint(0, 9, (2, 9, 9), generator=g), 9)
        board = (board * (torch.rand(2, 9, 9, 1, generator=g) < 0.4)).int()
        args = (board, board.sum(3, keepdim=True).int())
    else:
        size = 32 if kind == "image32" else 16
        args = (torch.rand(2, 3, size, size, generator=g, dtype=torch.float64),)
    target = None
    for model in (theirs, ours):
        torch.manual_seed(9)
        out = model(*args)
        if target is None:
            target = torch.randn(out.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
        (out * target).sum().backward()
    grads_theirs = {k: p.grad for k, p in theirs.named_parameters() if p.grad is not None}
    grads_ours = {k: p.grad for k, p in ours.named_parameters() if p.grad is not None}
    mapped = convert_state_dict(grads_theirs, arch="sudoku" if name == "sudoku" else None)
    assert set(mapped) == set(grads_ours)
    for k, v in mapped.items():
        torch.testing.assert_close(grads_ours[k], v, rtol=1e-8, atol=1e-10, msg=lambda m: f"{k}: {m}")

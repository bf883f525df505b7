"""The conformance kit every plugin's tests run.

``conformance_suite("zoo-akorn")`` returns a pytest test class, parametrized over the
plugin's catalog entries, that checks:

* the entries are valid catalog data and the plugin loaded without problems;
* each architecture builds and runs ``forward`` on ``model.example_inputs()`` with finite output;
* ``save_pretrained`` then ``zoo.load("local-dir:...")`` gives identical tensors and outputs;
* each entry with weights loads through a fake Hub (a HubServer over the repo's ``hub/``
  folder, reached through HF_ENDPOINT) with every sha256 checked.

Usage, in ``plugins/<method>/tests/test_conformance.py``::

    from zoo_core.testing.conformance import conformance_suite
    TestConformance = conformance_suite("zoo-msp", overrides={"msp-mnist": {"dim_m": 8}})
"""

from __future__ import annotations

import contextlib

from pathlib import Path
from typing import Any, Mapping

import pytest


def _names(plugin: str, pretrained: bool = False) -> list[str]:
    import zoo

    return zoo.list_models(plugin=plugin, pretrained=pretrained, include_unavailable=True)


def _flatten(out: Any) -> list:
    import torch

    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, Mapping):
        return [t for v in out.values() for t in _flatten(v)]
    if isinstance(out, (list, tuple)):
        return [t for v in out for t in _flatten(v)]
    return []


def _run(model, inputs) -> list:
    import torch

    torch.manual_seed(0)
    with torch.no_grad():
        out = model(**inputs) if isinstance(inputs, Mapping) else model(*inputs)
    return _flatten(out)


@contextlib.contextmanager
def _served(name: str, hub_dir, tmp_path: Path, monkeypatch, companions: tuple[str, ...] = ()):
    """A fake Hub over a copy of the model's repo (and of its ``companions``' repos: published
    models its task loads, such as the GAN an encoder maps into), an empty cache, HF_ENDPOINT set."""
    import zoo
    from zoo_core.registry import default_registry_path
    from zoo_core.testing.fixtures import start_fake_hub

    root = Path(hub_dir) if hub_dir else default_registry_path().parent / "hub"
    e = zoo.entry(name)
    repo = root / e.weights.repo
    assert repo.is_dir(), f"{name}: weights repo {repo} missing"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with start_fake_hub(tmp_path / "hub") as hub:
        for other in (e, *(zoo.entry(c) for c in companions)):
            repo = root / other.weights.repo
            assert repo.is_dir(), f"{other.name}: weights repo {repo} missing"
            commit = hub.copy_repo(repo, other.weights.repo)
            assert commit == other.weights.revision, (
                f"{other.name}: the catalog pins revision {other.weights.revision} but {repo} holds "
                f"{commit}; republish with `zoo publish --write`")
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


def conformance_suite(plugin: str, *, overrides: Mapping[str, Mapping[str, Any]] | None = None,
                      hub_dir: str | Path | None = None, skip_forward: tuple[str, ...] = (),
                      results_atol: float = 1e-4, skip_results: tuple[str, ...] = (),
                      companions: Mapping[str, tuple[str, ...]] | None = None) -> type:
    """Build the conformance test class for ``plugin`` (a distribution name such as ``zoo-akorn``).

    Args:
        overrides: per-model config overrides that make the build small enough for a test.
        hub_dir: Hub-layout folder with the plugin's published weights (default: ``hub/`` beside
            the registry.yaml in use).
        skip_forward: models too large to run a forward pass in a test (they still build and
            round-trip their weights).
        results_atol: how far a re-evaluation may be from the published ``results``.
        skip_results: pretrained models whose full evaluation is too slow for a test (their
            results are still checked by ``zoo eval NAME`` and the bench report).
        companions: per model, the published models its evaluation loads (served beside it).
    """
    companions = dict(companions or {})
    overrides = dict(overrides or {})
    names = _names(plugin)
    pretrained = _names(plugin, pretrained=True)

    class Conformance:
        def test_plugin_loaded(self):
            import zoo
            from zoo_core.catalog import _norm

            statuses = [p for p in zoo.plugins() if p["distribution"] and _norm(p["distribution"]) == _norm(plugin)]
            assert statuses, f"plugin {plugin} is not installed (entry-point group zoo.plugins)"
            assert statuses[0]["status"] == "ok", statuses[0]["error"]
            assert not statuses[0]["warnings"], statuses[0]["warnings"]
            assert not zoo.catalog_errors(), zoo.catalog_errors()
            assert names, f"plugin {plugin} provides no models"

        @pytest.mark.parametrize("name", names)
        def test_entry_valid(self, name):
            import zoo
            from zoo_core.catalog import parse_catalog

            e = zoo.entry(name)
            again = parse_catalog({name: e.to_dict()}, source="roundtrip")
            assert not again.errors, again.errors
            assert again.entries[name].to_dict() == e.to_dict()
            assert e.task, f"{name}: every entry names its task"
            assert e.provenance.get("license"), f"{name}: provenance.license is required"
            assert e.provenance.get("paper"), f"{name}: provenance.paper is required"

        @pytest.mark.parametrize("name", names)
        def test_builds_and_runs(self, name):
            import torch

            import zoo

            model = zoo.create(name, **overrides.get(name, {}))
            from zoo_core.interfaces import Model

            assert isinstance(model, Model), f"{name}: builders must return zoo_core.interfaces.Model"
            if name in skip_forward:
                return
            model.eval()
            outs = _run(model, model.example_inputs())
            assert outs, f"{name}: forward returned no tensors"
            for t in outs:
                if t.is_floating_point():
                    assert torch.isfinite(t).all(), f"{name}: non-finite output"

        @pytest.mark.parametrize("name", names)
        def test_save_load_roundtrip(self, name, tmp_path):
            import torch

            import zoo

            model = zoo.create(name, **overrides.get(name, {})).eval()
            model.save_pretrained(tmp_path / "saved")
            again = zoo.load(f"local-dir:{tmp_path / 'saved'}")
            a, b = model.state_dict(), again.state_dict()
            assert a.keys() == b.keys()
            for k in a:
                assert torch.equal(a[k], b[k]), f"{name}: {k} changed in the round trip"
            assert again.config == model.config and again.zoo_name == model.zoo_name
            if name not in skip_forward:
                inputs = model.example_inputs()
                for x, y in zip(_run(model, inputs), _run(again, inputs)):
                    assert torch.equal(x, y), f"{name}: outputs differ after the round trip"

        @pytest.mark.parametrize("name", pretrained)
        def test_pretrained_through_hub(self, name, tmp_path, monkeypatch):
            import zoo

            with _served(name, hub_dir, tmp_path, monkeypatch) as hub:
                model = zoo.load(name, pretrained=True)
                assert hub.gets(".safetensors") == len(zoo.entry(name).weights.files)
            assert not model.training

        @pytest.mark.parametrize("name", [n for n in pretrained if n not in skip_results])
        def test_published_results_reproduce(self, name, tmp_path, monkeypatch):
            import zoo
            from zoo_core.eval import evaluate

            e = zoo.entry(name)
            assert e.results, f"{name}: published weights need results (zoo eval {name} --write)"
            with _served(name, hub_dir, tmp_path, monkeypatch, tuple(companions.get(name, ()))):
                measured = evaluate(name)
            for key, value in e.results.items():
                assert key in measured, f"{name}: the task no longer reports {key!r}"
                if isinstance(value, (int, float)):
                    assert abs(measured[key] - value) <= results_atol, (
                        f"{name}: {key} is {measured[key]}, registry says {value}")

    if not pretrained:  # nothing published: no test rather than a skipped one
        delattr(Conformance, "test_pretrained_through_hub")
        delattr(Conformance, "test_published_results_reproduce")
    Conformance.__name__ = Conformance.__qualname__ = f"Conformance_{plugin.replace('-', '_')}"
    return Conformance


__all__ = ["conformance_suite"]

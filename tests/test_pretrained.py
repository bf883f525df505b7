"""Model.from_pretrained / push_to_hub: the HF conventions, round-tripped through a fake Hub API."""

import http.client
import json
import os
import subprocess
import sys
import textwrap

from huggingface_hub import constants  # noqa: F401  read before HF_ENDPOINT is set, as in a long-lived process
import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo_core.errors import ModelClassError, UnknownModelError, ZooError
from zoo_core.hub import sha256_file
from zoo_core.hubserver import HubFolder, serve_in_thread
from zoo_core.interfaces import Model, ModelCard

from conftest import plugin_source

TOKEN = "hf_test_write_token"


def registry_yaml(path, entries):
    """A first-party registry.yaml whose entries the test plugin zoo-pub provides."""
    lines = []
    for name, (builder, config, weights) in entries.items():
        lines += [f"{name}:", "  plugin: zoo-pub", f"  builder: zoo_test_models:{builder}",
                  f"  config: {json.dumps(config)}", "  task: test/tiny",
                  "  provenance: {license: MIT, paper: none}"]
        if weights:
            lines += ["  results: {mse: 0.25}", f"  weights: {json.dumps(weights)}"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def pub(site, only_plugins, tmp_path):
    """Install the test plugin zoo-pub; returns select(entries) that (re)builds the registry."""
    site("zoo-pub", plugin_source({}))

    def select(**entries):
        return only_plugins("zoo-pub", registry_yaml=registry_yaml(tmp_path / "registry.yaml", entries))

    select(**{"tiny-push-test": ("Tiny", {"width": 4}, None),
              "pair-push-test": ("Pair", {"width": 4}, None)})
    return select


def card(name="tiny-push-test", **results):
    return ModelCard(name=name, summary="a test model", license="MIT", task="test/tiny",
                     results=results or {"mse": 0.5})


def test_push_then_from_pretrained_in_a_fresh_process(pub, fake_hub_api, tmp_path):
    fake_hub_api.server.write_token = TOKEN
    tiny = zoo.create("tiny-push-test", width=8)  # config.json must carry the override
    pair = zoo.create("pair-push-test")
    pushed = {repo: model.push_to_hub(repo, token=TOKEN, card=card(model.zoo_name))
              for repo, model in (("zoo-test/tiny", tiny), ("zoo-test/pair", pair))}

    for repo, up in pushed.items():  # the returned entry pins what the server now holds
        repo_dir = fake_hub_api.root / repo
        assert up.weights["repo"] == repo
        assert up.weights["revision"] == up.commit.oid == HubFolder(fake_hub_api.root).commit(repo_dir)
        for spec in up.weights["files"].values():
            path = repo_dir / spec["file"]
            assert spec["sha256"] == sha256_file(path) and spec["bytes"] == path.stat().st_size
        assert "mse" in (repo_dir / "README.md").read_text()
    assert sorted(p.name for p in (fake_hub_api.root / "zoo-test" / "pair").iterdir()) == \
        ["README.md", "config.json", "discriminator.safetensors", "generator.safetensors"]

    # a fresh process, an empty cache, the pushed folder served by the server `zoo hub serve` runs;
    # loaded by Hub repo id and by a registry name whose weights are the entry push_to_hub returned
    pub(**{"tiny-pushed-test": ("Tiny", {"width": 8}, pushed["zoo-test/tiny"].weights),
           "pair-pushed-test": ("Pair", {"width": 4}, pushed["zoo-test/pair"].weights)})
    script = textwrap.dedent(f"""
        import os, sys
        from safetensors.torch import save_file
        from zoo_core.interfaces import Model
        from zoo_test_models import Pair, Tiny
        assert not os.listdir(os.environ["HF_HUB_CACHE"])
        for i, (cls, name) in enumerate([(Model, "zoo-test/tiny"), (Tiny, "tiny-pushed-test"),
                                         (Model, "zoo-test/pair"), (Pair, "pair-pushed-test")]):
            m = cls.from_pretrained(name)
            assert m.config == ({{"width": 8}} if "tiny" in name else {{"width": 4}}), m.config
            save_file({{k: v.contiguous() for k, v in m.state_dict().items()}}, f"{tmp_path}/out{{i}}.safetensors")
    """)
    cache = tmp_path / "fresh-cache"
    cache.mkdir()
    with serve_in_thread(fake_hub_api.root) as reader:
        env = {**os.environ, "HF_ENDPOINT": reader.url, "HF_HUB_CACHE": str(cache),
               "PYTHONPATH": os.pathsep.join(sys.path)}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        assert sum(n for (m, p), n in reader.requests.items() if m == "GET" and p.endswith(".safetensors")) == 3  # the registry loads find that commit cached
    for i, model in enumerate([tiny, tiny, pair, pair]):
        loaded, own = load_file(str(tmp_path / f"out{i}.safetensors")), model.state_dict()
        assert loaded.keys() == own.keys()
        assert all(loaded[k].dtype == own[k].dtype and torch.equal(loaded[k], own[k]) for k in own)


def test_push_without_the_token_is_refused(pub, fake_hub_api, monkeypatch):
    fake_hub_api.server.write_token = TOKEN
    model = zoo.create("tiny-push-test")
    for token in (None, "hf_wrong"):
        with pytest.raises(ZooError, match=r"refused the push to zoo-test/tiny at http://127\.0\.0\.1:\d+ "
                                           r"\(401.*pass token=\.\.\., set HF_TOKEN"):
            model.push_to_hub("zoo-test/tiny", token=token, card=card())
    assert not (fake_hub_api.root / "zoo-test").exists()
    monkeypatch.setenv("HF_TOKEN", TOKEN)  # the token huggingface_hub finds by itself
    assert model.push_to_hub("zoo-test/tiny", card=card()).weights["revision"]


def test_push_checks_the_folder_before_sending_anything(pub, fake_hub_api):
    model = zoo.create("tiny-push-test")
    with pytest.raises(ZooError, match=r"tiny-push-test is not ready to push to zoo-test/tiny:\n"
                                       r"  - README.md reports no results.*\n.*card=ModelCard"):
        model.push_to_hub("zoo-test/tiny")  # the catalog's card, no results for these weights
    with pytest.raises(ZooError, match="no license"):
        model.push_to_hub("zoo-test/tiny", card="---\ntags: [x]\nmodel-index: []\n---\n# tiny\n")
    assert not any(method == "POST" for method, _ in fake_hub_api.server.requests)


def test_default_card_keeps_results_only_for_the_weights_they_describe(pub, fake_hub_api):
    weights = fake_hub_api.publish(zoo.create("tiny-push-test"), "zoo-test/original")
    pub(**{"tiny-push-test": ("Tiny", {"width": 4}, weights)})
    model = Model.from_pretrained("tiny-push-test")
    mirror = model.push_to_hub("zoo-test/mirror")  # the published files, unchanged: results apply
    assert mirror.weights["files"] == weights["files"]
    readme = (fake_hub_api.root / "zoo-test" / "mirror" / "README.md").read_text()
    assert "license: MIT" in readme and "value: 0.25" in readme
    with torch.no_grad():
        model.lin.weight.add_(1.0)  # fine-tuned: the catalog's results no longer describe it
    with pytest.raises(ZooError, match="reports no results"):
        model.push_to_hub("zoo-test/changed")


def test_same_weights_save_to_the_same_bytes(pub, tmp_path):
    """The default card (and content-derived commits) compare sha256: saving must be reproducible."""
    from safetensors import safe_open

    model = zoo.create("pair-push-test")
    digests = set()
    for i in range(12):  # safetensors used to write its metadata map in a new order each time
        folder = model.save_pretrained(tmp_path / f"copy{i}")
        digests.add(sha256_file(folder / "generator.safetensors"))
    assert len(digests) == 1
    with safe_open(str(folder / "generator.safetensors"), "pt") as f:
        assert f.metadata() == {"component": "generator", "zoo_name": "pair-push-test"}
        assert torch.equal(f.get_tensor("weight"), model.generator.weight)


def test_from_pretrained_names_folders_and_classes(pub, tmp_path, monkeypatch):
    tiny, pair = zoo.create("tiny-push-test"), zoo.create("pair-push-test")
    Tiny, Pair = type(tiny), type(pair)  # the classes the builders are (zoo caches builders)
    saved = tiny.save_pretrained(tmp_path / "saved")
    monkeypatch.chdir(tmp_path)
    for arg in (saved, "saved", f"local-dir:{saved}"):  # a Path, a relative folder, the prefix
        loaded = Tiny.from_pretrained(arg)
        assert type(loaded) is Tiny and torch.equal(loaded.lin.weight, tiny.lin.weight)
    assert isinstance(Model.from_pretrained(saved, map_location="cpu"), Tiny)  # any model
    with pytest.raises(ZooError, match="disagree"):
        Tiny.from_pretrained(saved, device="cpu", map_location="meta")
    with pytest.raises(ModelClassError, match=r"builds a zoo_test_models\.Tiny, not a zoo_test_models\.Pair"):
        Pair.from_pretrained(saved)
    with pytest.raises(ZooError, match="local folder, which has no revisions"):
        Tiny.from_pretrained(saved, revision="main")
    with pytest.raises(UnknownModelError, match="did you mean 'tiny-push-test'"):
        Model.from_pretrained("tiny-psuh-test")
    with pytest.raises(ZooError, match="has no published weights"):
        Model.from_pretrained("tiny-push-test")
    pair.save_pretrained(tmp_path / "pair")
    part = Pair.from_pretrained(tmp_path / "pair", components=["generator"])
    assert part.discriminator is None and torch.equal(part.generator.weight, pair.generator.weight)


def test_org_repo_is_a_hub_repo(pub, fake_hub_api):
    from zoo_core.pretrained import load_name

    model = zoo.create("tiny-push-test")
    up = model.push_to_hub("zoo-test/tiny", card=card())
    assert load_name("zoo-test/tiny") == "hf-hub:zoo-test/tiny"
    assert load_name("tiny-push-test") == "tiny-push-test"
    for name, revision in (("zoo-test/tiny", None), (f"zoo-test/tiny@{up.commit.oid}", None),
                           ("zoo-test/tiny", up.commit.oid)):
        loaded = Model.from_pretrained(name, revision=revision)
        assert torch.equal(loaded.lin.weight, model.lin.weight) and loaded.zoo_name == "tiny-push-test"
    with pytest.raises(ZooError, match="zoo-test/nothing.*not found"):
        Model.from_pretrained("zoo-test/nothing")


def test_push_errors_name_the_endpoint_and_branch(pub, fake_hub_api):
    model = zoo.create("tiny-push-test")
    with pytest.raises(ZooError, match="branch 'dev' was not found.*create_branch"):
        model.push_to_hub("zoo-test/tiny", branch="dev", card=card())
    with pytest.raises(ZooError, match=r"zoo-test/tiny at http://127\.0\.0\.1:9 failed: .*HF_ENDPOINT"):
        model.push_to_hub("zoo-test/tiny", endpoint="http://127.0.0.1:9", card=card())


def test_zoo_publish_uploads_through_hf_endpoint(pub, fake_hub_api, tmp_path, capsys):
    """`zoo publish` (no --local) goes to the HF_ENDPOINT of the moment, like every download."""
    from zoo_core.cli import main

    folder = zoo.create("tiny-push-test").save_pretrained(tmp_path / "run", card=card().render())
    assert main(["publish", str(folder), "--repo", "zoo-test/published"]) == 0
    repo_dir = fake_hub_api.root / "zoo-test" / "published"
    assert f"revision: {HubFolder(fake_hub_api.root).commit(repo_dir)}" in capsys.readouterr().out
    assert (repo_dir / "model.safetensors").read_bytes() == (folder / "model.safetensors").read_bytes()


def post(server, path, body, headers=None):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("POST", path, body=body, headers=headers or {})
    resp = conn.getresponse()
    return resp.status, resp.read()


def test_fake_hub_api_refuses_what_it_cannot_store(fake_hub_api):
    server, root = fake_hub_api.server, fake_hub_api.root
    assert post(server, "/api/repos/create", json.dumps({"name": "r", "organization": "o"}))[0] == 200
    commit = "/api/models/o/r/commit/main"
    header = json.dumps({"key": "header", "value": {"summary": "x"}}) + "\n"
    for line in ({"key": "file", "value": {"path": "../escape", "content": "eA==", "encoding": "base64"}},
                 {"key": "file", "value": {"path": ".hidden", "content": "eA==", "encoding": "base64"}},
                 {"key": "lfsFile", "value": {"path": "big.bin", "algo": "sha256", "oid": "0" * 64, "size": 1}},
                 {"key": "file", "value": {"path": "a.txt", "content": "not base64!", "encoding": "base64"}}):
        assert post(server, commit, header + json.dumps(line))[0] == 400, line
    assert post(server, "/api/models/o/missing/commit/main", header)[0] == 404
    assert post(server, "/api/models/o/r/commit/dev", header)[0] == 404
    assert sorted(p.name for p in root.rglob("*")) == ["o", "r"]  # nothing was written
    ok = {"key": "file", "value": {"path": "sub/a.txt", "content": "eA==", "encoding": "base64"}}
    status, body = post(server, commit, header + json.dumps(ok))
    assert status == 200 and json.loads(body)["commitOid"] == HubFolder(root).commit(root / "o" / "r")
    assert (root / "o" / "r" / "sub" / "a.txt").read_bytes() == b"x"

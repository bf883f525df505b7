"""Weights through the Hub path: download, sha256, cache, offline, faults, concurrency."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

import zoo
from zoo_core.errors import WeightsDownloadError, WeightsIntegrityError
from zoo_core.hubserver import HubRequestHandler
from zoo_core.testing.fixtures import start_fake_hub

from conftest import plugin_source

REPO = "zoo-test/tiny-wide"


def tiny(width=256, name="tiny-wide-test"):
    from zoo_test_models import Tiny

    model = Tiny(width=width)
    model.zoo_name, model.builder, model.config = name, "zoo_test_models:Tiny", {"width": width}
    return model


def catalog_entry(name: str, repo: str, revision: str, spec: dict, width: int = 256) -> str:
    """One registry.yaml entry of plugin zoo-pub whose weights are one ``model`` file."""
    return textwrap.dedent(f"""\
        {name}:
          plugin: zoo-pub
          builder: zoo_test_models:Tiny
          config: {{width: {width}}}
          weights:
            repo: {repo}
            revision: {revision}
            files:
              model: {{file: {spec['file']}, sha256: {spec['sha256']}, bytes: {spec['bytes']}}}
        """)


@pytest.fixture
def published(site, only_plugins, fake_hub, tmp_path):
    """A first-party entry whose weights (about 260 kB) sit in a fake hub."""
    site("zoo-pub", plugin_source({}))
    model = tiny()
    weights = fake_hub.publish(model, REPO)
    registry = tmp_path / "registry.yaml"
    registry.write_text(catalog_entry("tiny-wide-test", REPO, weights["revision"], weights["files"]["model"]))
    only_plugins("zoo-pub", registry_yaml=registry)
    return model


def cached_files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.is_file() and "snapshots" in p.parts)


def test_download_verify_and_cache(published, fake_hub, hub_cache):
    model = zoo.load("tiny-wide-test", pretrained=True)
    assert torch.equal(model.lin.weight, published.lin.weight) and not model.training
    assert fake_hub.gets(".safetensors") == 1
    fake_hub.server.requests.clear()
    zoo.load("tiny-wide-test", pretrained=True)
    assert not fake_hub.server.requests, "a pinned, cached revision must make no request"


def test_cached_load_works_with_server_down(published, fake_hub, hub_cache, monkeypatch):
    zoo.load("tiny-wide-test", pretrained=True)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    zoo.load("tiny-wide-test", pretrained=True)


def test_offline_switches(published, fake_hub, hub_cache, monkeypatch):
    with zoo.offline(), pytest.raises(WeightsDownloadError, match="offline mode"):
        zoo.load("tiny-wide-test", pretrained=True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsDownloadError, match="zoo download"):
        zoo.load("tiny-wide-test", pretrained=True)
    assert fake_hub.gets() == 0
    monkeypatch.delenv("HF_HUB_OFFLINE")
    zoo.load("tiny-wide-test", pretrained=True)
    with zoo.offline():
        zoo.load("tiny-wide-test", pretrained=True)


def test_corrupted_cache_detected_then_repaired(published, fake_hub, hub_cache):
    zoo.load("tiny-wide-test", pretrained=True)
    blob = next(p for p in hub_cache.rglob("*") if p.is_file() and "blobs" in p.parts)
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(WeightsIntegrityError, match="corrupted.*zoo download") as info:
        zoo.load("tiny-wide-test", pretrained=True)
    assert str(blob.name) in str(Path(info.value.path).resolve())
    zoo.load("tiny-wide-test", pretrained=True, force_download=True)
    zoo.load("tiny-wide-test", pretrained=True)


def test_server_down_gives_clear_error(published, hub_cache, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(WeightsDownloadError, match="could not reach http://127.0.0.1:9"):
        zoo.load("tiny-wide-test", pretrained=True)
    assert cached_files(hub_cache) == []


class Faulty(HubRequestHandler):
    mode = "ok"

    def _route(self, head):
        if self.mode == "500" and "/resolve/" in self.path and not head:
            return self._error(500, "ServerError", "internal error")
        return super()._route(head)

    def send_file(self, f, start, end):
        f.seek(start)
        data = f.read(end - start)
        if self.mode == "close":  # half the bytes, then hang up
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
        elif self.mode == "wrong":  # right length, wrong content
            self.wfile.write(bytes(b ^ 0x5A for b in data))
        else:
            self.wfile.write(data)


class Truncated(Faulty):
    """Headers that agree with each other, but a shorter file than the catalog says."""

    def _resolve(self, repo, rev, rel, head):
        if rel.endswith(".safetensors"):
            found = self._repo(repo, rev)
            repo_dir, commit = found
            path = self.server.folder.resolve_file(repo_dir, rel)
            data = path.read_bytes()[:1000]
            self.send_response(200)
            self.send_header("X-Repo-Commit", commit)
            self.send_header("ETag", '"truncated"')
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not head:
                self.wfile.write(data)
            return
        return super()._resolve(repo, rev, rel, head)


@pytest.mark.parametrize("handler, mode, words", [
    (Faulty, "500", "failed"),
    (Faulty, "close", "failed"),
    (Faulty, "wrong", "removed from the cache"),
    (Truncated, "ok", "removed from the cache"),
])
def test_faulty_server_leaves_no_corrupt_file(published, fake_hub, hub_cache, monkeypatch,
                                              handler, mode, words):
    monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", "5")
    handler.mode = mode
    with start_fake_hub(fake_hub.root, handler=handler) as bad:
        monkeypatch.setenv("HF_ENDPOINT", bad.url)
        with pytest.raises((WeightsDownloadError, WeightsIntegrityError), match=words):
            zoo.load("tiny-wide-test", pretrained=True)
    assert not any(n.endswith(".safetensors") for n in cached_files(hub_cache))
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)  # a good server afterwards: loads fine
    model = zoo.load("tiny-wide-test", pretrained=True)
    assert torch.equal(model.lin.weight, published.lin.weight)


class Slow(HubRequestHandler):
    def send_file(self, f, start, end):
        time.sleep(0.5)  # keep the first download in flight while the others arrive
        super().send_file(f, start, end)


def test_four_processes_download_once(published, fake_hub, hub_cache, tmp_path, monkeypatch):
    go = tmp_path / "go"
    script = textwrap.dedent(f"""
        import os, time, zoo
        while not os.path.exists({str(go)!r}):
            time.sleep(0.01)
        model = zoo.load("tiny-wide-test", pretrained=True)
        print(float(model.lin.weight.double().sum()))
    """)
    with start_fake_hub(fake_hub.root, handler=Slow) as slow:
        env = {**os.environ, "HF_ENDPOINT": slow.url, "PYTHONPATH": os.pathsep.join(sys.path)}
        procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
        time.sleep(1.0)
        go.touch()
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
        assert slow.gets(".safetensors") == 1
    expected = float(published.lin.weight.detach().double().sum())
    assert [float(out) for out, _ in outs] == [expected] * 4


def test_hf_hub_prefix_and_revision(published, fake_hub, hub_cache):
    commit = zoo.entry("tiny-wide-test").weights.revision
    for name in ("hf-hub:" + REPO, f"hf-hub:{REPO}@{commit}"):
        model = zoo.load(name)
        assert model.zoo_name == "tiny-wide-test" and torch.equal(model.lin.weight, published.lin.weight)
    model = zoo.load("tiny-wide-test", revision="main")  # another revision: checked against its config.json
    assert torch.equal(model.lin.weight, published.lin.weight)
    with pytest.raises(WeightsDownloadError, match="not found"):
        zoo.load(f"hf-hub:{REPO}@v0")


def test_download_then_offline(published, fake_hub, hub_cache, tmp_path, capsys):
    from zoo_core.cli import main

    other = tmp_path / "other-cache"
    assert main(["download", "tiny-*", "--cache-dir", str(other)]) == 0
    assert "tiny-wide-test:" in capsys.readouterr().out
    with zoo.offline():
        zoo.load("tiny-wide-test", cache_dir=other)
        with pytest.raises(WeightsDownloadError):
            zoo.load("tiny-wide-test")  # the default cache is still empty


# --- who is wrong, and what a forced download may touch ------------------------------------

def test_fresh_mismatch_names_the_catalog_pin_or_the_server(published, fake_hub, hub_cache, tmp_path):
    registry = tmp_path / "registry.yaml"
    text = registry.read_text()
    sha = zoo.entry("tiny-wide-test").weights.files["model"].sha256
    registry.write_text("# a comment shifts the entry to line 2\n" + text.replace(sha, "f" * 64))
    zoo.refresh(zoo.registry().host, registry_path=registry)
    with pytest.raises(WeightsIntegrityError) as info:
        zoo.load("tiny-wide-test")
    text = str(info.value)
    assert f"the catalog pin of tiny-wide-test (plugin zoo-pub, {registry}:2)" in text
    assert "or the server" in text


@pytest.fixture
def shared(site, only_plugins, fake_hub, tmp_path):
    """Two entries whose files have the same bytes: one blob in the Hub cache, two snapshot links."""
    site("zoo-pub", plugin_source({}))
    weights = fake_hub.publish(tiny(), "zoo-test/shared")
    folder = fake_hub.root / "zoo-test" / "shared"
    (folder / "copy.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    revision = fake_hub.server.folder.commit(folder)
    spec = weights["files"]["model"]
    registry = tmp_path / "registry.yaml"
    registry.write_text(catalog_entry("tiny-a-test", "zoo-test/shared", revision, spec)
                        + catalog_entry("tiny-b-test", "zoo-test/shared", revision, {**spec, "file": "copy.safetensors"}))
    only_plugins("zoo-pub", registry_yaml=registry)
    return registry


def blobs(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file() and "blobs" in p.parts]


def test_forced_download_never_breaks_a_model_sharing_the_blob(shared, fake_hub, hub_cache, monkeypatch):
    zoo.download("tiny-*-test")
    assert len(blobs(hub_cache)) == 1  # same content, same blob
    Faulty.mode = "wrong"
    with start_fake_hub(fake_hub.root, handler=Faulty) as bad:
        monkeypatch.setenv("HF_ENDPOINT", bad.url)
        with pytest.raises(WeightsIntegrityError, match="removed from the cache"):
            zoo.download("tiny-a-test", force_download=True)
    with zoo.offline():
        zoo.load("tiny-b-test")  # the other model's file is intact
        zoo.load("tiny-a-test")  # and so is this one's: the bad bytes never replaced it
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    zoo.download("tiny-a-test", force_download=True)
    assert fake_hub.gets("/model.safetensors") == 2 and len(blobs(hub_cache)) == 1
    with zoo.offline():
        zoo.load("tiny-a-test")
        zoo.load("tiny-b-test")


def test_wrong_pin_does_not_delete_a_blob_another_model_uses(shared, fake_hub, hub_cache):
    zoo.load("tiny-b-test")
    text = shared.read_text()
    spec = zoo.entry("tiny-a-test").weights.files["model"]
    head, _, tail = text.partition("tiny-b-test:")
    shared.write_text(head.replace(spec.sha256, "f" * 64) + "tiny-b-test:" + tail)
    zoo.refresh(zoo.registry().host, registry_path=shared)
    with pytest.raises(WeightsIntegrityError) as info:
        zoo.load("tiny-a-test")
    with zoo.offline():
        zoo.load("tiny-b-test")
    assert "the catalog pin of tiny-a-test" in str(info.value)


# --- branches follow the server ---------------------------------------------------------

def test_hf_hub_without_revision_follows_main(published, fake_hub, hub_cache, monkeypatch):
    first = zoo.load("hf-hub:" + REPO)
    old_commit = zoo.entry("tiny-wide-test").weights.revision
    newer = tiny()
    assert not torch.equal(newer.lin.weight, first.lin.weight)
    new_commit = fake_hub.publish(newer, REPO)["revision"]
    assert new_commit != old_commit
    assert torch.equal(zoo.load("hf-hub:" + REPO).lin.weight, newer.lin.weight)  # main moved on
    with zoo.offline():  # offline: the cached ref, which now names the new commit
        assert torch.equal(zoo.load("hf-hub:" + REPO).lin.weight, newer.lin.weight)
        assert torch.equal(zoo.load(f"hf-hub:{REPO}@{old_commit}").lin.weight, first.lin.weight)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # server gone: the cached main, said out loud
    with pytest.warns(UserWarning, match="unreachable.*cached 'main'"):
        assert torch.equal(zoo.load("hf-hub:" + REPO).lin.weight, newer.lin.weight)


# --- unreachable, not found, and how fast we say so ---------------------------------------

def test_unresolvable_host_fails_fast(published, hub_cache, monkeypatch):
    import socket

    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):  # answer for .invalid here: no DNS query leaves the machine
        if str(host).endswith(".invalid"):
            time.sleep(0.2)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    monkeypatch.setenv("HF_ENDPOINT", "http://nonexistent.invalid")
    start = time.perf_counter()
    with pytest.raises(WeightsDownloadError, match="'nonexistent.invalid' does not resolve") as info:
        zoo.load("tiny-wide-test")
    assert time.perf_counter() - start < 5 and info.value.kind == "unreachable"


def test_closed_port_fails_fast(published, hub_cache, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    start = time.perf_counter()
    with pytest.raises(WeightsDownloadError, match="nothing accepts connections at 127.0.0.1:9") as info:
        zoo.load("tiny-wide-test")
    assert time.perf_counter() - start < 5 and info.value.kind == "unreachable"


def test_no_network_says_how_to_serve_the_checkouts_hub(published, fake_hub, hub_cache, tmp_path,
                                                        monkeypatch):
    import socket

    def no_dns(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.delenv("HF_ENDPOINT")  # huggingface.co, which must not resolve here
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    start = time.perf_counter()
    with pytest.raises(WeightsDownloadError) as info:
        zoo.load("tiny-wide-test")
    assert time.perf_counter() - start < 5
    text = str(info.value)
    assert "'huggingface.co' does not resolve" in text
    assert f"zoo hub serve {tmp_path / 'hub'}" in text and "HF_ENDPOINT" in text


def test_404_is_not_called_unreachable(published, hub_cache, tmp_path, monkeypatch):
    import http.server
    import threading

    empty = tmp_path / "empty"
    empty.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):  # a web server, not a Hub: 404 for everything
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(empty), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(WeightsDownloadError, match="answered HTTP 404") as info:
            zoo.load("tiny-wide-test")
    finally:
        server.shutdown()
        server.server_close()
    assert info.value.kind == "not_found" and "could not reach" not in str(info.value)


# --- names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, words", [
    ("hf-hub:a/b/c", "looks like 'org/name'"),
    ("hf-hub:", "looks like 'org/name'"),
    ("hf-hub:just-a-name", "looks like 'org/name'"),
    ("hf-hub:../etc", "looks like 'org/name'"),
    ("hf-hub:org--x/y", "looks like 'org/name'"),
    ("hf-hub:org/na me", "looks like 'org/name'"),
    (f"hf-hub:{REPO}@", "is not a revision"),
    (f"hf-hub:{REPO}@../../outside", "is not a revision"),
    (f"hf-hub:{REPO}@/main", "is not a revision"),
])
def test_bad_hub_names(published, fake_hub, hub_cache, name, words):
    from zoo_core.errors import HubReferenceError

    with pytest.raises(HubReferenceError, match=words):
        zoo.load(name)
    assert not fake_hub.server.requests
    assert not any(hub_cache.iterdir())


def test_revision_given_twice_must_agree(published, fake_hub, hub_cache):
    with pytest.raises(zoo.ZooError, match="give one"):
        zoo.load(f"hf-hub:{REPO}@main", revision="v2")


# --- config.json in a Hub repo --------------------------------------------------------------

@pytest.mark.parametrize("change, words", [
    (lambda c: c.pop("files"), "'files' must name"),
    (lambda c: c.update(files={}), "'files' must name"),
    (lambda c: c["files"]["model"].update(file="../good/model.safetensors"), "leaves its folder"),
    (lambda c: c["files"]["model"].update(file="/etc/model.safetensors"), "not a relative"),
    (lambda c: c["files"]["model"].pop("sha256"), "expected {file, sha256, bytes}"),
])
def test_hostile_config_json_in_a_hub_repo(published, fake_hub, hub_cache, change, words):
    import json

    from zoo_core.errors import CheckpointError

    path = fake_hub.root / REPO / "config.json"
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=words):
        zoo.load("hf-hub:" + REPO)

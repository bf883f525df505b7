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


@pytest.fixture
def published(site, only_plugins, fake_hub, tmp_path):
    """A first-party entry whose weights (about 260 kB) sit in a fake hub."""
    site("zoo-pub", plugin_source({}))
    from zoo_test_models import Tiny

    model = Tiny(width=256)
    model.zoo_name, model.builder, model.config = "tiny-wide-test", "zoo_test_models:Tiny", {"width": 256}
    weights = fake_hub.publish(model, REPO)
    spec = weights["files"]["model"]
    registry = tmp_path / "registry.yaml"
    registry.write_text(textwrap.dedent(f"""\
        tiny-wide-test:
          plugin: zoo-pub
          builder: zoo_test_models:Tiny
          config: {{width: 256}}
          weights:
            repo: {REPO}
            revision: {weights['revision']}
            files:
              model: {{file: {spec['file']}, sha256: {spec['sha256']}, bytes: {spec['bytes']}}}
        """))
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

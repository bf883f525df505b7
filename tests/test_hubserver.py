"""The HF-compatible server: what huggingface_hub asks for, and nothing outside the folder."""

import http.client

import huggingface_hub
import pytest
from huggingface_hub import errors as hf_errors

from zoo_core.hubserver import HubFolder, HubServer, serve_in_thread


@pytest.fixture
def hub(tmp_path):
    repo = tmp_path / "hub" / "org" / "model"
    (repo / "sub").mkdir(parents=True)
    (repo / "config.json").write_text('{"a": 1}')
    (repo / "model.safetensors").write_bytes(b"x" * 1000)
    (repo / "sub" / "extra.txt").write_text("extra")
    (repo / ".hidden").write_text("HIDDEN-CONTENT")
    (tmp_path / "secret.txt").write_text("outside the hub folder")
    with serve_in_thread(tmp_path / "hub") as server:
        yield server


def raw(server: HubServer, method: str, path: str):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request(method, path)
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), resp.read()


def test_commit_is_content_derived(tmp_path):
    a, b = tmp_path / "a" / "o" / "r", tmp_path / "b" / "o" / "r"
    for d in (a, b):
        d.mkdir(parents=True)
        (d / "f.bin").write_bytes(b"same")
    ca, cb = HubFolder(tmp_path / "a").commit(a), HubFolder(tmp_path / "b").commit(b)
    assert ca == cb and len(ca) == 40
    (b / "f.bin").write_bytes(b"different")
    assert HubFolder(tmp_path / "b").commit(b) != ca


def test_hf_hub_download_and_snapshot(hub, tmp_path):
    path = huggingface_hub.hf_hub_download("org/model", "config.json", cache_dir=tmp_path / "c",
                                           endpoint=hub.url)
    assert open(path).read() == '{"a": 1}'
    folder = huggingface_hub.snapshot_download("org/model", cache_dir=tmp_path / "c", endpoint=hub.url)
    files = sorted(p.relative_to(folder).as_posix() for p in __import__("pathlib").Path(folder).rglob("*")
                   if p.is_file())
    assert files == ["config.json", "model.safetensors", "sub/extra.txt"]  # no dot-files


def test_pinned_commit_and_unknown_revision(hub, tmp_path):
    commit = hub.folder.commit(hub.folder.repo_dir("org/model"))
    huggingface_hub.hf_hub_download("org/model", "config.json", revision=commit,
                                    cache_dir=tmp_path / "c", endpoint=hub.url)
    with pytest.raises(hf_errors.RevisionNotFoundError):
        huggingface_hub.hf_hub_download("org/model", "config.json", revision="v9",
                                        cache_dir=tmp_path / "c", endpoint=hub.url)


def test_missing_repo_and_file(hub, tmp_path):
    with pytest.raises(hf_errors.RepositoryNotFoundError):
        huggingface_hub.hf_hub_download("org/nope", "config.json", cache_dir=tmp_path / "c", endpoint=hub.url)
    with pytest.raises(hf_errors.EntryNotFoundError):
        huggingface_hub.hf_hub_download("org/model", "nope.bin", cache_dir=tmp_path / "c", endpoint=hub.url)


@pytest.mark.parametrize("path", [
    "/org/model/resolve/main/../../../secret.txt",
    "/org/model/resolve/main/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/org/model/resolve/main/..%2f..%2f..%2fsecret.txt",
    "/org/model/resolve/main/.hidden",
    "/../org/model/resolve/main/config.json",
    "/org/..%2f..%2fsecret.txt/resolve/main/x",
    "/api/models/org/..%2f../tree/main",
])
def test_path_traversal_refused(hub, path):
    status, _, body = raw(hub, "GET", path)
    assert status == 404 and b"outside the hub folder" not in body and b"HIDDEN-CONTENT" not in body


def test_range_requests(hub):
    status, headers, body = raw(hub, "GET", "/org/model/resolve/main/config.json")
    assert status == 200 and headers["ETag"].strip('"') == hub.folder.sha256(
        hub.folder.repo_dir("org/model") / "config.json")
    host, port = hub.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("GET", "/org/model/resolve/main/config.json", headers={"Range": "bytes=2-4"})
    resp = conn.getresponse()
    assert resp.status == 206 and resp.read() == b'a":'


def test_binds_loopback_by_default(tmp_path):
    (tmp_path / "o" / "r").mkdir(parents=True)
    server = HubServer(tmp_path)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def test_not_a_folder(tmp_path):
    with pytest.raises(NotADirectoryError, match="Hub-layout folder"):
        HubServer(tmp_path / "missing")


def test_local_hub_sets_and_restores_environment(tmp_path, monkeypatch):
    import os

    from zoo_core.hubserver import local_hub

    repo = tmp_path / "hub" / "org" / "model"
    repo.mkdir(parents=True)
    (repo / "config.json").write_text("{}")
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", "/somewhere/else")
    with local_hub(tmp_path / "hub") as url:
        assert os.environ["HF_ENDPOINT"] == url and os.environ["HF_HUB_CACHE"] != "/somewhere/else"
        path = huggingface_hub.hf_hub_download("org/model", "config.json", endpoint=url,
                                               cache_dir=os.environ["HF_HUB_CACHE"])
        assert open(path).read() == "{}"
    assert "HF_ENDPOINT" not in os.environ and os.environ["HF_HUB_CACHE"] == "/somewhere/else"

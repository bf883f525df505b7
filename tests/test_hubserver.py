"""The HF-compatible server: what huggingface_hub asks for, and nothing outside the folder."""

import hashlib
import http.client
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import huggingface_hub
import pytest
from huggingface_hub import errors as hf_errors

from zoo_core.errors import HubServeError
from zoo_core.hubserver import HubFolder, HubRequestHandler, HubServer, serve_in_thread

DATA = bytes(range(250)) * 4  # model.safetensors: 1000 bytes, each position recognisable


@pytest.fixture
def hub(tmp_path):
    repo = tmp_path / "hub" / "org" / "model"
    (repo / "sub").mkdir(parents=True)
    (repo / "config.json").write_text('{"a": 1}')
    (repo / "model.safetensors").write_bytes(DATA)
    (repo / "sub" / "extra.txt").write_text("extra")
    (repo / ".hidden").write_text("HIDDEN-CONTENT")
    (tmp_path / "secret.txt").write_text("outside the hub folder")
    with serve_in_thread(tmp_path / "hub") as server:
        yield server


def raw(server: HubServer, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    """(status, headers, body) over plain http.client; a dropped connection or a hang raises."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def raw_bytes(server: HubServer, request: bytes) -> bytes:
    """Send ``request`` as it is (for what http.client refuses to send); the whole answer."""
    with socket.create_connection(server.server_address[:2], timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


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
    with pytest.raises(HubServeError, match="Hub-layout folder"):
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


# -- nothing outside the folder, ever ------------------------------------------------------

def test_symlinked_folders_outside_are_not_served(hub, tmp_path):
    outside = tmp_path / "outside"
    (outside / "r").mkdir(parents=True)
    (outside / "x.txt").write_text("outside the hub folder")
    (outside / "r" / "x.txt").write_text("outside the hub folder")
    root = tmp_path / "hub"
    (root / "org" / "evil").symlink_to(outside)  # a repo folder leading out
    (root / "evilorg").symlink_to(outside)  # an org folder leading out
    (root / "org" / "alias").symlink_to(root / "org" / "model")  # inside the folder: served
    for path in ["/org/evil/resolve/main/x.txt", "/evilorg/r/resolve/main/x.txt", "/api/models/org/evil",
                 "/api/models/org/evil/tree/main", "/api/models/evilorg/r/tree/main"]:
        for method in ("GET", "HEAD"):
            status, headers, body = raw(hub, method, path)
            assert status == 404 and headers["X-Error-Code"] == "RepoNotFound", (method, path)
            assert b"outside the hub folder" not in body
    assert sorted(hub.folder.repos()) == ["org/alias", "org/model"]
    assert raw(hub, "GET", "/org/alias/resolve/main/config.json")[2] == b'{"a": 1}'


ODD = ["passwd", "secret.txt", "peek", "zero", "pipe", "gone", "self", "sub/up/config.json"]


@pytest.fixture
def odd_hub(hub, tmp_path):
    """The hub with things that are not regular files inside it; returns the clean commit."""
    repo = tmp_path / "hub" / "org" / "model"
    clean = hub.folder.commit(repo)
    (repo / "passwd").symlink_to("/etc/passwd")
    (repo / "secret.txt").symlink_to(tmp_path / "secret.txt")
    (repo / "peek").symlink_to(repo / ".hidden")  # inside, but hidden
    (repo / "zero").symlink_to("/dev/zero")
    os.mkfifo(repo / "pipe")
    (repo / "gone").symlink_to(tmp_path / "nothing-here")
    (repo / "self").symlink_to(repo / "self")
    (repo / "sub" / "up").symlink_to(repo)  # a folder loop
    os.close(os.open(os.fsencode(repo) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY))  # not UTF-8
    return clean


def test_odd_files_are_not_listed(odd_hub, hub, tmp_path):
    status, _, body = raw(hub, "GET", "/api/models/org/model/tree/main?recursive=true")
    assert status == 200
    listed = [e["path"] for e in __import__("json").loads(body)]
    assert listed == ["config.json", "model.safetensors", "sub/extra.txt"]
    status, headers, body = raw(hub, "GET", "/api/models/org/model")
    info = __import__("json").loads(body)
    assert [s["rfilename"] for s in info["siblings"]] == listed
    assert info["sha"] == odd_hub  # the commit is that of the served files only
    assert b"root:" not in body and b"outside" not in body
    folder = huggingface_hub.snapshot_download("org/model", cache_dir=tmp_path / "c", endpoint=hub.url)
    assert sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file()) == listed


@pytest.mark.parametrize("name", ODD + ["bad%ff.txt", "bad%EF%BF%BD.txt"])
def test_odd_files_are_not_served(odd_hub, hub, name):
    for method in ("GET", "HEAD"):
        status, headers, body = raw(hub, method, f"/org/model/resolve/main/{name}")
        assert status == 404 and headers["X-Error-Code"] == "EntryNotFound", method
        assert headers["X-Repo-Commit"] == odd_hub
        assert b"root:" not in body and b"outside the hub folder" not in body


def test_odd_files_are_logged_once(odd_hub, hub, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="zoo_core.hubserver")
    for _ in range(3):
        raw(hub, "GET", "/api/models/org/model/tree/main?recursive=1")
        raw(hub, "HEAD", "/org/model/resolve/main/config.json")
    messages = [r.getMessage() for r in caplog.records]
    repo = hub.folder.root / "org" / "model"
    for name in ["passwd", "secret.txt", "peek", "zero", "pipe", "gone", "self", "sub/up", "bad\\xff.txt"]:
        said = [m for m in messages if f"not serving {repo}/{name}: " in m]
        assert len(said) == 1, (name, messages)
    assert "outside" in next(m for m in messages if "/passwd: " in m)


def test_symlinked_files_inside_the_folder_are_served(hub, tmp_path):
    repo = tmp_path / "hub" / "org" / "model"
    (repo / "link.json").symlink_to(repo / "config.json")
    assert raw(hub, "GET", "/org/model/resolve/main/link.json")[2] == b'{"a": 1}'


# -- ranges (RFC 9110 §14) ------------------------------------------------------------------

@pytest.mark.parametrize("rng, status, span", [
    ("bytes=-10", 206, (990, 1000)),  # suffix range: the last 10 bytes
    ("bytes=-5000", 206, (0, 1000)),
    ("bytes=990-", 206, (990, 1000)),
    ("bytes=2-4", 206, (2, 5)),
    ("bytes=0-0", 206, (0, 1)),
    ("bytes=995-5000", 206, (995, 1000)),
    ("bytes=500-100", 416, None),
    ("bytes=20000-", 416, None),
    ("bytes=1000-", 416, None),
    ("bytes=-0", 416, None),
    ("bytes=abc", 416, None),
    ("bytes=", 416, None),
    ("bytes=1-2-3", 416, None),
    ("bytes=--5", 416, None),
    ("bytes=" + "9" * 5000 + "-", 416, None),
    ("items=0-5", 200, (0, 1000)),  # a unit we do not know: ignored
    ("bytes=0-1,5-6", 200, (0, 1000)),  # several ranges: ignored, the whole file
])
def test_range_requests(hub, rng, status, span):
    got, headers, body = raw(hub, "GET", "/org/model/resolve/main/model.safetensors", {"Range": rng})
    assert got == status
    assert int(headers["Content-Length"]) == len(body)
    if span is None:
        assert headers["Content-Range"] == "bytes */1000" and headers["X-Error-Code"] == "RangeNotSatisfiable"
    else:
        assert body == DATA[span[0]:span[1]]
        assert headers.get("Content-Range") == (f"bytes {span[0]}-{span[1] - 1}/1000" if status == 206 else None)


def test_head_ignores_range_and_if_range_guards_it(hub):
    path = "/org/model/resolve/main/model.safetensors"
    status, headers, body = raw(hub, "HEAD", path, {"Range": "bytes=-10"})
    assert status == 200 and headers["Content-Length"] == "1000" and body == b""
    etag = headers["ETag"]
    status, _, body = raw(hub, "GET", path, {"Range": "bytes=0-1", "If-Range": '"another-version"'})
    assert status == 200 and body == DATA  # the file changed since: the whole file, not a splice
    status, _, body = raw(hub, "GET", path, {"Range": "bytes=0-1", "If-Range": etag})
    assert status == 206 and body == DATA[:2]


# -- hostile names and requests: a 4xx, never a dropped connection ----------------------------

@pytest.mark.parametrize("path", [
    "/org/%E6%97%A5%E6%9C%AC/resolve/main/x",
    "/%E6%97%A5/model/resolve/main/x",
    "/org/model/resolve/main/%E6%97%A5.txt",
    "/org/model/resolve/%E6%97%A5/config.json",
    "/api/models/org/%E6%97%A5",
    "/api/models/org/model/tree/%E6%97%A5",
    "/org/" + "a" * 5000 + "/resolve/main/x",
    "/org/model/resolve/main/" + "a" * 5000,
    "/org/model/resolve/main/" + "a/" * 3000 + "x",
    "/api/models/org/" + "a" * 5000 + "/tree/main",
    "/org/model/resolve/main/%ff%fe%00",
    "/org/a%0d%0aSet-Cookie:%20x=1/resolve/main/f",
    "//[abc/x",
])
def test_hostile_names_get_a_404(hub, path):
    for method in ("GET", "HEAD"):
        status, headers, _ = raw(hub, method, path)
        assert status == 404, method
        assert "Set-Cookie" not in headers and all(v.isascii() and len(v) < 1000 for v in headers.values())


def test_non_ascii_names_are_served_raw_or_percent_encoded(hub, tmp_path):
    (tmp_path / "hub" / "org" / "model" / "données.txt").write_text("é")
    path = huggingface_hub.hf_hub_download("org/model", "données.txt", cache_dir=tmp_path / "c", endpoint=hub.url)
    assert open(path, encoding="utf-8").read() == "é"
    answer = raw_bytes(hub, "GET /org/model/resolve/main/données.txt HTTP/1.0\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.0 200") and answer.endswith("é".encode())


def test_oversized_requests_get_a_4xx(hub):
    assert raw_bytes(hub, b"GET /" + b"a" * 70000 + b" HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 414")
    status, _, _ = raw(hub, "GET", "/org/model/resolve/main/config.json", {f"X-{i}": "v" for i in range(200)})
    assert status == 431


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_refused_as_read_only(hub, method):
    status, headers, body = raw(hub, method, "/org/model/resolve/main/config.json", body=b'{"x": 1}')
    assert status == 405 and headers["Allow"] == "GET, HEAD" and b"read-only" in body


def test_a_server_bug_answers_500(hub, monkeypatch):
    def broken(self, repo_dir):
        raise RuntimeError("a bug")

    monkeypatch.setattr(HubFolder, "commit", broken)
    for method in ("GET", "HEAD"):
        status, headers, _ = raw(hub, method, "/org/model/resolve/main/config.json")
        assert status == 500 and headers["X-Error-Code"] == "ServerError"


def test_idle_connection_is_dropped(hub, monkeypatch):
    assert HubRequestHandler.timeout is not None  # a client that never finishes cannot hold a thread
    monkeypatch.setattr(HubRequestHandler, "timeout", 0.5)
    with socket.create_connection(hub.server_address[:2], timeout=10) as sock:
        sock.sendall(b"GET /org/model/reso")  # and then nothing
        start = time.monotonic()
        assert sock.recv(1024) == b""
        assert time.monotonic() - start < 5


@pytest.mark.parametrize("path", [
    "/org/model/resolve/main/config.json", "/org/model/resolve/main/nope", "/api/models/org/model",
    "/api/models/org/model/tree/main", "/api/models/org/nope", "/org/model/resolve/v9/config.json", "/nowhere",
])
def test_head_matches_get(hub, path):
    get, head = raw(hub, "GET", path), raw(hub, "HEAD", path)
    assert head[0] == get[0] and head[2] == b""
    assert {k: v for k, v in head[1].items() if k != "Date"} == {k: v for k, v in get[1].items() if k != "Date"}


def test_tree_query_is_parsed(hub):
    import json

    def paths(query):
        return [e["path"] for e in json.loads(raw(hub, "GET", f"/api/models/org/model/tree/main{query}")[2])]

    assert "sub/extra.txt" in paths("?recursive=True&expand=false")
    assert paths("?recursive=false") == paths("?notrecursive=true") == paths("") == [
        "config.json", "model.safetensors", "sub"]


# -- the CLI: one line, never a traceback ---------------------------------------------------

def zoo_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zoo_core.cli", *args], capture_output=True, text=True,
                          timeout=60)


def test_cli_missing_folder_is_one_line(tmp_path):
    done = zoo_cli("hub", "serve", str(tmp_path / "missing"))
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert done.stderr.startswith("zoo: error:") and "not a folder" in done.stderr


def test_cli_busy_port_is_one_line(tmp_path):
    (tmp_path / "o" / "r").mkdir(parents=True)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        for bad in (str(port), "70000"):
            done = zoo_cli("hub", "serve", str(tmp_path), "--port", bad, "--quiet")
            assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
            assert done.stderr.startswith("zoo: error: cannot listen on") and "--port" in done.stderr


# -- concurrency and files that change while served ------------------------------------------

def test_concurrent_first_requests_hash_a_file_once(tmp_path, monkeypatch):
    repo = tmp_path / "o" / "r"
    repo.mkdir(parents=True)
    (repo / "big.bin").write_bytes(os.urandom(1 << 24))
    folder = HubFolder(tmp_path)
    made, real_sha256 = [], hashlib.sha256
    monkeypatch.setattr(hashlib, "sha256", lambda *a: made.append(1) or real_sha256(*a))
    barrier, results = threading.Barrier(8), []

    def first_request():
        barrier.wait()
        results.append(folder.sha256(repo / "big.bin"))

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 8 and len(set(results)) == 1 and len(made) == 1


def test_concurrent_requests_are_all_answered_and_counted(hub):
    answers = []

    def client():
        for _ in range(10):
            answers.append(raw(hub, "GET", "/org/model/resolve/main/model.safetensors")[2] == DATA)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert answers == [True] * 80
    assert hub.requests[("GET", "/org/model/resolve/main/model.safetensors")] == 80


def test_rewritten_file_is_hashed_again(hub, tmp_path):
    path = tmp_path / "hub" / "org" / "model" / "config.json"
    _, before, _ = raw(hub, "GET", "/org/model/resolve/main/config.json")
    st = path.stat()
    path.write_text('{"a": 2}')  # same size, and the same mtime as before
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    _, after, body = raw(hub, "GET", "/org/model/resolve/main/config.json")
    assert body == b'{"a": 2}' and after["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    assert after["X-Repo-Commit"] != before["X-Repo-Commit"]
    status, headers, _ = raw(hub, "GET", f"/org/model/resolve/{before['X-Repo-Commit']}/config.json")
    assert status == 404 and headers["X-Error-Code"] == "RevisionNotFound"


class SwapWhileServing(HubRequestHandler):
    """Replaces (or truncates) model.safetensors after the headers are sent."""

    mode = "replace"

    def send_file(self, *args):
        target = Path(self.server.folder.root, "org", "model", "model.safetensors")
        if self.mode == "replace":
            (target.parent / "swap.tmp").write_bytes(b"y" * 1000)
            os.replace(target.parent / "swap.tmp", target)
        else:
            os.truncate(target, 10)
        super().send_file(*args)


def test_file_replaced_while_served_sends_what_its_headers_say(hub, tmp_path, monkeypatch):
    with serve_in_thread(tmp_path / "hub", handler=SwapWhileServing) as server:
        status, headers, body = raw(server, "GET", "/org/model/resolve/main/model.safetensors")
        assert status == 200 and body == DATA and headers["ETag"] == f'"{hashlib.sha256(DATA).hexdigest()}"'
        monkeypatch.setattr(SwapWhileServing, "mode", "truncate")
        with pytest.raises(http.client.IncompleteRead):  # a short body the client notices, not a hang
            raw(server, "GET", "/org/model/resolve/main/model.safetensors")

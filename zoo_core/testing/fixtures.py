"""pytest fixtures: a fake Hub on loopback (read-only or taking pushes), an isolated Hub cache, an isolated registry."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from zoo_core.hubserver import HubRequestHandler, HubServer, serve_in_thread


@dataclasses.dataclass
class FakeHub:
    """A running HubServer over ``root`` and helpers to put models in it."""

    root: Path
    server: HubServer

    @property
    def url(self) -> str:
        return self.server.url

    def publish(self, model: Any, repo: str) -> dict[str, Any]:
        """Save ``model`` into ``root/repo`` and return its catalog ``weights`` entry."""
        import json

        folder = self.root / repo
        if folder.exists():
            shutil.rmtree(folder)
        model.save_pretrained(folder)
        config = json.loads((folder / "config.json").read_text())
        return {"repo": repo, "revision": self.server.folder.commit(folder), "files": config["files"]}

    def copy_repo(self, src: str | Path, repo: str) -> str:
        """Copy a Hub-layout repo folder in; return its commit id."""
        dst = self.root / repo
        shutil.copytree(src, dst, dirs_exist_ok=True)
        return self.server.folder.commit(dst)

    def gets(self, suffix: str = "") -> int:
        """How many GET requests for resolve URLs ending with ``suffix`` the server answered."""
        return sum(n for (method, path), n in self.server.requests.items()
                   if method == "GET" and "/resolve/" in path and path.endswith(suffix))


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hub cache; HF_HUB_CACHE points at it and offline mode is off."""
    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)
    return cache


def start_fake_hub(root: Path, handler: type[HubRequestHandler] = HubRequestHandler):
    """Context manager: a FakeHub over ``root`` (for tests that need a custom handler)."""
    import contextlib

    @contextlib.contextmanager
    def run() -> Iterator[FakeHub]:
        root.mkdir(parents=True, exist_ok=True)
        with serve_in_thread(root, handler=handler) as server:
            yield FakeHub(root=root, server=server)

    return run()


@pytest.fixture
def fake_hub(tmp_path: Path, hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A Hub server on 127.0.0.1 over an empty folder; HF_ENDPOINT points at it."""
    with start_fake_hub(tmp_path / "hub") as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


@pytest.fixture
def fake_hub_api(tmp_path: Path, hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """Like ``fake_hub``, and it takes pushes too: ``HfApi.create_repo`` and ``upload_folder``
    (so ``model.push_to_hub`` and ``zoo publish``) write into ``fake_hub_api.root``.

    Set ``fake_hub_api.server.write_token = "..."`` to refuse pushes without that token (401).
    HF_TOKEN is unset for the test. See ``zoo_core.testing.hub_api``.
    """
    from zoo_core.testing.hub_api import HubWriteHandler

    monkeypatch.delenv("HF_TOKEN", raising=False)
    with start_fake_hub(tmp_path / "hub-api", handler=HubWriteHandler) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


@pytest.fixture
def zoo_registry(monkeypatch: pytest.MonkeyPatch):
    """Factory: ``zoo_registry(*plugins, registry_yaml=path)`` installs an isolated registry.

    Each plugin is a module or object with hook functions (or ``(name, plugin)``); the
    previous registry is restored after the test.
    """
    import zoo_core.api as api
    from zoo_core.plugins import PluginHost

    monkeypatch.setattr(api, "_registry", None)

    def make(*plugins: Any, registry_yaml: str | Path | None = None, discover: bool = False):
        host = PluginHost()
        if discover:
            host.discover()
        for i, plugin in enumerate(plugins):
            name, obj = plugin if isinstance(plugin, tuple) else (f"test-plugin-{i}", plugin)
            host.register(obj, name=name, dist=name)
        return api.refresh(host, registry_path=registry_yaml)

    yield make

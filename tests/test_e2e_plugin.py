"""End to end, as a third party: scaffold a plugin, install it and the core as wheels in a fresh
environment, train, evaluate and publish it with ``--write``, serve the hub, load it by name
through HF_ENDPOINT in a fresh process, run its conformance kit. docs/plugin-authoring.md walks
the same path.

The fresh environment is a venv whose own site-packages (the two wheels) comes first; the
third-party packages (torch, pytest, ...) are borrowed from this environment through a .pth
file that names a folder of links to them, leaving out every zoo distribution installed here.
Nothing is downloaded except the build backend of the two wheels (pip's usual isolated build).

Select it with ``pytest -m e2e``; it takes about a minute on two cores.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(480)]

REPO = Path(__file__).resolve().parents[1]
MODEL = "lenet-mlp-quadrants"
HUB_REPO = "zoo-lenet/lenet-mlp-quadrants"


def run(cmd: list, env: dict, cwd: Path, timeout: int = 240) -> str:
    """Run ``cmd``; fail with its output when it exits non-zero. Returns stdout + stderr."""
    done = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}:\n{output[-4000:]}"
    return output


def clean_env(tmp_path: Path) -> dict:
    """This process's environment without PYTHONPATH, zoo or Hugging Face settings; empty caches."""
    env = {k: v for k, v in os.environ.items()
           if k != "PYTHONPATH" and not k.startswith(("ZOO_", "HF_", "HUGGINGFACE_"))}
    env.update(HF_HOME=str(tmp_path / "hf-home"), HF_HUB_CACHE=str(tmp_path / "hf-cache"),
               HF_HUB_DISABLE_TELEMETRY="1")
    return env


def fresh_env(root: Path, env: dict) -> Path:
    """A venv with this environment's third-party packages after its own; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "env")], check=True)
    python = root / "env" / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    env, root).strip())
    deps = root / "deps"
    deps.mkdir()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    for folder in map(Path, ours):
        for item in folder.iterdir():
            if not re.match(r"^(_editable_impl_|__editable__[._]*)?zoo", item.name, re.I):
                (deps / item.name).symlink_to(item)
    (site / "zz-borrowed-deps.pth").write_text(f"{deps}\n")
    return python


def build_wheel(source: Path, dist: Path, env: dict) -> Path:
    before = set(dist.glob("*.whl"))
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source], env, dist.parent)
    (wheel,) = set(dist.glob("*.whl")) - before
    return wheel


def test_scaffold_install_train_publish_serve_load(tmp_path):
    env = clean_env(tmp_path)
    dist = tmp_path / "dist"
    dist.mkdir()
    python = fresh_env(tmp_path, env)
    zoo = python.parent / "zoo"
    pip = [python, "-m", "pip", "install", "--no-index", "-q"]

    # the core as a wheel, with its [test] extra (pytest), then `zoo new-plugin` from it
    run([*pip, f"{build_wheel(REPO, dist, env)}[test]"], env, tmp_path)
    src = tmp_path / "src" / "zoo-lenet"
    run([zoo, "new-plugin", "lenet", src], env, tmp_path)
    assert (src / "zoo_lenet" / "catalog.yaml").is_file()

    # the plugin as a wheel; the entry point is found and the wheels' code is what runs
    run([*pip, build_wheel(src, dist, env)], env, tmp_path)
    site = python.parent.parent / "lib"
    probe = ("import json, zoo, zoo_core, zoo_lenet; print(json.dumps({'core': zoo_core.__file__, "
             "'plugin': zoo_lenet.__file__, 'plugins': zoo.plugins(), 'models': zoo.list_models()}))")
    seen = json.loads(run([python, "-c", probe], env, tmp_path).splitlines()[-1])
    for module in ("core", "plugin"):
        assert Path(seen[module]).is_relative_to(site), seen[module]
    status = {p["name"]: p for p in seen["plugins"]}["lenet"]
    assert (status["distribution"], status["status"], status["models"]) == ("zoo-lenet", "ok", [MODEL])
    assert [p["name"] for p in seen["plugins"]] == ["lenet"]  # no zoo plugin leaked from outside
    assert seen["models"] == [MODEL]
    catalog = Path(seen["plugin"]).parent / "catalog.yaml"

    # its own tests pass at once (kit and task; nothing published yet)
    out = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", src / "tests"], env, tmp_path)
    assert re.search(r"\b\d+ passed\b", out) and "failed" not in out and "skipped" not in out, out

    # train briefly, record the results, publish into a local hub; --write edits the catalog file
    runs = tmp_path / "runs" / MODEL
    run([zoo, "train", MODEL, "--out", runs, "--steps", "150", "--no-progress"], env, tmp_path)
    out = run([zoo, "eval", MODEL, "--weights", runs, "--write"], env, tmp_path)
    accuracy = json.loads(out[out.index("{"): out.index("}") + 1])["accuracy"]
    assert accuracy > 0.8 and f"wrote {catalog} ({MODEL}.results)" in out, out
    hub = src / "hub"
    out = run([zoo, "publish", runs, "--repo", HUB_REPO, "--local", hub, "--write"], env, tmp_path)
    assert f"wrote {catalog} ({MODEL}.weights)" in out and "installed copy" in out, out
    import yaml

    entry = yaml.safe_load(catalog.read_text())[MODEL]
    assert entry["results"] == {"accuracy": accuracy}
    revision = entry["weights"]["revision"]
    assert re.fullmatch(r"[0-9a-f]{40}", revision) and (hub / HUB_REPO / "model.safetensors").is_file()
    assert "# The catalog of zoo-lenet" in catalog.read_text()  # comments survive the edit

    # serve the hub; a fresh process with an empty cache loads the model by name through it
    server = subprocess.Popen([zoo, "hub", "serve", hub, "--port", "0", "--quiet"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = server.stdout.readline() + server.stdout.readline()
        url = re.search(r"HF_ENDPOINT=(\S+)", banner)
        assert url, banner
        cache = tmp_path / "empty-cache"
        load_env = {**env, "HF_ENDPOINT": url.group(1), "HF_HUB_CACHE": str(cache)}
        loader = ("import json, zoo; from zoo_lenet.task import Quadrants; m = zoo.load('lenet-quadrants'); "
                  "print(json.dumps({'name': m.zoo_name, 'training': m.training, "
                  "'accuracy': Quadrants().evaluate(m)['accuracy']}))")
        loaded = json.loads(run([python, "-c", loader], load_env, tmp_path).splitlines()[-1])
        assert loaded == {"name": MODEL, "training": False, "accuracy": accuracy}
        assert list(cache.glob(f"models--zoo-lenet--{MODEL}/snapshots/{revision}/model.safetensors"))
    finally:
        server.terminate()
        server.wait(timeout=30)

    # the conformance kit, now with the published weights (served from hub/ by a fake Hub)
    out = run([python, "-m", "pytest", "-v", "-p", "no:cacheprovider",
               src / "tests" / "test_conformance.py"], env, tmp_path)
    for test in ("test_pretrained_through_hub", "test_published_results_reproduce"):
        assert re.search(rf"{test}\[{MODEL}\] PASSED", out), out
    assert "failed" not in out and "skipped" not in out, out

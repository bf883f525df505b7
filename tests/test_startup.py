"""Listing models imports no torch and no model code, with every installed plugin loaded."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
import zoo
names = zoo.list_models()
zoo.info(names[0]) if names else None
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy', 'triton', 'safetensors', 'huggingface_hub')
               or '.models' in m or m.endswith('.model'))
print(json.dumps({"names": names, "heavy": heavy, "plugins": zoo.plugins(), "yaml": "yaml" in sys.modules}))
"""
CLI = """
import sys
from zoo_core.cli import main
main(["list"])
print("torch" in sys.modules, file=sys.stderr)
"""


def test_list_models_imports_no_torch():
    cold, warm = (json.loads(subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True,
                                            text=True, check=True).stdout) for _ in range(2))
    for data in (cold, warm):
        assert data["heavy"] == []
        assert data["names"], "the installed plugins should provide models"
        failed = [p for p in data["plugins"] if p["status"] != "ok"]
        assert failed == [], failed
    assert cold["names"] == warm["names"]
    assert cold["yaml"] and not warm["yaml"]  # the second listing reads the catalog cache


def test_zoo_list_with_a_broken_entry_imports_no_torch(tmp_path, monkeypatch):
    registry = tmp_path / "registry.yaml"
    shutil.copy(Path(__file__).resolve().parent.parent / "registry.yaml", registry)
    registry.write_text(registry.read_text().replace("\nmsp-digits:\n", "\nmsp-digits:\n  bogus: 1\n"))
    monkeypatch.setenv("ZOO_REGISTRY", str(registry))
    out = subprocess.run([sys.executable, "-c", CLI], capture_output=True, text=True, check=True)
    assert "msp-digits-accl" in out.stdout and "\nmsp-digits " not in out.stdout
    assert f"1 malformed catalog entry skipped: msp-digits ({registry}:" in out.stderr
    assert out.stderr.strip().endswith("False")

"""Listing models imports no torch and no model code, with every installed plugin loaded."""

import json
import subprocess
import sys

SCRIPT = """
import json, sys
import zoo
names = zoo.list_models()
zoo.info(names[0]) if names else None
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy', 'triton', 'safetensors', 'huggingface_hub')
               or '.models' in m or m.endswith('.model'))
print(json.dumps({"names": names, "heavy": heavy, "plugins": zoo.plugins()}))
"""


def test_list_models_imports_no_torch():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert data["heavy"] == []
    assert data["names"], "the installed plugins should provide models"
    failed = [p for p in data["plugins"] if p["status"] != "ok"]
    assert failed == [], failed

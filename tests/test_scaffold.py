"""`zoo new-plugin`: what it writes (the plugin passing its own tests is tests/test_e2e_plugin.py)."""

import subprocess
import sys
import tomllib

import pytest
import yaml

from zoo_core import __version__
from zoo_core.catalog import parse_catalog
from zoo_core.cli import main
from zoo_core.errors import ZooError
from zoo_core.scaffold import context_for, new_plugin

FILES = [".gitignore", "README.md", "pyproject.toml", "tests/test_conformance.py", "tests/test_task.py",
         "zoo_my_method/__init__.py", "zoo_my_method/catalog.yaml", "zoo_my_method/model.py",
         "zoo_my_method/plugin.py", "zoo_my_method/recipes.py", "zoo_my_method/task.py"]


def test_writes_a_complete_plugin(tmp_path):
    root = new_plugin("my-method", tmp_path / "p")
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == FILES
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["build-system"]["build-backend"] == "hatchling.build"
    assert project["project"]["name"] == "zoo-my-method"
    assert project["project"]["entry-points"]["zoo.plugins"] == {"my-method": "zoo_my_method.plugin"}
    assert f"zoo-core>={__version__}" in project["project"]["dependencies"]
    assert project["project"]["optional-dependencies"]["test"] == [f"zoo-core[test]>={__version__}"]
    entries = parse_catalog(yaml.safe_load((root / "zoo_my_method" / "catalog.yaml").read_text()),
                            source="catalog.yaml", plugin="zoo-my-method")
    assert not entries.errors and not entries.skipped
    e = entries.entries["my-method-mlp-quadrants"]
    assert (e.task, e.train["recipe"], e.builder) == ("classification/my-method-quadrants",
                                                      "my-method-classifier", "zoo_my_method.model:QuadrantMLP")
    for path in root.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")  # every placeholder was filled in
    assert "$" not in "".join(p.read_text() for p in root.rglob("*") if p.is_file())


def test_plugin_module_imports_no_torch(tmp_path):
    root = new_plugin("lenet", tmp_path / "p")
    probe = ("import sys; import zoo_lenet.plugin as p; data = p.zoo_catalog(); "
             "assert 'torch' not in sys.modules, 'torch imported'; "
             "print(p.zoo_core_requires(), data.source, sorted(data), p.zoo_tasks(), p.zoo_recipes())")
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:3] == [context_for("lenet")["core_requires"], str(root / "zoo_lenet" / "catalog.yaml"),
                                       "['lenet-mlp-quadrants']"]


@pytest.mark.parametrize("core, requires", [("0.1.0", ">=0.1,<0.2"), ("0.3.2", ">=0.3,<0.4"),
                                            ("1.2.0", ">=1.2,<2")])
def test_requires_the_running_core_series(monkeypatch, core, requires):
    monkeypatch.setattr("zoo_core.scaffold.__version__", core)
    assert (context_for("lenet")["core_requires"], context_for("lenet")["core_version"]) == (requires, core)


def test_refuses_bad_names_and_existing_folders(tmp_path):
    with pytest.raises(ZooError, match="lower-case letters and digits"):
        new_plugin("My_Method", tmp_path / "a")
    assert not (tmp_path / "a").exists()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(ZooError, match="not an empty folder.*nothing was written"):
        new_plugin("lenet", tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["keep.txt"]
    (tmp_path / "c").mkdir()
    assert new_plugin("zoo-lenet", tmp_path / "c") == tmp_path / "c"  # an empty folder is fine
    assert (tmp_path / "c" / "zoo_lenet" / "plugin.py").is_file()  # zoo- is the distribution's prefix


def test_cli(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new-plugin", "lenet"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "zoo-lenet" / "pyproject.toml").is_file() and "lenet-mlp-quadrants" in out
    assert main(["new-plugin", "lenet"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_with_op_writes_an_op_in_the_core_form(tmp_path, capsys):
    assert main(["new-plugin", "lenet", str(tmp_path / "p"), "--with-op", "fused_gate"]) == 0
    root = tmp_path / "p"
    op = root / "zoo_lenet" / "ops" / "fused_gate"
    assert {f.name for f in op.iterdir()} >= {"__init__.py", "reference.py", "kernels.py",
                                               "function.py", "checks.py"}
    assert (root / "zoo_lenet" / "ops" / "__init__.py").is_file()
    assert (root / "tests" / "test_ops_fused_gate.py").is_file()
    assert (root / "benchmarks" / "ops_fused_gate.py").is_file()
    assert "fused_gate" in capsys.readouterr().out
    # the op imports from the new plugin and its reference runs through the core's dispatch
    code = ("import torch; from zoo_lenet.ops.fused_gate import OP; "
            "print(type(OP).__name__, OP.name)")
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["Op", "fused_gate"]


def test_with_op_bad_name_writes_nothing(tmp_path, capsys):
    assert main(["new-plugin", "lenet", str(tmp_path / "p"), "--with-op", "Fused-Gate"]) == 1
    assert "lowercase Python identifier" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()

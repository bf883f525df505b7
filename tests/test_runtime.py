"""zoo train / eval / publish: determinism, DDP equivalence, resume, recorded results."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

import zoo
from zoo_core.cli import main
from zoo_core.errors import ZooError

from conftest import tiny_entry

RECIPE_PLUGIN = '''
from zoo_core import hookimpl

@hookimpl
def zoo_catalog():
    return {ENTRIES}

@hookimpl
def zoo_recipes():
    return {"regression": "zoo_regression_recipe:recipe"}

@hookimpl
def zoo_tasks():
    return {"test/regression": "zoo_regression_recipe:Task"}
'''

RECIPE_MODULE = '''
import torch
from zoo_core.train import Recipe, single_phase


def data(seed):
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(64, 4, generator=g)
    y = x @ torch.tensor([[1.0, -2.0, 0.5, 3.0]]).T.repeat(1, 4)
    return torch.utils.data.TensorDataset(x, y)


def recipe(*, config, steps, batch_size, lr, ema=None):
    def loss(model, batch, step):
        x, y = batch
        return ((model(x) - y) ** 2).mean()
    phases = single_phase(loss, lr)
    phases[0].scheduler = lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    return Recipe(dataset=data, phases=phases, steps=steps, batch_size=batch_size,
                  ema=ema, data="64 random regression pairs")


class Task:
    name = "test/regression"

    def evaluate(self, model, *, limit=None, seed=0):
        x, y = data(0).tensors
        with torch.no_grad():
            return {"mse": round(float(((model(x[:limit]) - y[:limit]) ** 2).mean()), 6)}
'''


@pytest.fixture
def trainable(site, only_plugins, tmp_path):
    (tmp_path / "site" / "zoo_regression_recipe.py").write_text(RECIPE_MODULE)
    entry = tiny_entry(task="test/regression",
                       train={"recipe": "regression", "steps": 8, "batch_size": 16, "lr": 0.05})
    registry = tmp_path / "registry.yaml"
    registry.write_text(textwrap.dedent("""\
        # first-party test catalog
        reg-tiny-test:
          plugin: zoo-reg
          builder: zoo_test_models:Tiny
          config: {width: 4}
          task: test/regression
          train: {recipe: regression, steps: 8, batch_size: 16, lr: 0.05}
          provenance: {license: MIT, paper: none}

        other-tiny-test:
          plugin: zoo-reg
          builder: zoo_test_models:Tiny

        unevaluable-tiny-test:
          plugin: zoo-reg
          builder: zoo_test_models:Tiny
          task: test/official-dataset
        """))
    site("zoo-reg", RECIPE_PLUGIN.replace("{ENTRIES}", "{}"))
    only_plugins("zoo-reg", registry_yaml=registry)
    yield registry
    sys.modules.pop("zoo_regression_recipe", None)


def weights(folder):
    return load_file(str(folder / "model.safetensors"))


def test_train_writes_hub_layout(trainable, tmp_path):
    out = zoo_train("reg-tiny-test", tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "checkpoints", "config.json",
                                                      "model.safetensors", "train_log.jsonl"]
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == list(range(1, 9)) and log[-1]["main/loss"] < log[0]["main/loss"]
    card = (out / "README.md").read_text()
    assert card.startswith("---\nlicense: MIT") and "8 steps, global batch 16" in card
    model = zoo.load(f"local-dir:{out}")
    assert model.zoo_name == "reg-tiny-test"


def zoo_train(name, out, **kw):
    from zoo_core.train import train

    return train(name, out=out, progress=False, **kw)


def test_same_seed_same_weights_and_resume_equals_straight(trainable, tmp_path):
    a = zoo_train("reg-tiny-test", tmp_path / "a", steps=8)
    b = zoo_train("reg-tiny-test", tmp_path / "b", steps=4)
    zoo_train("reg-tiny-test", tmp_path / "b", steps=8, resume=True)
    wa, wb = weights(a), weights(tmp_path / "b")
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
    # the card and the log account for both invocations
    card = (tmp_path / "b" / "README.md").read_text()
    assert "8 steps, global batch 16" in card and "resumed 1 time(s): steps 1-4 in 1 process(es)" in card
    assert "steps 5-8 in 1 process(es)" in card and "resumed" not in (a / "README.md").read_text()
    threads = f"1 process(es) of {torch.get_num_threads()} thread(s)"  # the budget names the threads
    assert threads in (a / "README.md").read_text() and card.count(threads) == 2
    times = [json.loads(line)["time_s"] for line in (tmp_path / "b" / "train_log.jsonl").read_text().splitlines()]
    assert len(times) == 8 and times == sorted(times)
    e = zoo_train("reg-tiny-test", tmp_path / "e", steps=8, ema=0.9)  # EMA weights differ, also resumable
    zoo_train("reg-tiny-test", tmp_path / "f", steps=4, ema=0.9)
    zoo_train("reg-tiny-test", tmp_path / "f", steps=8, ema=0.9, resume=True)
    assert not torch.equal(weights(e)["lin.weight"], wa["lin.weight"])
    assert torch.equal(weights(e)["lin.weight"], weights(tmp_path / "f")["lin.weight"])
    c = zoo_train("reg-tiny-test", tmp_path / "c", steps=8, seed=1)
    assert not torch.equal(weights(c)["lin.weight"], wa["lin.weight"])


def test_ddp_two_processes_match_one(trainable, tmp_path):
    one = zoo_train("reg-tiny-test", tmp_path / "one", steps=6)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1",
           "GLOO_SOCKET_IFNAME": "lo"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "zoo_core.cli", "train", "reg-tiny-test", "--out", str(tmp_path / "two"),
           "--steps", "6", "--no-progress"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    w1, w2 = weights(one), weights(tmp_path / "two")
    for k in w1:
        torch.testing.assert_close(w2[k], w1[k], rtol=1e-5, atol=1e-6)
    assert not torch.equal(w1["lin.weight"], zoo.create("reg-tiny-test").lin.weight)  # it trained


def test_resume_without_checkpoint_fails(trainable, tmp_path):
    with pytest.raises(ZooError, match="no checkpoint"):
        zoo_train("reg-tiny-test", tmp_path / "none", resume=True)


def test_no_recipe_explained(trainable, tmp_path):
    with pytest.raises(ZooError, match="no training recipe"):
        zoo_train("other-tiny-test", tmp_path / "x")


def test_eval_explains_missing_task_before_loading(trainable):
    from zoo_core.eval import evaluate

    with pytest.raises(ZooError, match="names no task"):
        evaluate("other-tiny-test")
    # no weights are published for it: the task is checked first, so this is the error
    with pytest.raises(ZooError, match=r"task 'test/official-dataset', which no installed plugin implements.*"
                                       r"known: test/regression.*zoo list --task test"):
        evaluate("unevaluable-tiny-test")


def test_eval_write_updates_card_and_registry(trainable, tmp_path, capsys):
    out = zoo_train("reg-tiny-test", tmp_path / "run")
    before = trainable.read_text()
    assert main(["eval", "reg-tiny-test", "--weights", str(out), "--write"]) == 0
    printed = capsys.readouterr().out
    mse = json.loads(printed[: printed.index("}") + 1])["mse"]
    after = trainable.read_text()
    assert "# first-party test catalog" in after and "other-tiny-test:" in after
    assert f"results:\n    mse: {mse}" in after and after.replace(f"  results:\n    mse: {mse}\n", "") == before
    zoo.refresh()
    assert zoo.entry("reg-tiny-test").results == {"mse": mse}
    card = (out / "README.md").read_text()
    assert f"value: {mse}" in card and f"- mse: {mse}" in card
    assert main(["eval", "reg-tiny-test", "--weights", str(out), "--write", "--limit", "3"]) == 1


def test_publish_validates_then_publishes(trainable, tmp_path, capsys):
    out = zoo_train("reg-tiny-test", tmp_path / "run")
    with pytest.raises(ZooError, match="reports no results"):
        from zoo_core.publish import validate_folder
        validate_folder(out)
    assert main(["eval", "reg-tiny-test", "--weights", str(out), "--write"]) == 0
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    (bad / "model.safetensors").write_bytes(b"0" * 10)
    torch.save({}, bad / "extra.pt")
    with pytest.raises(ZooError) as info:
        validate_folder(bad)
    text = str(info.value)
    assert "bytes, config.json says" in text and "sha256" in text and "extra.pt" in text
    hub = tmp_path / "hub"
    assert main(["publish", str(out), "--repo", "zoo-test/reg-tiny", "--local", str(hub), "--write"]) == 0
    assert sorted(p.name for p in (hub / "zoo-test" / "reg-tiny").iterdir()) == \
        ["README.md", "config.json", "model.safetensors"]
    zoo.refresh()
    e = zoo.entry("reg-tiny-test")
    from zoo_core.hubserver import HubFolder
    assert e.weights.revision == HubFolder(hub).commit(hub / "zoo-test" / "reg-tiny")
    assert e.results  # eval's results survived the weights edit


# --- runs lose nothing ------------------------------------------------------------------------

def test_train_refuses_an_earlier_run_unless_resume_or_overwrite(trainable, tmp_path, capsys):
    out = zoo_train("reg-tiny-test", tmp_path / "run", steps=4)
    before = {p.name: p.read_bytes() for p in [out / "train_log.jsonl", out / "checkpoints" / "last.pt",
                                               out / "model.safetensors", out / "README.md"]}
    assert main(["train", "reg-tiny-test", "--out", str(out), "--steps", "6", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds an earlier run" in err and "--resume" in err and "--overwrite" in err
    with pytest.raises(ZooError, match="holds an earlier run"):
        zoo_train("reg-tiny-test", out, steps=6)
    assert {name: (out / name if name != "last.pt" else out / "checkpoints" / name).read_bytes()
            for name in before} == before                        # nothing was truncated or overwritten
    (out / "stale.safetensors").write_bytes(b"from an older model")
    assert main(["train", "reg-tiny-test", "--out", str(out), "--steps", "6", "--no-progress",
                 "--overwrite"]) == 0
    log = (out / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in log] == list(range(1, 7))
    assert not (out / "stale.safetensors").exists() and "6 steps" in (out / "README.md").read_text()
    with pytest.raises(ZooError, match="pass one of them"):
        zoo_train("reg-tiny-test", out, steps=8, resume=True, overwrite=True)


def test_train_rejects_bad_step_counts_and_seeds(trainable, tmp_path, capsys):
    for argv in [["--steps", "0"], ["--steps", "-5"], ["--save-every", "0"], ["--seed", "-1"],
                 ["--seed", str(2**64)]]:
        with pytest.raises(SystemExit) as info:
            main(["train", "reg-tiny-test", "--out", str(tmp_path / "bad"), *argv])
        assert info.value.code == 2, argv
        assert "error: argument" in capsys.readouterr().err
    for kw in [dict(steps=0), dict(steps=-5), dict(save_every=0), dict(seed=-1)]:
        with pytest.raises(ZooError, match="expected a"):
            zoo_train("reg-tiny-test", tmp_path / "bad", **kw)
    assert not (tmp_path / "bad").exists()                       # refused before writing anything
    out = zoo_train("reg-tiny-test", tmp_path / "run", steps=8)
    card = (out / "README.md").read_text()
    for steps in (5, 8):  # fewer steps than done, or no more: nothing to train
        with pytest.raises(ZooError, match="has trained 8 steps already"):
            zoo_train("reg-tiny-test", out, steps=steps, resume=True)
    assert (out / "README.md").read_text() == card


def test_train_unwritable_out_is_one_line(trainable, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    assert main(["train", "reg-tiny-test", "--out", str(afile), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a folder" in err
    assert main(["train", "reg-tiny-test", "--out", str(afile / "run"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the run to --out" in err and "Traceback" not in err
    assert afile.read_text() == "not a folder"


def test_resume_keeps_log_records_up_to_the_checkpoint(trainable, tmp_path):
    """A run killed after its last checkpoint logged steps it will train again: keep one record per step."""
    out = zoo_train("reg-tiny-test", tmp_path / "run", steps=4)
    with open(out / "train_log.jsonl", "a") as log:  # steps 5 and 6 ran, then the process was killed
        log.write('{"step": 5, "main/loss": 1.0, "time_s": 9.0}\n{"step": 6, "main/loss": 1.0, "time_s": 9.5}\n{"st')
    zoo_train("reg-tiny-test", out, steps=8, resume=True)
    steps = [json.loads(line)["step"] for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9))


def test_eval_refuses_non_positive_limits(trainable, capsys):
    from zoo_core.eval import evaluate

    for limit in ("0", "-1"):
        with pytest.raises(SystemExit) as info:
            main(["eval", "reg-tiny-test", "--limit", limit, "--json"])
        assert info.value.code == 2 and "expected a number of examples" in capsys.readouterr().err
    for limit in (0, -1):
        with pytest.raises(ZooError, match="limit: expected a number of examples"):
            evaluate("reg-tiny-test", weights="unused", limit=limit)


def test_eval_json_is_valid_json_and_nan_is_never_written(trainable, tmp_path, monkeypatch, capsys):
    import zoo_core.eval

    out = zoo_train("reg-tiny-test", tmp_path / "run")
    monkeypatch.setattr(zoo_core.eval, "evaluate", lambda *a, **k: {"mse": float("nan"), "mae": float("inf"),
                                                                     "n": torch.tensor(3)})
    assert main(["eval", "reg-tiny-test", "--weights", str(out), "--json"]) == 0
    captured = capsys.readouterr()

    def strict(text):  # json.loads accepts NaN and Infinity; JSON does not
        raise ValueError(f"not JSON: {text}")

    assert json.loads(captured.out, parse_constant=strict) == {"mse": None, "mae": None, "n": 3}
    assert "not finite (shown as null): mse, mae" in captured.err
    before, card = trainable.read_text(), (out / "README.md").read_text()
    assert main(["eval", "reg-tiny-test", "--weights", str(out), "--write"]) == 1
    assert "not written: mse, mae not finite" in capsys.readouterr().err
    assert trainable.read_text() == before and (out / "README.md").read_text() == card


def test_eval_refuses_weights_of_another_entry(trainable, tmp_path, capsys):
    other = zoo.create("other-tiny-test")  # same builder, another entry
    folder = other.save_pretrained(tmp_path / "other")
    before = trainable.read_text()
    assert main(["eval", "reg-tiny-test", "--weights", str(folder), "--write"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds weights of 'other-tiny-test'" in err and "not of 'reg-tiny-test'" in err
    assert trainable.read_text() == before and not (folder / "README.md").exists()
    ours = zoo_train("reg-tiny-test", tmp_path / "ours")
    assert main(["eval", "reg-tiny-test", "--weights", str(ours)]) == 0   # its own folder still evaluates


CONVERT_PLUGIN = '''
from zoo_core import hookimpl

@hookimpl
def zoo_catalog():
    return {"convert-tiny-test": {"builder": "zoo_test_models:Tiny", "config": {"width": 4},
                                  "provenance": {"license": "MIT", "paper": "none"}}}

@hookimpl
def zoo_converters():
    return {"tiny-official": "zoo_convert_tiny:convert"}
'''

CONVERT_MODULE = '''
import torch

def convert(path):
    official = torch.load(path, weights_only=True)
    return {"model": {"lin.weight": official["W"], "lin.bias": official["b"]}}
'''


def test_convert_writes_a_folder_that_loads(site, only_plugins, tmp_path, capsys):
    (tmp_path / "site" / "zoo_convert_tiny.py").write_text(CONVERT_MODULE)
    site("zoo-convert", CONVERT_PLUGIN)
    only_plugins("zoo-convert")
    ckpt = tmp_path / "official.pt"
    torch.save({"W": torch.arange(16.0).view(4, 4), "b": torch.ones(4)}, ckpt)
    out = tmp_path / "converted"
    assert main(["convert", "convert-tiny-test", str(ckpt), "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    model = zoo.load(f"local-dir:{out}")
    assert torch.equal(model.lin.weight, torch.arange(16.0).view(4, 4))
    assert "--converter tiny-official" in (out / "README.md").read_text()
    # an existing folder is kept; a checkpoint of another shape is refused naming the key
    assert main(["convert", "convert-tiny-test", str(ckpt), "--out", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    torch.save({"W": torch.zeros(3, 3), "b": torch.ones(3)}, ckpt)
    assert main(["convert", "convert-tiny-test", str(ckpt), "--out", str(out), "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "lin.weight: checkpoint (3, 3) vs model (4, 4)" in err and "Traceback" not in err
    assert torch.equal(zoo.load(f"local-dir:{out}").lin.weight, model.lin.weight)  # nothing lost
    assert main(["convert", "convert-tiny-test", str(tmp_path / "nope.pt"), "--out", str(tmp_path / "o")]) == 1
    assert "nope.pt not found" in capsys.readouterr().err
    sys.modules.pop("zoo_convert_tiny", None)


def test_convert_needs_a_converter(trainable, tmp_path, capsys):
    ckpt = tmp_path / "x.pt"
    torch.save({}, ckpt)
    assert main(["convert", "reg-tiny-test", str(ckpt), "--out", str(tmp_path / "o")]) == 1
    assert "declares no converter; pass --converter NAME" in capsys.readouterr().err

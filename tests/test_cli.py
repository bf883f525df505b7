"""The `zoo` command: every subcommand, its --help, and its errors."""

import json
import subprocess
import sys

import pytest

from zoo_core.cli import main

from conftest import plugin_source, tiny_entry


@pytest.fixture
def models(site, only_plugins):
    site("zoo-tiny", plugin_source({
        "tiny-linear-test": tiny_entry(provenance={"license": "MIT", "paper": "arXiv:1",
                                                   "citation": "@misc{tiny, title={Tiny}}"}),
        "tiny-wide-test": tiny_entry(config={"width": 16}, task="other/wide"),
    }))
    site("zoo-broken", "raise ImportError('missing dependency foo')\n")
    return only_plugins("zoo-tiny", "zoo-broken")


@pytest.mark.parametrize("argv", [[], ["list"], ["info"], ["plugins"], ["download"], ["cite"],
                                  ["hub"], ["hub", "serve"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    assert "usage: zoo" in capsys.readouterr().out


def test_list(models, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "tiny-linear-test" in out and "tiny-wide-test" in out
    assert main(["list", "--task", "other", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["tiny-wide-test"]


def test_info_and_cite(models, capsys):
    assert main(["info", "tiny-linear-test", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["license"] == "MIT"
    assert main(["info", "tiny-linear-test"]) == 0
    out = capsys.readouterr().out
    assert "builder: zoo_test_models:Tiny" in out
    for key in ("license", "paper", "citation"):  # once each, not again under provenance
        assert out.count(f"{key}:") == 1, out
    assert main(["cite", "tiny-linear-test"]) == 0
    assert capsys.readouterr().out.startswith("@misc{tiny")


def test_plugins_report(models, capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "zoo-broken" in out and "failed" in out and "missing dependency foo" in out
    assert main(["plugins", "--json"]) == 0
    data = {p["name"]: p for p in json.loads(capsys.readouterr().out)["plugins"]}
    assert data["zoo-tiny"]["status"] == "ok" and data["zoo-tiny"]["models"] == ["tiny-linear-test", "tiny-wide-test"]


def test_errors_exit_1_with_message(models, capsys):
    assert main(["info", "tiny-linaer-test"]) == 1
    assert "did you mean 'tiny-linear-test'" in capsys.readouterr().err
    assert main(["download", "tiny-*"]) == 1
    assert "no pretrained model matches" in capsys.readouterr().err


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "zoo_core.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("zoo-core ")


@pytest.mark.parametrize("argv", [
    ["train", "tiny-linear-test", "--steps", "0"], ["train", "tiny-linear-test", "--steps", "-5"],
    ["train", "tiny-linear-test", "--save-every", "0"], ["train", "tiny-linear-test", "--seed", "-1"],
    ["train", "tiny-linear-test", "--resume", "--overwrite"],
    ["eval", "tiny-linear-test", "--limit", "0"], ["eval", "tiny-linear-test", "--limit", "-1"],
    ["eval", "tiny-linear-test", "--seed", "x"],
    ["bench", "--limit", "0"], ["bench", "--batch", "0"], ["bench", "--repeats", "-2"],
    ["bench", "--threads", "0"], ["bench", "--timeout", "0"], ["bench", "--timeout", "nan"],
    ["bench", "--budget", "-1"],
])
def test_bad_numbers_stop_at_the_command_line(models, argv, capsys):
    """Nothing runs with a setting that makes no sense; the error names the option."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    option = next(a for a in argv if a.startswith("--"))
    assert info.value.code == 2 and "error: argument --" in err and option in err and "Traceback" not in err

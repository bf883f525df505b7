"""Plugins add `zoo` subcommands through the hook zoo_cli_commands."""

import argparse
import sys
import types

from zoo_core import hookimpl
from zoo_core.cli import main
from zoo_core.errors import ZooError


def add_greet(parser: argparse.ArgumentParser) -> None:
    """Say hello to NAME (a test command)."""
    parser.add_argument("name")
    parser.add_argument("--fail", action="store_true")
    parser.set_defaults(fn=_greet)


def _greet(args):
    if args.fail:
        raise ZooError(f"cannot greet {args.name}")
    print(f"hello {args.name}")
    return 0


class _Plugin:
    @hookimpl
    def zoo_cli_commands(self):
        return {"greet": f"{__name__}:add_greet", "list": f"{__name__}:add_greet",
                "broken": "no_such_module_xyz:add"}


def test_plugin_command_runs_and_errors_are_one_line(zoo_registry, capsys):
    zoo_registry(("greeter", _Plugin()))
    assert main(["greet", "ada"]) == 0
    assert capsys.readouterr().out == "hello ada\n"
    assert main(["greet", "ada", "--fail"]) == 1
    assert capsys.readouterr().err == "zoo: error: cannot greet ada\n"


def test_core_names_and_broken_commands_are_refused_and_reported(zoo_registry, capsys):
    reg = zoo_registry(("greeter", _Plugin()))
    assert main(["list", "--json"]) == 0  # the core's list, not the plugin's
    capsys.readouterr()
    try:
        main(["--help"])
    except SystemExit:
        pass
    help_text = capsys.readouterr().out
    assert "greet" in help_text and "Say hello to NAME" in help_text and "broken" not in help_text
    warnings = reg.host.plugins["greeter"].warnings
    assert any("'list' is a core zoo command" in w for w in warnings)
    assert any("'broken'" in w and "failed to import" in w for w in warnings)


def test_core_commands_do_not_load_plugins(zoo_registry, monkeypatch):
    import zoo
    from zoo_core.cli import build_parser

    reg = zoo_registry(("greeter", _Plugin()))
    called = []
    monkeypatch.setattr(zoo, "registry", lambda: called.append(1) or reg)
    build_parser(["hub", "serve", "x"])
    assert not called
    build_parser(["greet", "ada"])
    assert called

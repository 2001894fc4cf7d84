"""Every option of every ``virtrpc`` subcommand explains itself and its default."""

from __future__ import annotations

import argparse

import pytest

from virtrpc.cli import SUBCOMMANDS, build_parser, main


def _subcommand_parser(name: str) -> argparse.ArgumentParser:
    parser = build_parser([name])
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub: argparse.ArgumentParser = action.choices[name]
            return sub
    raise AssertionError("virtrpc has no subcommands")


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        action
        for action in parser._actions
        if not isinstance(action, (argparse._HelpAction, argparse._VersionAction))
    ]


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_option_has_help_that_names_its_default(name: str) -> None:
    parser = _subcommand_parser(name)
    assert parser.description, f"virtrpc {name} has no description"
    for action in _options(parser):
        label = "/".join(action.option_strings) or action.dest
        assert action.help and action.help != argparse.SUPPRESS, f"{name} {label}: no help"
        # A default worth knowing (not "off" / "none") must show in --help.
        if action.default not in (None, False, [], argparse.SUPPRESS):
            assert "default" in action.help, f"{name} {label}: default {action.default!r} hidden"


def test_options_with_no_default_say_what_happens_without_them() -> None:
    # The same walk, for options whose absence means something: --socket,
    # --stream-out, --timeout.  Their help names the behaviour.
    checked = {
        "serve": "--socket",
        "call": "--stream-out",
        "events": "--timeout",
        "gen": "--output",
        "proxy": "--record",
    }
    for name, option in checked.items():
        action = next(a for a in _options(_subcommand_parser(name)) if option in a.option_strings)
        assert action.help is not None and "default" in action.help, (name, option)


def test_serve_help_prints_every_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for shown in (
        "(default: 5000)",
        "(default: 5)",
        "(default: 5.0)",
        "virtrpc-sock)",
    ):
        assert shown in text, shown

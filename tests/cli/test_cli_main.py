"""The `freshet` group: help, version, and how errors become messages and exit codes."""

from __future__ import annotations

import click
import pytest

from freshet.cli.common import ExitCode, format_duration
from freshet.cli.main import report_error
from freshet.errors import ConfigError


def test_help_lists_every_command(invoke):
    result = invoke("--help")
    assert result.exit_code == 0
    for name in ("assets", "check", "instance", "materialize", "runs"):
        assert f"  {name} " in result.stdout


def test_version(invoke):
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.startswith("freshet, version ")


def test_unknown_command_is_a_usage_error(invoke):
    result = invoke("materialise")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: No such command 'materialise'")
    assert "See 'freshet --help'." in result.stderr


def test_unknown_option_points_at_the_commands_help(invoke):
    result = invoke("runs", "list", "--colour")
    assert result.exit_code == 2
    assert "See 'freshet runs list --help'." in result.stderr


def test_file_and_module_together_are_refused(invoke):
    result = invoke("-f", "a.py", "-m", "b", "check")
    assert result.exit_code == 2
    assert "not both" in result.stderr


def test_freshet_error_is_one_paragraph_without_traceback(capsys):
    code = report_error(ConfigError(["ops.a.config.x: expected int"]), debug=False)
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE_ERROR
    assert err.startswith("error: invalid run config") and "Traceback" not in err


def test_internal_error_shows_traceback_and_exits_1(capsys):
    try:
        raise KeyError("bug")
    except KeyError as exc:
        code = report_error(exc, debug=False)
    err = capsys.readouterr().err
    assert code == ExitCode.RUN_FAILED
    assert "Traceback" in err and "internal error: KeyError" in err


def test_interrupt_exits_130(capsys):
    assert report_error(click.Abort(), debug=False) == ExitCode.INTERRUPTED


@pytest.mark.parametrize(
    ("milliseconds", "text"),
    [(None, "-"), (0.42, "0.4 ms"), (12.4, "12 ms"), (1500, "1.50 s"), (125_000, "2m 05s")],
    ids=["none", "sub-ms", "ms", "seconds", "minutes"],
)
def test_durations_are_readable(milliseconds, text):
    assert format_duration(milliseconds) == text

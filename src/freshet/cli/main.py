"""The `freshet` command: global options, lazily loaded command groups, and the one place that
turns errors into messages and exit codes (0 ok, 1 run failed, 2 usage or definitions error)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from freshet import __version__
from freshet.cli.common import ExitCode, GlobalOptions, Session
from freshet.errors import FreshetError

# Command name -> (module defining `command`, one-line help). Modules load only when their
# command runs, so `freshet --help` does not pay for storage or validation libraries.
_COMMANDS: dict[str, tuple[str, str]] = {
    "assets": ("freshet.cli.assets", "List assets, or show whether each is stale and why."),
    "automation": ("freshet.cli.automation", "Run, try and explain automation ticks; on/off."),
    "backfill": ("freshet.cli.backfill", "Backfill partitions; list, show, cancel or resume."),
    "check": ("freshet.cli.check", "Load and validate the definitions."),
    "checks": ("freshet.cli.checks", "List asset checks with their latest results."),
    "daemon": ("freshet.cli.daemon", "Run the daemon (run queue, run monitoring); show status."),
    "init": ("freshet.cli.init", "Create a new project that runs as generated."),
    "instance": ("freshet.cli.instance", "Show, migrate or prune the instance."),
    "locations": ("freshet.cli.locations", "List code locations with their load status."),
    "launch": ("freshet.cli.launch", "Queue a run for a run worker (--wait follows it)."),
    "materialize": ("freshet.cli.materialize", "Materialize assets in this process."),
    "observe": ("freshet.cli.observe", "Observe source assets: record their data versions."),
    "schedules": ("freshet.cli.schedules", "List schedules; turn them on or off; their ticks."),
    "sensors": ("freshet.cli.sensors", "List sensors; turn them on or off; tick one now."),
    "pools": ("freshet.cli.pools", "Set and list concurrency pool limits."),
    "runs": ("freshet.cli.runs", "List runs, show one, or print its logs."),
}


class FreshetGroup(click.Group):
    """Loads command modules on demand and reports every error the same way."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        command: click.Command = importlib.import_module(entry[0]).command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, help_text) in sorted(_COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        session = extra.setdefault("obj", Session())
        try:
            value = super().main(
                args, prog_name or "freshet", complete_var, standalone_mode=False, **extra
            )
            code = value if isinstance(value, int) else ExitCode.OK
        except BaseException as exc:  # every error ends here, to be reported the same way
            code = report_error(exc, debug=session.options.debug)
        if standalone_mode:
            sys.exit(int(code))
        return int(code)


def report_error(exc: BaseException, *, debug: bool) -> int:
    """Print `exc` for a person and return the exit code it deserves."""
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else ExitCode.RUN_FAILED
    if isinstance(exc, KeyboardInterrupt | click.Abort):
        click.echo("error: interrupted", err=True)
        return ExitCode.INTERRUPTED
    import traceback  # start-up time: only an error needs it

    if debug:
        traceback.print_exception(exc)
    if isinstance(exc, click.UsageError):
        hint = f"\nSee '{exc.ctx.command_path} --help'." if exc.ctx is not None else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        return ExitCode.USAGE_ERROR
    if isinstance(exc, click.ClickException):
        click.echo(f"error: {exc.format_message()}", err=True)
        return ExitCode.USAGE_ERROR
    if isinstance(exc, FreshetError):
        click.echo(f"error: {exc}", err=True)
        return ExitCode.USAGE_ERROR
    if not debug:
        traceback.print_exception(exc)
    click.echo(
        f"error: internal error: {type(exc).__name__}: {exc}\nThis is a bug in freshet, not in "
        "your project; please report it with the traceback above.",
        err=True,
    )
    return ExitCode.RUN_FAILED


@click.group(
    "freshet",
    cls=FreshetGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "-f", "--file", "python_file", metavar="FILE", help="Load definitions from this Python file."
)
@click.option("-m", "--module", metavar="MODULE", help="Load definitions from this module.")
@click.option(
    "-a",
    "--attribute",
    metavar="NAME",
    help="The Definitions attribute to load (default: the only one).",
)
@click.option(
    "-w",
    "--workspace",
    metavar="FILE",
    help="Load code locations from this workspace.yaml (each in its own process).",
)
@click.option(
    "-l",
    "--location",
    "location_name",
    metavar="NAME",
    help="The code location of the workspace to use, where a command needs one.",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Instance home folder (overrides FRESHET_HOME; default ./.freshet).",
)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(__version__, "--version", prog_name="freshet")
@click.pass_context
def cli(
    ctx: click.Context,
    python_file: str | None,
    module: str | None,
    attribute: str | None,
    workspace: str | None,
    location_name: str | None,
    home: Path | None,
    debug: bool,
) -> None:
    """freshet: declare data assets; freshet keeps them up to date and says why.

    Definitions are found with -f FILE, -m MODULE, -w workspace.yaml, or [tool.freshet] in
    the nearest pyproject.toml (python_file = "defs.py" or module = "pkg.defs").
    """
    ctx.ensure_object(Session).options = GlobalOptions(
        python_file=python_file,
        module=module,
        attribute=attribute,
        workspace=workspace,
        location_name=location_name,
        home=home,
        debug=debug,
    )


def main() -> None:
    """Entry point of the `freshet` console script."""
    cli.main(prog_name="freshet")


if __name__ == "__main__":
    main()

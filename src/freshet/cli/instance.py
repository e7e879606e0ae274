"""`freshet instance ...`: where the instance keeps its data and what is in it."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click

from freshet.cli.common import ExitCode, echo_json, home_path
from freshet.errors import UsageError
from freshet.instance.instance import Instance
from freshet.instance.maintenance import migrate, parse_age, prune, prune_preview


@click.group("instance")
def command() -> None:
    """Inspect the instance (the persistent home of runs, events and asset status)."""


@command.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def info(ctx: click.Context, as_json: bool) -> ExitCode:
    """Show the storage backend, its location, schema version, row counts and folders."""
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        details = instance.info()
    if as_json:
        echo_json(details)
    else:
        _echo_mapping(details, indent=0)
    return ExitCode.OK


@command.command("migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> ExitCode:
    """Upgrade the instance's database schema to this version of freshet."""
    result = migrate(home_path(ctx))
    click.echo(result.describe())
    return ExitCode.OK


class AgeType(click.ParamType):
    """An age such as 30d or 12h, read as seconds; a bad one is a usage error on the option."""

    name = "age"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float):
            return value
        try:
            return parse_age(str(value))
        except UsageError as error:
            self.fail(str(error), param, ctx)


@command.command("prune")
@click.option(
    "--older-than",
    "older_than",
    type=AgeType(),
    required=True,
    metavar="AGE",
    help="Delete finished runs (and their events and logs) older than this, e.g. 30d, 12h.",
)
@click.option("--yes", "-y", is_flag=True, help="Delete without asking for confirmation.")
@click.option("--dry-run", is_flag=True, help="Only print what would be deleted.")
@click.pass_context
def prune_command(ctx: click.Context, older_than: float, yes: bool, dry_run: bool) -> ExitCode:
    """Delete old runs and their events; the latest status of every asset is kept.

    Prints what it will delete and asks first; --yes skips the question (needed when stdin is
    not a terminal), --dry-run only prints the counts."""
    with Instance.from_home(home_path(ctx), read_only=dry_run) as instance:
        preview = prune_preview(instance, older_than)
        click.echo(f"{'would delete' if dry_run else 'will delete'}: {preview.describe()}")
        if dry_run:
            return ExitCode.OK
        if not yes:
            if not sys.stdin.isatty():
                raise click.UsageError(
                    "not pruning without a confirmation, and stdin is not a terminal to ask on; "
                    "add --yes to delete, or --dry-run to only count"
                )
            click.confirm("Delete them?", abort=True)
        report = prune(instance, older_than)
    click.echo(report.describe())
    return ExitCode.OK


def _echo_mapping(values: Mapping[str, Any], indent: int) -> None:
    width = max((len(str(key)) for key in values), default=0)
    for key, value in values.items():
        if isinstance(value, Mapping):
            click.echo(f"{' ' * indent}{key}:")
            _echo_mapping(value, indent + 2)
        else:
            click.echo(f"{' ' * indent}{str(key) + ':':<{width + 1}} {value}")

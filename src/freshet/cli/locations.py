"""`freshet locations list`: the code locations of the workspace, each loaded in its own code
server, with load status, counts and load time."""

from __future__ import annotations

from pathlib import Path

import click

from freshet.cli.common import (
    ExitCode,
    definitions_location,
    definitions_options,
    echo_json,
    echo_table,
    format_duration,
)
from freshet.workspace.host import CodeLocationEntry, LocationStatus, WorkspaceHost
from freshet.workspace.loader import find_origins


@click.group("locations")
def command() -> None:
    """Inspect the workspace's code locations."""


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@definitions_options
@click.pass_context
def list_locations(ctx: click.Context, as_json: bool) -> ExitCode:
    """Load every code location in its own process and list them (exit 2 if one failed)."""
    origins = find_origins(definitions_location(ctx), Path.cwd())
    with WorkspaceHost(origins) as host:
        entries = list(host)
        problems = host.problems()
    if as_json:
        echo_json({"locations": [entry.to_json_dict() for entry in entries], "problems": problems})
    else:
        echo_locations(entries, problems)
    return ExitCode.OK if _healthy(entries, problems) else ExitCode.USAGE_ERROR


def echo_locations(entries: list[CodeLocationEntry], problems: list[str]) -> None:
    """A table of locations, then each failed location's error and the workspace's problems."""
    echo_table(
        ("LOCATION", "STATUS", "ASSETS", "CHECKS", "JOBS", "SCHEDULES", "SENSORS", "LOAD TIME"),
        [_row(entry) for entry in entries],
    )
    for entry in entries:
        if entry.status is LocationStatus.FAILED:
            click.echo(f"\nerror: code location {entry.name!r} failed to load:", err=True)
            click.echo(_indent(entry.error or "unknown error"), err=True)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)


def _healthy(entries: list[CodeLocationEntry], problems: list[str]) -> bool:
    return not problems and all(e.status is LocationStatus.LOADED for e in entries)


def _row(entry: CodeLocationEntry) -> tuple[str, ...]:
    counts = [
        str(entry.counts[name]) if name in entry.counts else "-"
        for name in ("assets", "checks", "jobs", "schedules", "sensors")
    ]
    return (
        entry.name,
        entry.status.value,
        *counts,
        format_duration(entry.load_seconds * 1000),
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())

"""`freshet check`: load and validate the definitions without running anything."""

from __future__ import annotations

from pathlib import Path

import click

from freshet.cli.common import ExitCode, definitions_location, definitions_options
from freshet.cli.locations import echo_locations
from freshet.definitions import Definitions
from freshet.workspace.host import LocationStatus, WorkspaceHost
from freshet.workspace.loader import find_origins, load_definitions_at
from freshet.workspace.project import DefinitionsLocation


@click.command("check")
@definitions_options
@click.pass_context
def command(ctx: click.Context) -> ExitCode:
    """Load and validate the definitions; exit 2 with the problems if they are invalid.

    With -w, every code location is loaded in its own process and listed with its status;
    the command exits 2 (after reporting all of them) if any failed."""
    location = definitions_location(ctx)
    if location.workspace is not None:
        return _check_workspace(location)
    defs = load_definitions_at(location, Path.cwd())
    graph = defs.get_asset_graph()
    assets = len(graph.nodes)
    checks = sum(len(specs) for specs in graph.check_specs_by_asset.values())
    jobs = len(defs.get_all_job_defs())
    for warning in defs.warnings:
        click.echo(f"warning: {warning}", err=True)
    for line in _instigator_lines(defs):
        click.echo(line)
    counts = [_count(assets, "asset"), _count(checks, "check"), _count(jobs, "job")]
    if defs.schedules:
        counts.append(_count(len(defs.schedules), "schedule"))
    if defs.sensors:
        counts.append(_count(len(defs.sensors), "sensor"))
    click.echo(f"{', '.join(counts)}: OK")
    return ExitCode.OK


def _instigator_lines(defs: Definitions) -> list[str]:
    """One line per schedule and sensor: when it ticks and what it targets."""
    lines = []
    for schedule in defs.schedules:
        target = _target(schedule.job_name, schedule.target)
        lines.append(
            f"schedule {schedule.name}: '{schedule.cron_schedule}' "
            f"({schedule.execution_timezone}) -> {target}, default {schedule.default_status.value}"
        )
    for sensor in defs.sensors:
        if sensor.asset_key is not None:
            watches = f", watches {sensor.asset_key.to_user_string()}"
        elif sensor.run_statuses:
            watches = f", on runs {'/'.join(sensor.run_statuses)}"
        else:
            watches = ""
        lines.append(
            f"sensor {sensor.name}: {sensor.sensor_type.value}, at most every "
            f"{sensor.minimum_interval_seconds} s{watches} -> "
            f"{_target(sensor.job_name, sensor.asset_selection)}, default "
            f"{sensor.default_status.value}"
        )
    return lines


def _target(job_name: str | None, selection: object) -> str:
    if job_name is not None:
        return f"job {job_name}"
    if selection is not None:
        return f"assets {selection}"
    return "nothing to run (it only reacts)"


def _check_workspace(location: DefinitionsLocation) -> ExitCode:
    origins = find_origins(location, Path.cwd())
    with WorkspaceHost(origins) as host:
        entries = list(host)
        problems = host.problems()
    echo_locations(entries, problems)
    failed = [entry.name for entry in entries if entry.status is LocationStatus.FAILED]
    if failed or problems:
        return ExitCode.USAGE_ERROR
    click.echo(f"{_count(len(entries), 'code location')}: OK")
    return ExitCode.OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

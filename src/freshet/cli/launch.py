"""`freshet launch`: queue a run for a run worker (this process never imports the project's
code) and print its id; with --wait, follow it with live step lines and exit 0/1."""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

import click

from freshet.cli.common import (
    ExitCode,
    definitions_location,
    definitions_options,
    format_duration,
    global_options,
    home_path,
)
from freshet.cli.progress import Progress
from freshet.cli.run_inputs import load_run_config, parse_partition_range, parse_tags
from freshet.instance.coordinator import RunCoordinator, queue_is_served
from freshet.instance.instance import Instance
from freshet.instance.launcher import RunLauncher
from freshet.instance.monitoring import RunMonitor
from freshet.runs.launch import LaunchRequest, enqueue
from freshet.storage.records import RunRecord, RunStatus
from freshet.workspace.loader import find_origin
from freshet.workspace.origin import CodeLocationOrigin

_POLL_SECONDS = 0.05


@click.command("launch")
@click.option("--select", "selection", metavar="EXPR", help="Which assets (selection syntax).")
@click.option("--job", "job_name", metavar="NAME", help="Run this job (narrowed by --select).")
@click.option("--partition", "partition_key", metavar="KEY", help="The partition to run.")
@click.option(
    "--partition-range",
    "partition_range",
    metavar="FIRST...LAST",
    help="A range of partitions in one run.",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run config as YAML (ops: ..., resources: ...).",
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY=VALUE",
    help="A tag for the run (repeatable); freshet/priority=N orders the queue.",
)
@click.option(
    "--wait", is_flag=True, help="Follow the run until it ends; exit 0/1 like materialize."
)
@definitions_options
@click.pass_context
def command(
    ctx: click.Context,
    selection: str | None,
    job_name: str | None,
    partition_key: str | None,
    partition_range: str | None,
    config_file: Path | None,
    tags: tuple[str, ...],
    wait: bool,
) -> ExitCode:
    """Queue a run for a run worker and print its id.

    The daemon (`freshet daemon`) starts queued runs within the run queue's limits. With
    --wait and no daemon running, this command starts its own run (respecting the limits),
    follows it, and exits 0 if it succeeded, 1 if it failed.
    """
    if selection is None and job_name is None:
        raise click.UsageError("give --select EXPR or --job NAME (or both)")
    if partition_key is not None and partition_range is not None:
        raise click.UsageError("give --partition or --partition-range, not both")
    parsed_range = parse_partition_range(partition_range)
    origin = find_origin(definitions_location(ctx), Path.cwd())
    if origin.executable_path is None:
        # The worker uses this interpreter, whichever process later starts it.
        origin = _with_executable(origin, sys.executable)
    request = LaunchRequest(
        origin=origin.to_json_dict(),
        selection=selection,
        job_name=job_name,
        partition_key=partition_key,
        partition_range=None if parsed_range is None else (parsed_range.start, parsed_range.end),
        run_config=load_run_config(config_file) if config_file is not None else None,
        tags=parse_tags(tags),
    )
    with Instance.from_home(home_path(ctx)) as instance:
        run_id = enqueue(instance.storage, request)
        if not wait:
            click.echo(run_id)
            if not queue_is_served(instance):
                click.echo(
                    "note: no daemon is serving the run queue; the run starts when "
                    "`freshet daemon` runs (or use --wait)",
                    err=True,
                )
            return ExitCode.OK
        click.echo(f"run {run_id} queued")
        run = follow_run(instance, run_id, show_tracebacks=global_options(ctx).debug)
    click.echo(
        f"run {run.run_id} {_outcome(run)} in "
        f"{format_duration(((run.ended_at or time.time()) - run.created_at) * 1000)}"
    )
    if run.status is not RunStatus.SUCCESS:
        click.echo(f"details: freshet runs logs {run.run_id}")
    return ExitCode.OK if run.status is RunStatus.SUCCESS else ExitCode.RUN_FAILED


def follow_run(instance: Instance, run_id: str, *, show_tracebacks: bool) -> RunRecord:
    """Print the run's step lines as its events arrive, until it ends. Without a daemon
    serving the queue, start the run here (a coordinator for this one run) and watch its
    worker."""
    storage = instance.storage
    progress = Progress(sys.stdout, show_tracebacks=show_tracebacks)
    coordinator = monitor = None
    if not queue_is_served(instance):
        launcher = RunLauncher(instance.home)
        coordinator = RunCoordinator(instance, launcher, launched_by="freshet launch --wait")
        monitor = RunMonitor(instance, launcher)
    after: int | None = None
    while True:
        if coordinator is not None and monitor is not None:
            coordinator.tick(only=run_id)
            monitor.tick()
        run = storage.get_run(run_id)
        for record in storage.get_event_records(run_id=run_id, after_storage_id=after):
            progress(record.event)
            after = record.storage_id
        if run is not None and run.status.is_finished:
            return run
        time.sleep(_POLL_SECONDS)


def _outcome(run: RunRecord) -> str:
    if run.status is RunStatus.SUCCESS:
        return "succeeded"
    return "was CANCELED" if run.status is RunStatus.CANCELED else "FAILED"


def _with_executable(origin: CodeLocationOrigin, executable: str) -> CodeLocationOrigin:
    return replace(origin, executable_path=executable)

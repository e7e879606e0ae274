"""`freshet observe`: run observation functions of source assets and record data versions."""

from __future__ import annotations

import sys
import time
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
from freshet.instance.inprocess import observe
from freshet.instance.instance import Instance
from freshet.storage.records import EventType
from freshet.workspace.loader import load_definitions_at


@click.command("observe")
@click.option(
    "--select",
    "selection",
    metavar="EXPR",
    help="Which source assets to observe (default: every observable source asset).",
)
@click.option(
    "--partition",
    "partition_key",
    metavar="KEY",
    help="The partition to observe (for partitioned source assets).",
)
@definitions_options
@click.pass_context
def command(ctx: click.Context, selection: str | None, partition_key: str | None) -> ExitCode:
    """Observe source assets: record their current data versions.

    Exit status: 0 if every observation succeeded, 1 if one failed, 2 for a usage or
    definitions error.
    """
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    progress = Progress(sys.stdout, show_tracebacks=global_options(ctx).debug)
    with Instance.from_home(home_path(ctx)) as instance:
        result = observe(
            defs,
            selection=selection,
            instance=instance,
            raise_on_error=False,
            partition_key=partition_key,
            listeners=[progress],
        )
    observed = len(result.events_of_type(EventType.ASSET_OBSERVATION))
    failed = len(result.get_step_failure_events())
    outcome = "succeeded" if result.success else "FAILED"
    seconds = time.perf_counter() - progress.started
    click.echo(
        f"run {result.run_id} {outcome}: {observed} observed, {failed} failed "
        f"in {format_duration(seconds * 1000)}"
    )
    return ExitCode.OK if result.success else ExitCode.RUN_FAILED

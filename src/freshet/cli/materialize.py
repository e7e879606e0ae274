"""`freshet materialize`: run a selection of assets in this process on the home instance,
printing one line per finished step and a summary.

Partitioned assets need to be told which partitions: `--partition KEY` runs one, and
`--partition-range FIRST...LAST` runs a range (one run per partition, as a backfill does,
unless every selected asset has a single-run backfill policy). Without either, the
unpartitioned assets of the selection run and each partitioned one is reported with its
partition counts and the command that materializes what it lacks."""

from __future__ import annotations

import functools
import shlex
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from freshet.cli.common import (
    ExitCode,
    definitions_location,
    definitions_options,
    global_options,
    home_path,
)
from freshet.cli.progress import Progress, echo_summary
from freshet.cli.run_inputs import load_run_config, parse_partition_range, parse_tags
from freshet.core.keys import AssetKey
from freshet.definitions import Definitions
from freshet.instance.inprocess import run_assets
from freshet.instance.instance import Instance
from freshet.lineage.asset_graph import AssetGraph
from freshet.workspace.loader import load_definitions_at

# Start-up time: the selection grammar, status and partitions load only when the command
# line asks for them (a selection other than the default, or partitioned assets).


@click.command("materialize")
@click.option(
    "--select",
    "selection",
    default="*",
    show_default=True,
    metavar="EXPR",
    help="Which assets, in the selection syntax (e.g. '+report', 'group:sales').",
)
@click.option(
    "--partition",
    "partition_key",
    metavar="KEY",
    help="The partition to materialize (for partitioned assets).",
)
@click.option(
    "--partition-range",
    "partition_range",
    metavar="FIRST...LAST",
    help="Materialize a range of partitions in one run (e.g. 2024-01-01...2024-01-31).",
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run config as YAML (ops: ..., resources: ...).",
)
@click.option(
    "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag for the run (repeatable)."
)
@definitions_options
@click.pass_context
def command(
    ctx: click.Context,
    selection: str,
    partition_key: str | None,
    partition_range: str | None,
    config_file: Path | None,
    tags: tuple[str, ...],
) -> ExitCode:
    """Materialize the selected assets in this process, with live progress.

    Exit status: 0 if the run succeeded, 1 if it failed, 2 for a usage, definitions or
    config error (nothing runs then).
    """
    run_tags = parse_tags(tags)
    run_config = load_run_config(config_file) if config_file is not None else None
    if partition_key is not None and partition_range is not None:
        raise click.UsageError("--partition and --partition-range are exclusive; give one")
    key_range = parse_partition_range(partition_range)
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    graph = defs.get_asset_graph()
    with Instance.from_home(home_path(ctx)) as instance:
        keys = _selected(defs, instance, selection)
        if not keys:
            click.echo(f"nothing to materialize: the selection {selection!r} selects no asset")
            return ExitCode.OK
        partitioned = _partitioned(graph, keys)
        run = functools.partial(
            _run_once,
            ctx,
            defs,
            instance,
            run_config=run_config,
            tags=run_tags,
        )
        if key_range is not None and not _single_run(graph, partitioned):
            # Imported here for start-up time: the backfill engine is needed only for ranges.
            from freshet.cli.backfill import run_backfill

            # The range's partitions run as a backfill (one run per partition, or chunks); the
            # unpartitioned assets selected with them run once, in dependency order: those
            # the partitioned ones read before, the others after.
            plain = {k for k in keys - partitioned if graph.node(k).is_materializable}
            before = {k for k in plain if graph.downstream([k]) & partitioned}
            if before and (code := run(before)) is not ExitCode.OK:
                return code
            code = run_backfill(
                defs,
                instance,
                tags=run_tags,
                run_config=run_config,
                selection=sorted(partitioned),
                partition_range=(key_range.start, key_range.end),
            )
            if code is not ExitCode.OK or not plain - before:
                return code
            return run(plain - before)
        if partition_key is None and key_range is None and partitioned:
            left_out = _report_partitioned(defs, instance, partitioned)
            keys = keys - partitioned
            if not any(graph.node(k).is_materializable for k in keys):
                return ExitCode.USAGE_ERROR if left_out else ExitCode.OK
        return run(keys, partition_key=partition_key, partition_key_range=key_range)


def _run_once(
    ctx: click.Context,
    defs: Definitions,
    instance: Instance,
    keys: Iterable[AssetKey],
    *,
    run_config: Any,
    tags: dict[str, str],
    partition_key: str | None = None,
    partition_key_range: Any = None,
) -> ExitCode:
    """One in-process run of `keys` with live progress and its summary."""
    progress = Progress(sys.stdout, show_tracebacks=global_options(ctx).debug)
    result = run_assets(
        defs,
        keys,
        instance=instance,
        run_config=run_config,
        partition_key=partition_key,
        partition_key_range=partition_key_range,
        tags=tags,
        raise_on_error=False,
        listeners=[progress],
    )
    echo_summary(result, progress, time.perf_counter() - progress.started)
    return ExitCode.OK if result.success else ExitCode.RUN_FAILED


def _selected(defs: Definitions, instance: Instance, selection: str) -> set[AssetKey]:
    graph = defs.get_asset_graph()
    if selection == "*":  # the default: every materializable asset, as the grammar has it
        return set(graph.materializable_keys)
    from freshet.lineage.selection import select_assets
    from freshet.status.api import selection_statuses

    return select_assets(graph, selection, statuses=selection_statuses(defs, instance))


def _partitioned(graph: AssetGraph, keys: Iterable[AssetKey]) -> set[AssetKey]:
    return {k for k in keys if graph.node(k).is_materializable and graph.node(k).partitions_def}


def _single_run(graph: AssetGraph, keys: Iterable[AssetKey]) -> bool:
    """Whether every asset in `keys` runs a range of partitions in one run."""
    from freshet.core.partitions import BackfillPolicyType

    for key in keys:
        policy = graph.node(key).assets_def.backfill_policy
        if policy is None or policy.policy_type is not BackfillPolicyType.SINGLE_RUN:
            return False
    return True


def _report_partitioned(defs: Definitions, instance: Instance, keys: set[AssetKey]) -> bool:
    """Say, for each partitioned asset left out of a run without `--partition`, how many of
    its partitions are materialized and which command runs the rest. True if any partition
    is missing, failed or stale (something is left to do)."""
    from freshet.status.partitions import get_partition_status

    wanting: dict[str, list[str]] = {"missing": [], "failed": [], "stale": []}
    for key in sorted(keys):
        status = get_partition_status(defs, instance, key)
        counts = {
            "missing": len(status.missing),
            "failed": len(status.failed),
            "stale": len(status.stale),
        }
        name = key.to_user_string()
        details = ", ".join(f"{n:,} {what}" for what, n in counts.items() if n)
        done = f"{len(status.materialized):,} of {status.total:,} partitions materialized"
        click.echo(f"{name} is partitioned: {done}" + (f" ({details})" if details else ""))
        for what, n in counts.items():
            if n:
                wanting[what].append(name)
    if not any(wanting.values()):
        click.echo("every partition is materialized and up to date")
        return False
    click.echo("partitioned assets run only with --partition KEY or --partition-range A...B;")
    click.echo("to materialize the partitions they lack, run:")
    for what, names in wanting.items():
        if names:
            selection = shlex.quote(" or ".join(names))
            click.echo(f"  freshet backfill --select {selection} --{what}")
    return True

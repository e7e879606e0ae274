"""`freshet assets ...`: the project's assets with their group, kinds and last materialization."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from freshet.cli.common import (
    ExitCode,
    definitions_location,
    definitions_options,
    echo_json,
    echo_table,
    format_time,
    home_path,
    iso_time,
)
from freshet.instance.instance import Instance
from freshet.lineage.asset_graph import AssetNode
from freshet.status.api import get_asset_statuses
from freshet.storage.records import AssetStatusRecord
from freshet.workspace.loader import load_definitions_at


@click.group("assets")
def command() -> None:
    """Inspect the project's assets."""


@command.command("list")
@click.option(
    "--select",
    "selection",
    metavar="EXPR",
    help="Only these assets, in the selection syntax (default: all, sources included).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@definitions_options
@click.pass_context
def list_assets(ctx: click.Context, selection: str | None, as_json: bool) -> ExitCode:
    """List assets: key, group, kinds and when each was last materialized."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    graph = defs.get_asset_graph()
    keys = graph.all_keys if selection is None else defs.resolve_selection(selection)
    ordered = sorted(keys, key=lambda key: key.to_user_string())
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        statuses = instance.get_asset_status(ordered)
    rows = [_row(graph.node(key), statuses.get(key)) for key in ordered]
    if as_json:
        echo_json(
            [{**row, "last_materialized_at": iso_time(row["last_materialized_at"])} for row in rows]
        )
        return ExitCode.OK
    echo_table(
        ("KEY", "GROUP", "KINDS", "LAST MATERIALIZED"),
        [(row["key"], row["group"], ",".join(row["kinds"]) or "-", _when(row)) for row in rows],
    )
    return ExitCode.OK


@command.command("status")
@click.option(
    "--select",
    "selection",
    metavar="EXPR",
    help="Only these assets, in the selection syntax (e.g. 'status:stale', '+report').",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@definitions_options
@click.pass_context
def status(ctx: click.Context, selection: str | None, as_json: bool) -> ExitCode:
    """Show whether each asset is missing, stale or up to date, and why."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        statuses = get_asset_statuses(defs, instance, selection=selection)
    ordered = sorted(statuses.values(), key=lambda s: s.key.to_user_string())
    if as_json:
        echo_json([s.to_json() for s in ordered])
        return ExitCode.OK
    rows = []
    for item in ordered:
        causes = [c.message for c in item.causes] or ["-"]
        rows.append((item.key.to_user_string(), item.status.value, causes[0]))
        rows.extend(("", "", cause) for cause in causes[1:])
    echo_table(("KEY", "STATUS", "WHY"), rows)
    counts = {}
    for item in ordered:
        counts[item.status.value] = counts.get(item.status.value, 0) + 1
    summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "no assets"
    click.echo(summary)
    return ExitCode.OK


def _row(node: AssetNode, status: AssetStatusRecord | None) -> dict[str, Any]:
    last = status.last_materialization if status is not None else None
    return {
        "key": node.key.to_user_string(),
        "group": node.group_name,
        "kinds": sorted(node.kinds),
        "materializable": node.is_materializable,
        "partitioned": node.partitions_def is not None,
        "last_materialized_at": last.timestamp if last is not None else None,
        "last_run_id": last.run_id if last is not None else None,
    }


def _when(row: dict[str, Any]) -> str:
    if row["last_materialized_at"] is not None:
        return format_time(row["last_materialized_at"])
    if not row["materializable"]:
        return "- (source)"
    # Per-partition status lives in the partition index, not in the asset's own row.
    return "- (partitioned)" if row["partitioned"] else "never"

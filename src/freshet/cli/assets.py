"""`freshet assets ...`: the project's assets with their group, kinds, checks and last
materialization; their staleness; the status of a partitioned asset's partitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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
from freshet.core.keys import AssetKey
from freshet.instance.instance import Instance, home_has_history
from freshet.lineage.asset_graph import AssetNode
from freshet.lineage.selection import select_assets
from freshet.status.api import (
    CheckResult,
    get_asset_statuses,
    latest_check_results,
    selection_statuses,
)
from freshet.status.freshness import AssetFreshness, freshness_of
from freshet.status.partitions import get_partition_status, partition_counts, partition_ranges
from freshet.storage.records import AssetStatusRecord, EventRecord, EventType
from freshet.workspace.host import WorkspaceHost
from freshet.workspace.loader import (
    find_origin,
    find_origins,
    load_definitions,
    load_definitions_at,
)

#: the partition categories `assets partitions` lists, in display order
PARTITION_CATEGORIES = (
    "materialized",
    "failed",
    "in_progress",
    "missing",
    "stale",
    "latest_attempt_failed",
)


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
    """List assets: key, group, kinds, checks and when each was last materialized (with -w
    and no -l: the assets of every code location, each read from its code server)."""
    listed: list[tuple[dict[str, Any], Sequence[CheckResult]]] = []
    sources = _asset_sources(ctx)
    home = home_path(ctx)
    if selection is None and not home_has_history(home):
        # Nothing ran yet: the definitions answer alone, without opening (or creating) storage.
        for location_name, defs in sources:
            graph = defs.get_asset_graph()
            listed += _listed(location_name, graph, _by_name(graph.all_keys), {}, {})
    else:
        with Instance.from_home(home, read_only=True) as instance:
            for location_name, defs in sources:
                graph = defs.get_asset_graph()
                keys = (
                    graph.all_keys
                    if selection is None
                    else select_assets(
                        graph, selection, statuses=selection_statuses(defs, instance)
                    )
                )
                ordered = _by_name(keys)
                statuses = instance.get_asset_status(ordered)
                checks = latest_check_results(defs, instance.storage, ordered)
                listed += _listed(location_name, graph, ordered, statuses, checks)
    rows = [row for row, _ in listed]
    if as_json:
        echo_json(
            [{**row, "last_materialized_at": iso_time(row["last_materialized_at"])} for row in rows]
        )
        return ExitCode.OK
    several = len(sources) > 1
    echo_table(
        (
            "KEY",
            *(("LOCATION",) if several else ()),
            "GROUP",
            "KINDS",
            "CHECKS",
            "LAST MATERIALIZED",
        ),
        [
            (
                row["key"],
                *((row["location"],) if several else ()),
                row["group"],
                ",".join(row["kinds"]) or "-",
                checks_cell(results),
                _when(row),
            )
            for row, results in listed
        ],
    )
    return ExitCode.OK


def _by_name(keys: Iterable[AssetKey]) -> list[AssetKey]:
    return sorted(keys, key=lambda key: key.to_user_string())


def _listed(
    location_name: str,
    graph: Any,
    ordered: Sequence[AssetKey],
    statuses: Mapping[AssetKey, AssetStatusRecord],
    checks: Mapping[AssetKey, Sequence[CheckResult]],
) -> list[tuple[dict[str, Any], Sequence[CheckResult]]]:
    """Each asset's row of `assets list` with the check results its CHECKS cell counts."""
    listed = []
    for key in ordered:
        results = checks.get(key, [])
        row = {**_row(graph.node(key), statuses.get(key), results), "location": location_name}
        listed.append((row, results))
    return listed


def _asset_sources(ctx: click.Context) -> list[tuple[str, Any]]:
    """(location name, definitions or snapshot) to list: one location loaded in this process,
    or, for a workspace without -l, every loaded location's snapshot from its code server."""
    location = definitions_location(ctx)
    if location.workspace is not None and location.location_name is None:
        with WorkspaceHost(find_origins(location, Path.cwd())) as host:
            entries = list(host)
        for entry in entries:
            if entry.snapshot is None:
                click.echo(f"warning: code location {entry.name!r} failed to load", err=True)
        return [(e.name, e.snapshot) for e in entries if e.snapshot is not None]
    origin = find_origin(location, Path.cwd())
    return [(origin.location_name, load_definitions(origin))]


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
    """Show whether each asset is missing, stale or up to date, and why; partitioned assets
    with how many partitions are in each state."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        statuses = get_asset_statuses(defs, instance, selection=selection)
        counts = partition_counts(defs, instance, statuses)
        checks = latest_check_results(defs, instance.storage, statuses)
        freshness = freshness_of(defs.get_asset_graph(), instance.storage, statuses)
    ordered = sorted(statuses.values(), key=lambda s: s.key.to_user_string())
    if as_json:
        echo_json(
            [
                {
                    **s.to_json(),
                    "last_materialized_at": iso_time(s.last_materialized_at),
                    "partitions": counts.get(s.key),
                    "checks": [_check_json(c) for c in checks.get(s.key, [])],
                    "freshness": None if s.key not in freshness else freshness[s.key].to_json(),
                }
                for s in ordered
            ]
        )
        return ExitCode.OK
    rows = []
    for item in ordered:
        causes = [c.message for c in item.causes] or ["-"]
        partitions = partitions_cell(counts[item.key]) if item.key in counts else "-"
        check_cell = checks_cell(checks.get(item.key, []))
        fresh = freshness.get(item.key)
        if fresh is not None and fresh.is_late:
            causes.append(fresh.causes[-1] if len(fresh.causes) > 1 else fresh.causes[0])
        rows.append(
            (
                item.key.to_user_string(),
                item.status.value,
                _freshness_cell(fresh),
                partitions,
                check_cell,
                causes[0],
            )
        )
        rows.extend(("", "", "", "", "", cause) for cause in causes[1:])
    echo_table(("KEY", "STATUS", "FRESHNESS", "PARTITIONS", "CHECKS", "WHY"), rows)
    totals: dict[str, int] = {}
    for item in ordered:
        totals[item.status.value] = totals.get(item.status.value, 0) + 1
    summary = ", ".join(f"{n} {name}" for name, n in sorted(totals.items())) or "no assets"
    click.echo(summary)
    return ExitCode.OK


def _freshness_cell(state: AssetFreshness | None) -> str:
    """`on time`, `late 42 min`, `unknown`; `-` for an asset without a freshness policy."""
    if state is None:
        return "-"
    if state.is_late and state.late_by_minutes is not None:
        return f"late {_minutes(state.late_by_minutes)}"
    return state.status.value.replace("_", " ")


def _minutes(value: float) -> str:
    if value >= 120:
        return f"{value / 60:.1f} h"
    return f"{value:.0f} min"


@command.command("show")
@click.argument("asset_key", metavar="KEY")
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=1000),
    default=5,
    show_default=True,
    help="How many of the latest materializations to list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@definitions_options
@click.pass_context
def show(ctx: click.Context, asset_key: str, limit: int, as_json: bool) -> ExitCode:
    """One asset: its definition, its latest materializations with their metadata and
    versions, its checks, and what it reads and feeds."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    graph = defs.get_asset_graph()
    key = AssetKey.from_user_string(asset_key)
    select_assets(graph, [key])  # an unknown key is an error with the closest names
    node = graph.node(key)
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        records = instance.get_event_records(
            event_type=EventType.ASSET_MATERIALIZATION, asset_key=key, limit=limit, ascending=False
        )
        checks = latest_check_results(defs, instance.storage, [key]).get(key, [])
    described = {
        "key": key.to_user_string(),
        "description": node.description,
        "group": node.group_name,
        "kinds": sorted(node.kinds),
        "owners": list(node.owners),
        "tags": dict(node.tags),
        "code_version": node.code_version,
        "materializable": node.is_materializable,
        "partitions": None if node.partitions_def is None else str(node.partitions_def),
        "upstream": sorted(k.to_user_string() for k in graph.parents(key)),
        "downstream": sorted(k.to_user_string() for k in graph.children(key)),
        "materializations": [_materialization_json(r) for r in records],
        "checks": [_check_json(c) for c in checks],
    }
    if as_json:
        echo_json(described)
        return ExitCode.OK
    _echo_asset(described)
    return ExitCode.OK


def _materialization_json(record: EventRecord) -> dict[str, Any]:
    event = record.event
    return {
        "run_id": event.run_id,
        "partition": event.partition,
        "timestamp": iso_time(event.timestamp),
        "data_version": event.data.get("data_version"),
        "code_version": event.data.get("code_version"),
        "metadata": event.data.get("metadata") or {},
    }


def _echo_asset(described: Mapping[str, Any]) -> None:
    def listed(values: Sequence[str]) -> str:
        return ", ".join(values) or "-"

    fields = [
        ("asset", described["key"]),
        ("description", described["description"] or "-"),
        ("group", described["group"]),
        ("kinds", listed(described["kinds"])),
        ("owners", listed(described["owners"])),
        ("tags", listed([f"{k}={v}" for k, v in sorted(described["tags"].items())])),
        ("code", described["code_version"] or "-"),
        ("partitions", described["partitions"] or "-"),
        ("upstream", listed(described["upstream"])),
        ("downstream", listed(described["downstream"])),
    ]
    for name, value in fields:
        click.echo(f"{name:<12} {value}")
    click.echo()
    materializations = described["materializations"]
    if not materializations:
        click.echo("never materialized")
    for index, mat in enumerate(materializations):
        title = "latest materialization" if index == 0 else "earlier"
        where = f" partition {mat['partition']}" if mat["partition"] else ""
        click.echo(f"{title}: {mat['timestamp']}{where}  run {mat['run_id']}")
        click.echo(
            f"  data version {mat['data_version'] or '-'}, code version "
            f"{mat['code_version'] or '-'}"
        )
        for name, entry in mat["metadata"].items():
            value = entry.get("value") if isinstance(entry, Mapping) else entry
            click.echo(f"  {name}: {value}")
    if described["checks"]:
        click.echo()
        echo_table(
            ("CHECK", "RESULT", "SEVERITY", "EVALUATED"),
            [
                (c["check"], c["state"], c["severity"] or "-", c["evaluated_at"] or "-")
                for c in described["checks"]
            ],
        )


@command.command("partitions")
@click.argument("asset_key", metavar="KEY")
@click.option(
    "--status",
    "categories",
    multiple=True,
    type=click.Choice(PARTITION_CATEGORIES),
    help="Only partitions in this state (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@definitions_options
@click.pass_context
def partitions(
    ctx: click.Context, asset_key: str, categories: Sequence[str], as_json: bool
) -> ExitCode:
    """The partitions of a partitioned asset by state, as compact ranges of keys."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        state = get_partition_status(defs, instance, asset_key)
        wanted = categories or PARTITION_CATEGORIES
        subsets = {name: getattr(state, name) for name in wanted}
        by_category = {name: partition_ranges(subset) for name, subset in subsets.items()}
        sizes = {name: len(subset) for name, subset in subsets.items()}
    if as_json:
        echo_json({"asset": state.asset_key.to_user_string(), "total": state.total, **by_category})
        return ExitCode.OK
    click.echo(f"{state.asset_key.to_user_string()}: {state.total:,} partitions")
    for name in wanted:
        ranges = by_category[name]
        click.echo(f"{name} ({sizes[name]:,}): {', '.join(ranges) if ranges else '-'}")
    return ExitCode.OK


def partitions_cell(counts: Mapping[str, int]) -> str:
    """`7/1,068 materialized, 31 failed, ...`: the categories that are not empty."""
    text = f"{counts['materialized']:,}/{counts['total']:,} materialized"
    for name in ("failed", "in_progress", "missing", "stale"):
        if counts.get(name):
            text += f", {counts[name]:,} {name.replace('_', ' ')}"
    return text


def checks_cell(results: Sequence[CheckResult]) -> str:
    """`2 passed, 1 failed (ERROR)`, or `-` for an asset without checks."""
    if not results:
        return "-"
    passed = sum(1 for r in results if r.passed is True)
    failed = [r for r in results if r.passed is False]
    waiting = sum(1 for r in results if r.passed is None)
    parts = [f"{passed} passed"] if passed else []
    if failed:
        severities = sorted({r.severity or "ERROR" for r in failed})
        parts.append(f"{len(failed)} failed ({', '.join(severities)})")
    if waiting:
        parts.append(f"{waiting} not evaluated")
    return ", ".join(parts)


def _check_json(result: CheckResult) -> dict[str, Any]:
    return {
        "check": result.key.to_user_string(),
        "state": result.state,
        "severity": result.severity,
        "run_id": result.run_id,
        "evaluated_at": iso_time(result.timestamp),
        "metadata": dict(result.metadata),
    }


def _row(
    node: AssetNode, status: AssetStatusRecord | None, checks: Sequence[CheckResult]
) -> dict[str, Any]:
    last = status.last_materialization if status is not None else None
    return {
        "key": node.key.to_user_string(),
        "group": node.group_name,
        "kinds": sorted(node.kinds),
        "materializable": node.is_materializable,
        "partitioned": node.partitions_def is not None,
        "last_materialized_at": last.timestamp if last is not None else None,
        "last_run_id": last.run_id if last is not None else None,
        "checks": [_check_json(c) for c in checks],
    }


def _when(row: dict[str, Any]) -> str:
    if row["last_materialized_at"] is not None:
        return format_time(row["last_materialized_at"])
    if not row["materializable"]:
        return "- (source)"
    # Per-partition status lives in the partition index, not in the asset's own row.
    return "- (partitioned)" if row["partitioned"] else "never"

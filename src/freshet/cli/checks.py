"""`freshet checks list`: every asset check of the selected assets with its latest result."""

from __future__ import annotations

from pathlib import Path

import click

from freshet.cli.common import (
    ExitCode,
    definitions_location,
    definitions_options,
    echo_json,
    echo_table,
    format_metadata,
    format_time,
    home_path,
    iso_time,
)
from freshet.instance.instance import Instance
from freshet.lineage.selection import select_assets
from freshet.status.api import latest_check_results, selection_statuses
from freshet.workspace.loader import load_definitions_at


@click.group("checks")
def command() -> None:
    """Inspect asset checks."""


@command.command("list")
@click.option(
    "--select",
    "selection",
    metavar="EXPR",
    help="Only the checks of these assets, in the selection syntax.",
)
@click.option("--failed", is_flag=True, help="Only checks whose latest evaluation failed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@definitions_options
@click.pass_context
def list_checks(ctx: click.Context, selection: str | None, failed: bool, as_json: bool) -> ExitCode:
    """List checks: asset, check, latest result, severity, when and the metadata recorded."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    graph = defs.get_asset_graph()
    with Instance.from_home(home_path(ctx)) as instance:
        keys = (
            graph.all_keys
            if selection is None
            else select_assets(graph, selection, statuses=selection_statuses(defs, instance))
        )
        by_asset = latest_check_results(defs, instance.storage, keys)
    results = [
        result
        for key in sorted(by_asset, key=lambda k: k.to_user_string())
        for result in by_asset[key]
        if not failed or result.passed is False
    ]
    if as_json:
        echo_json(
            [
                {
                    "check": r.key.to_user_string(),
                    "asset": r.key.asset_key.to_user_string(),
                    "state": r.state,
                    "severity": r.severity,
                    "run_id": r.run_id,
                    "evaluated_at": iso_time(r.timestamp),
                    "description": r.description,
                    "metadata": dict(r.metadata),
                }
                for r in results
            ]
        )
        return ExitCode.OK
    echo_table(
        ("CHECK", "RESULT", "SEVERITY", "EVALUATED", "METADATA"),
        [
            (
                r.key.to_user_string(),
                r.state,
                r.severity or "-",
                format_time(r.timestamp),
                format_metadata(r.metadata) or "-",
            )
            for r in results
        ],
    )
    return ExitCode.OK

"""`freshet check`: load and validate the definitions without running anything."""

from __future__ import annotations

from pathlib import Path

import click

from freshet.cli.common import ExitCode, definitions_location, definitions_options
from freshet.workspace.loader import load_definitions_at


@click.command("check")
@definitions_options
@click.pass_context
def command(ctx: click.Context) -> ExitCode:
    """Load and validate the definitions; exit 2 with the problems if they are invalid."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    graph = defs.get_asset_graph()
    assets = len(graph.nodes)
    checks = sum(len(specs) for specs in graph.check_specs_by_asset.values())
    jobs = len(defs.get_all_job_defs())
    click.echo(f"{_count(assets, 'asset')}, {_count(checks, 'check')}, {_count(jobs, 'job')}: OK")
    return ExitCode.OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

"""`freshet automation`: run a tick (or try one without changing anything), explain why an
asset was or was not requested, list past ticks, and switch automation on or off."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from freshet.automation.result import AssetEvaluation, NodeEvaluation, RequestedRun
from freshet.cli.common import (
    LIST_LIMIT,
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
from freshet.instance.automation import (
    AUTOMATION_NAME,
    TICK_ID_TAG,
    TickOutcome,
    automation_enabled,
    latest_evaluation,
    run_automation_tick,
    set_automation_enabled,
)
from freshet.instance.inprocess import materialize
from freshet.instance.instance import Instance
from freshet.storage.state_records import InstigatorType
from freshet.workspace.loader import load_definitions_at


@click.group("automation")
def command() -> None:
    """Evaluate automation conditions: tick, explain, list ticks, switch on or off."""


def _parse_time(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a time; write e.g. '2024-05-01 09:00' (UTC) or "
            "'2024-05-01T09:00+02:00'"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@command.command("tick")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Evaluate against the instance's current state; request, record and change nothing.",
)
@click.option(
    "--at",
    "at",
    metavar="TIME",
    callback=_parse_time,
    help="Evaluate as if it were TIME, e.g. '2024-05-01 09:00' (UTC unless an offset is given).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@definitions_options
@click.pass_context
def tick(ctx: click.Context, dry_run: bool, at: float | None, as_json: bool) -> ExitCode:
    """Run one automation tick: evaluate every asset's condition from the stored cursor,
    record the tick and run what it requests in this process (the daemon launches them
    through the run queue instead). With --dry-run, only print what would be requested and
    why.

    Exit status: 0 when the tick (and its runs) succeeded, 1 if a run failed, 2 for a
    usage or definitions error."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    with Instance.from_home(home_path(ctx)) as instance:
        outcome = run_automation_tick(defs, instance, evaluation_time=at, dry_run=dry_run)
        failed = False
        if not dry_run and outcome.run_requests:
            tick_id = None if outcome.record is None else outcome.record.tick_id
            results = materialize_requested_runs(
                defs, instance, list(outcome.run_requests), tick_id
            )
            failed = any(not r.success for r in results)
    if as_json:
        echo_json(_tick_json(outcome, dry_run))
    else:
        _print_tick(outcome, dry_run)
    return ExitCode.RUN_FAILED if failed else ExitCode.OK


def materialize_requested_runs(
    defs: Any, instance: Instance, runs: list[RequestedRun], tick_id: int | None
) -> list[Any]:
    """Run a tick's requested runs one after another in this process (what `automation
    tick` does without a daemon); returns their results."""
    results = []
    for run in runs:
        tags = dict(run.tags)
        if tick_id is not None:
            tags[TICK_ID_TAG] = str(tick_id)
        results.append(
            materialize(
                defs,
                selection=list(run.asset_keys),
                partition_key=run.partition,
                instance=instance,
                raise_on_error=False,
                tags=tags,
            )
        )
    return results


def _tick_json(outcome: TickOutcome, dry_run: bool) -> dict[str, object]:
    result = outcome.result
    if result is None:
        return {"skipped": outcome.skipped_reason}
    return {
        "dry_run": dry_run,
        "tick_id": None if outcome.record is None else outcome.record.tick_id,
        "evaluation_time": iso_time(result.evaluation_time),
        "total_requested": result.total_requested,
        "run_requests": [r.to_json() for r in result.run_requests],
        "assets": [r.to_json() for r in result.results if r.requested or r.discarded],
    }


def _print_tick(outcome: TickOutcome, dry_run: bool) -> None:
    result = outcome.result
    if result is None:
        click.echo(f"tick skipped: {outcome.skipped_reason}")
        return
    when = format_time(result.evaluation_time)
    verb = "would request" if dry_run else "requested"
    head = "dry run" if dry_run else f"tick {outcome.record.tick_id if outcome.record else '?'}"
    runs = len(result.run_requests)
    click.echo(
        f"{head} at {when}: {len(result.results)} assets evaluated, {verb} "
        f"{result.total_requested} asset partition(s) in {runs} run(s)"
    )
    for number, run in enumerate(result.run_requests, 1):
        partition = "" if run.partition is None else f" [{run.partition}]"
        keys = ", ".join(k.to_user_string() for k in run.asset_keys)
        click.echo(f"  run {number}{partition}: {keys}")
    for evaluation in result.results:
        if evaluation.requested:
            click.echo(f"{evaluation.key.to_user_string()}: because {_because(evaluation)}")
        for reason, count in evaluation.discarded.items():
            click.echo(f"{evaluation.key.to_user_string()}: {count} held back ({reason})")


def _because(evaluation: AssetEvaluation) -> str:
    """The true leaves under true branches: the reasons the root holds."""
    reasons: list[str] = []

    def visit(node: NodeEvaluation) -> None:
        if node.true_count == 0 or node.node_type == "not":
            return
        if node.label and node.children and node.node_type not in ("and", "or"):
            reasons.append(node.label)
        if not node.children and node.node_type != "in_latest_time_window":  # a filter
            reasons.append(node.title)
        for child in node.children:
            visit(child)

    visit(evaluation.tree)
    return ", ".join(dict.fromkeys(reasons)) or evaluation.tree.title


@command.command("explain")
@click.argument("key")
@click.option("--partition", metavar="P", help="Explain one partition of a partitioned asset.")
@click.option(
    "--tick", "tick_id", type=click.IntRange(min=1), help="A past tick (default: the latest)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
@click.pass_context
def explain(
    ctx: click.Context, key: str, partition: str | None, tick_id: int | None, as_json: bool
) -> ExitCode:
    """Show KEY's condition tree as evaluated by the latest tick (or --tick ID): each node
    with its result and a one-line reason."""
    asset_key = AssetKey.from_user_string(key)
    with Instance.from_home(home_path(ctx)) as instance:
        evaluation, stored_at = latest_evaluation(instance.storage, asset_key, tick_id)
    if partition is not None and not evaluation.partitioned:
        raise click.BadParameter(
            f"asset {key!r} is not partitioned; leave out --partition", param_hint="--partition"
        )
    if as_json:
        echo_json({"tick_id": stored_at, **evaluation.to_json()})
        return ExitCode.OK
    requested = (
        (partition in evaluation.requested) if partition is not None else bool(evaluation.requested)
    )
    what = f"{key} [{partition}]" if partition is not None else key
    click.echo(
        f"{what}: {'requested' if requested else 'not requested'} "
        f"(evaluation stored by tick {stored_at})"
    )
    for line in render_tree(evaluation.tree, partition, evaluation.partitioned):
        click.echo(line)
    return ExitCode.OK


def render_tree(
    node: NodeEvaluation, partition: str | None, partitioned: bool, depth: int = 0
) -> list[str]:
    """One line per node: its verdict, its name and what it means."""
    if partitioned and partition is None:
        verdict = f"{node.true_count}/{node.candidate_count}"
    else:
        holds = node.holds_for(partition)
        if node.candidate_count == 0:
            verdict = "skip"  # an earlier operand of an `&` already ruled it out
        else:
            verdict = {True: "true", False: "false", None: "?"}[holds]
    line = f"{'  ' * depth}{verdict:>5}  {node.title} - {node.description}"
    lines = [line]
    for child in node.children:
        lines.extend(render_tree(child, partition, partitioned, depth + 1))
    return lines


@command.command("ticks")
@click.option("--limit", type=LIST_LIMIT, default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the ticks as JSON.")
@click.pass_context
def ticks(ctx: click.Context, limit: int, as_json: bool) -> ExitCode:
    """The latest automation ticks, newest first, with their counts."""
    with Instance.from_home(home_path(ctx)) as instance:
        records = instance.storage.get_ticks(
            InstigatorType.AUTOMATION, AUTOMATION_NAME, limit=limit
        )
        enabled = automation_enabled(instance.storage)
    rows = [
        {
            "tick_id": r.tick_id,
            "time": iso_time(r.tick.timestamp),
            "status": r.tick.status.value,
            "evaluated": r.tick.data.get("num_evaluated", 0),
            "requested": r.tick.data.get("num_requested", 0),
            "runs": len(r.tick.data.get("run_requests", ())),
            "recorded": r.tick.data.get("num_recorded", 0),
        }
        for r in records
    ]
    if as_json:
        echo_json({"enabled": enabled, "ticks": rows})
        return ExitCode.OK
    click.echo(f"automation is {'on' if enabled else 'off'}")
    if not rows:
        click.echo("no automation tick has run yet (`freshet automation tick`)")
        return ExitCode.OK
    echo_table(
        ["TICK", "TIME", "STATUS", "EVALUATED", "REQUESTED", "RUNS"],
        [
            [
                str(r["tick_id"]),
                format_time(rec.tick.timestamp),
                str(r["status"]),
                str(r["evaluated"]),
                str(r["requested"]),
                str(r["runs"]),
            ]
            for r, rec in zip(rows, records, strict=True)
        ],
    )
    return ExitCode.OK


@command.command("on")
@click.pass_context
def on(ctx: click.Context) -> ExitCode:
    """Turn automation on: ticks evaluate conditions and request runs."""
    with Instance.from_home(home_path(ctx)) as instance:
        set_automation_enabled(instance.storage, True)
    click.echo("automation is on")
    return ExitCode.OK


@command.command("off")
@click.pass_context
def off(ctx: click.Context) -> ExitCode:
    """Turn automation off: ticks request nothing until it is turned on again."""
    with Instance.from_home(home_path(ctx)) as instance:
        set_automation_enabled(instance.storage, False)
    click.echo("automation is off")
    return ExitCode.OK

"""`freshet schedules ...` and `freshet sensors ...`: list them with their state, turn them on
or off (stored in the instance), show their ticks, preview a schedule's next ticks, and
evaluate a sensor once. Definitions are read from code servers (`-w` for several locations)."""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

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
from freshet.errors import UsageError
from freshet.instance.instance import Instance
from freshet.instance.instigation import (
    InstigationDuty,
    InstigatorRef,
    describe_ticks,
    effective_status,
    instigators,
    set_status,
)
from freshet.storage.state_records import InstigatorStatus, InstigatorType
from freshet.workspace.host import WorkspaceHost
from freshet.workspace.loader import find_origins


@contextmanager
def _workspace(ctx: click.Context) -> Iterator[tuple[Instance, WorkspaceHost]]:
    origins = find_origins(definitions_location(ctx), Path.cwd())
    with Instance.from_home(home_path(ctx)) as instance:
        home = getattr(instance, "home", None)
        with WorkspaceHost(origins, instance_home=home) as host:
            for entry in host:
                if entry.error is not None:
                    click.echo(f"warning: code location {entry.name!r} failed to load", err=True)
            yield instance, host


def _noun(kind: InstigatorType) -> str:
    return "schedule" if kind is InstigatorType.SCHEDULE else "sensor"


def _refs(host: WorkspaceHost, kind: InstigatorType) -> list[InstigatorRef]:
    return [r for r in instigators(host) if r.instigator_type is kind]


def _find(host: WorkspaceHost, kind: InstigatorType, name: str) -> InstigatorRef:
    refs = _refs(host, kind)
    for ref in refs:
        if ref.name == name:
            return ref
    noun = _noun(kind)
    names = sorted(r.name for r in refs)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    known = ", ".join(names) or "none"
    raise UsageError(f"no {noun} named {name!r} ({noun}s: {known}){hint}")


def _rows(instance: Instance, refs: list[InstigatorRef]) -> list[dict[str, Any]]:
    states = {(s.instigator_type, s.name): s for s in instance.storage.get_instigator_states()}
    rows = []
    for ref in refs:
        state = states.get((ref.instigator_type, ref.name))
        ticks = instance.storage.get_ticks(ref.instigator_type, ref.name, limit=1)
        item = ref.schedule if ref.schedule is not None else ref.sensor
        assert item is not None
        target = item.job_name or ", ".join(k.to_user_string() for k in item.target_keys or ())
        row: dict[str, Any] = {
            "name": ref.name,
            "location": ref.location.name,
            "status": effective_status(ref, state).value,
            "target": target or "-",
            "last_tick": ticks[0].tick.timestamp if ticks else None,
            "last_tick_status": ticks[0].tick.status.value if ticks else None,
        }
        if ref.schedule is not None:
            row["cron_schedule"] = ref.schedule.cron_schedule
            row["execution_timezone"] = ref.schedule.execution_timezone
            upcoming = next_ticks(ref.schedule.cron_schedule, ref.schedule.execution_timezone, 1)
            row["next_tick"] = upcoming[0].timestamp() if upcoming else None
        else:
            assert ref.sensor is not None
            row["sensor_type"] = ref.sensor.sensor_type.value
            row["minimum_interval_seconds"] = ref.sensor.minimum_interval_seconds
        rows.append(row)
    return rows


def next_ticks(cron: str, timezone: str, count: int, after: float | None = None) -> list[datetime]:
    from croniter import croniter  # ~25 ms: only these commands need it

    zone = ZoneInfo(timezone)
    start = datetime.fromtimestamp(after if after is not None else time.time(), tz=zone)
    walker = croniter(cron, start)
    return [walker.get_next(datetime) for _ in range(count)]


def _list(ctx: click.Context, kind: InstigatorType, as_json: bool) -> ExitCode:
    with _workspace(ctx) as (instance, host):
        rows = _rows(instance, _refs(host, kind))
    if as_json:
        echo_json(
            [
                {
                    **row,
                    "last_tick": iso_time(row["last_tick"]),
                    **({"next_tick": iso_time(row["next_tick"])} if "next_tick" in row else {}),
                }
                for row in rows
            ]
        )
        return ExitCode.OK
    if kind is InstigatorType.SCHEDULE:
        echo_table(
            ("NAME", "LOCATION", "STATUS", "CRON", "TIMEZONE", "TARGET", "NEXT TICK", "LAST TICK"),
            [
                (
                    r["name"],
                    r["location"],
                    r["status"],
                    r["cron_schedule"],
                    r["execution_timezone"],
                    r["target"],
                    format_time(r["next_tick"]),
                    _last(r),
                )
                for r in rows
            ],
        )
    else:
        echo_table(
            ("NAME", "LOCATION", "STATUS", "TYPE", "INTERVAL", "TARGET", "LAST TICK"),
            [
                (
                    r["name"],
                    r["location"],
                    r["status"],
                    r["sensor_type"],
                    f"{r['minimum_interval_seconds']} s",
                    r["target"],
                    _last(r),
                )
                for r in rows
            ],
        )
    return ExitCode.OK


def _last(row: dict[str, Any]) -> str:
    if row["last_tick"] is None:
        return "-"
    return f"{format_time(row['last_tick'])} {row['last_tick_status']}"


def _switch(ctx: click.Context, kind: InstigatorType, name: str, on: bool) -> ExitCode:
    with _workspace(ctx) as (instance, host):
        ref = _find(host, kind, name)
        status = InstigatorStatus.RUNNING if on else InstigatorStatus.STOPPED
        set_status(instance.storage, kind, ref.name, status)
    noun = _noun(kind)
    click.echo(f"{noun} {name} is {'on' if on else 'off'}")
    return ExitCode.OK


def _ticks(
    ctx: click.Context, kind: InstigatorType, name: str, limit: int, as_json: bool
) -> ExitCode:
    with Instance.from_home(home_path(ctx)) as instance:
        ticks = describe_ticks(instance.storage.get_ticks(kind, name, limit=limit))
    if as_json:
        echo_json([{**t, "timestamp": iso_time(t["timestamp"])} for t in ticks])
        return ExitCode.OK
    if not ticks:
        click.echo(f"no ticks of {name!r} recorded")
        return ExitCode.OK
    echo_table(
        ("TICK", "TIME", "STATUS", "RUNS", "DETAIL"),
        [
            (
                str(t["tick_id"]),
                format_time(t["timestamp"]),
                t["status"],
                str(len(t["run_ids"])),
                (t["error"] or t["skip_reason"] or "").splitlines()[0]
                if (t["error"] or t["skip_reason"])
                else "",
            )
            for t in ticks
        ],
    )
    return ExitCode.OK


def _instigator_group(
    kind: InstigatorType, group_help: str, list_help: str, on_help: str
) -> click.Group:
    """The `schedules` or `sensors` group with the commands both have: list, on, off, ticks."""
    noun = _noun(kind)
    group = click.Group(f"{noun}s", help=group_help)

    @group.command("list", help=list_help)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    @definitions_options
    @click.pass_context
    def list_command(ctx: click.Context, as_json: bool) -> ExitCode:
        return _list(ctx, kind, as_json)

    @group.command("on", help=on_help)
    @click.argument("name")
    @definitions_options
    @click.pass_context
    def on_command(ctx: click.Context, name: str) -> ExitCode:
        return _switch(ctx, kind, name, True)

    @group.command("off", help=f"Turn a {noun} off.")
    @click.argument("name")
    @definitions_options
    @click.pass_context
    def off_command(ctx: click.Context, name: str) -> ExitCode:
        return _switch(ctx, kind, name, False)

    @group.command("ticks", help=f"A {noun}'s recorded ticks, newest first.")
    @click.argument("name")
    @click.option("--limit", type=LIST_LIMIT, default=20, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    @click.pass_context
    def ticks_command(ctx: click.Context, name: str, limit: int, as_json: bool) -> ExitCode:
        return _ticks(ctx, kind, name, limit, as_json)

    return group


schedules = _instigator_group(
    InstigatorType.SCHEDULE,
    "List schedules, turn them on or off, show their ticks or preview the next ones.",
    "Schedules with their state, cron, timezone, target and next tick.",
    "Turn a schedule on (the daemon ticks it from now on).",
)
sensors = _instigator_group(
    InstigatorType.SENSOR,
    "List sensors, turn them on or off, show their ticks, or evaluate one now.",
    "Sensors with their state, type, interval and target.",
    "Turn a sensor on.",
)


@schedules.command("preview")
@click.argument("name")
@click.option("--count", type=click.IntRange(1, 1000), default=5, show_default=True)
@definitions_options
@click.pass_context
def schedule_preview(ctx: click.Context, name: str, count: int) -> ExitCode:
    """The next tick times of a schedule, in its timezone."""
    with _workspace(ctx) as (_, host):
        ref = _find(host, InstigatorType.SCHEDULE, name)
    assert ref.schedule is not None
    for moment in next_ticks(ref.schedule.cron_schedule, ref.schedule.execution_timezone, count):
        click.echo(moment.isoformat())
    return ExitCode.OK


@sensors.command("tick")
@click.argument("name")
@click.option("--cursor", default=None, help="Evaluate with this cursor (default: the stored one).")
@click.option(
    "--dry-run", is_flag=True, help="Show what it would request; record and queue nothing."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@definitions_options
@click.pass_context
def sensor_tick(
    ctx: click.Context, name: str, cursor: str | None, dry_run: bool, as_json: bool
) -> ExitCode:
    """Evaluate a sensor once, now, in its code location; queue its runs unless --dry-run."""
    with _workspace(ctx) as (instance, host):
        ref = _find(host, InstigatorType.SENSOR, name)
        state = instance.storage.get_instigator_state(InstigatorType.SENSOR, name)
        stored = (state.data if state is not None else {}).get("cursor")
        used = cursor if cursor is not None else stored
        if dry_run:
            evaluation = host.client(ref.location.name).tick_sensor(name, cursor=used)
            result = {
                "requests": [r.to_json() for r in evaluation.run_requests],
                "skip_reason": evaluation.skip_reason,
                "cursor": evaluation.cursor,
            }
        else:
            duty = InstigationDuty.for_instance(instance, host)
            try:
                tick = duty.tick_now(ref, state, cursor=used)
            finally:
                duty.close()
            result = {
                "status": tick.status.value,
                "run_ids": list(tick.run_ids),
                "skip_reason": tick.skip_reason,
                "error": tick.error,
                "cursor": tick.cursor,
            }
    if as_json:
        echo_json(result)
        return ExitCode.OK
    if dry_run:
        for request in result["requests"]:
            click.echo(f"would request: {request}")
        if not result["requests"]:
            click.echo(f"would skip: {result['skip_reason']}")
        click.echo(f"cursor: {result['cursor']}")
        return ExitCode.OK
    click.echo(f"tick {result['status']}: {len(result['run_ids'])} run(s) queued")
    for run_id in result["run_ids"]:
        click.echo(f"  {run_id}")
    if result["error"]:
        click.echo(f"error: {result['error']}", err=True)
        return ExitCode.RUN_FAILED
    return ExitCode.OK

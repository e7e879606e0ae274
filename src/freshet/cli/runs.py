"""`freshet runs ...`: list runs, show one with its steps, print its event or compute logs."""

from __future__ import annotations

import getpass
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import click

from freshet.cli.common import (
    LIST_LIMIT,
    ExitCode,
    definitions_location,
    definitions_options,
    echo_json,
    echo_table,
    format_duration,
    format_metadata,
    format_time,
    global_options,
    home_path,
    iso_time,
)
from freshet.cli.launch import follow_run
from freshet.errors import RunNotFoundError
from freshet.instance.instance import Instance
from freshet.runs.launch import enqueue
from freshet.runs.reexecution import reexecution_request
from freshet.storage.records import (
    ComputeLogStream,
    EventRecord,
    EventType,
    RunRecord,
    RunStatus,
)
from freshet.workspace.loader import find_origin

_STEP_EVENTS = (
    EventType.STEP_START,
    EventType.STEP_SUCCESS,
    EventType.STEP_FAILURE,
    EventType.STEP_SKIPPED,
)


class StepStatus(StrEnum):
    STARTED = "STARTED"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    SKIPPED = "SKIPPED"


_STATUS_BY_EVENT = {
    EventType.STEP_START: StepStatus.STARTED,
    EventType.STEP_SUCCESS: StepStatus.SUCCESS,
    EventType.STEP_FAILURE: StepStatus.FAILURE,
    EventType.STEP_SKIPPED: StepStatus.SKIPPED,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StepSummary:
    key: str
    status: StepStatus
    duration_ms: float | None
    detail: str


@click.group("runs")
def command() -> None:
    """Inspect runs recorded in the instance."""


@command.command("list")
@click.option(
    "--limit",
    type=LIST_LIMIT,
    default=20,
    show_default=True,
    help="How many runs, newest first.",
)
@click.option(
    "--status",
    "status",
    type=click.Choice([s.value for s in RunStatus], case_sensitive=False),
    help="Only runs with this status.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_runs(ctx: click.Context, limit: int, status: str | None, as_json: bool) -> ExitCode:
    """List runs, newest first."""
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        runs = instance.get_runs(status=RunStatus(status.upper()) if status else None, limit=limit)
    if as_json:
        echo_json([_run_json(run) for run in runs])
        return ExitCode.OK
    if not runs:
        click.echo("no runs yet; start one with `freshet materialize`")
        return ExitCode.OK
    echo_table(
        ("RUN ID", "STATUS", "CREATED", "DURATION", "JOB", "ASSETS"),
        [
            (
                run.run_id,
                run.status.value,
                format_time(run.created_at),
                format_duration(_duration_ms(run)),
                run.job_name,
                _assets_summary(run),
            )
            for run in runs
        ],
    )
    return ExitCode.OK


@command.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def show_run(ctx: click.Context, run_id: str, as_json: bool) -> ExitCode:
    """Show a run: its record and a summary of each step."""
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        run = _get_run(instance, run_id)
        steps = summarize_steps(
            instance.get_event_records(event_type=_STEP_EVENTS, run_id=run.run_id)
        )
        check_records = instance.get_event_records(
            event_type=EventType.ASSET_CHECK_EVALUATION, run_id=run.run_id
        )
        started = instance.get_event_records(event_type=EventType.RUN_START, run_id=run.run_id)
    planned = _as_planned(run, started[-1].event.data if started else {})
    checks = [_check_json(record) for record in check_records]
    steps = _with_failed_checks(steps, check_records)
    if as_json:
        body = {**_run_json(run), "steps": [_step_json(step) for step in steps], "checks": checks}
        if planned is not run:
            # what the plan made of the record's op selection and offered outputs
            body["planned"] = {
                "op_selection": list(planned.op_selection or ()),
                "reused_outputs": _run_json(planned)["reused_outputs"],
            }
        echo_json(body)
        return ExitCode.OK
    run = planned
    fields = [
        ("run", run.run_id),
        ("status", run.status.value),
        ("job", run.job_name),
        ("assets", ", ".join(k.to_user_string() for k in run.asset_selection) or "-"),
        ("partition", run.partition or "-"),
        ("tags", ", ".join(f"{k}={v}" for k, v in sorted(run.tags.items())) or "-"),
        ("created", format_time(run.created_at)),
        ("started", format_time(run.started_at)),
        ("ended", format_time(run.ended_at)),
        ("duration", format_duration(_duration_ms(run))),
    ]
    if run.parent_run_id is not None:
        root = run.root_run_id
        lineage = (
            run.parent_run_id
            if root in (None, run.parent_run_id)
            else (f"{run.parent_run_id} (root {root})")
        )
        fields.append(("re-runs", lineage))
    if run.op_selection is not None:
        fields.append(("ops", ", ".join(run.op_selection)))
    if run.reused_outputs:
        fields.append(("reused", _reused_text(run.reused_outputs)))
    for name, value in fields:
        click.echo(f"{name:<10} {value}")
    click.echo()
    if not steps:
        click.echo("no steps started")
        return ExitCode.OK
    echo_table(
        ("STEP", "STATUS", "DURATION", "DETAIL"),
        [(s.key, s.status.value, format_duration(s.duration_ms), s.detail) for s in steps],
    )
    if checks:
        click.echo()
        echo_table(
            ("CHECK", "RESULT", "SEVERITY", "METADATA"),
            [
                (
                    c["check"],
                    "passed" if c["passed"] else "FAILED",
                    c["severity"] or "-",
                    format_metadata(c["metadata"]) or "-",
                )
                for c in checks
            ],
        )
        failed = sum(1 for c in checks if not c["passed"])
        if failed:
            click.echo(f"{failed} of {len(checks)} check(s) failed")
    return ExitCode.OK


@command.command("logs")
@click.argument("run_id")
@click.option("--step", "step_key", metavar="KEY", help="Only this step.")
@click.option(
    "--stdout", is_flag=True, help="Print the captured stdout of the step(s) instead of events."
)
@click.option(
    "--stderr", is_flag=True, help="Print the captured stderr of the step(s) instead of events."
)
@click.pass_context
def run_logs(
    ctx: click.Context, run_id: str, step_key: str | None, stdout: bool, stderr: bool
) -> ExitCode:
    """Print a run's event log (time, level, step, event, message), or its compute logs
    (--stdout and --stderr together print both, each under a labelled header)."""
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        run = _get_run(instance, run_id)
        records = instance.get_event_records(run_id=run.run_id)
        steps = list(dict.fromkeys(r.event.step_key for r in records if r.event.step_key))
        if step_key is not None and step_key not in steps:
            known = ", ".join(steps) or "none"
            raise click.BadParameter(
                f"run {run.run_id} has no step {step_key!r}; its steps: {known}",
                param_hint="'--step'",
            )
        streams = [
            s
            for s, wanted in ((ComputeLogStream.STDOUT, stdout), (ComputeLogStream.STDERR, stderr))
            if wanted
        ]
        if streams:
            _echo_compute_logs(instance, run.run_id, step_key, streams)
            return ExitCode.OK
    _echo_events([r for r in records if step_key is None or r.event.step_key == step_key])
    return ExitCode.OK


@command.command("cancel")
@click.argument("run_id")
@click.pass_context
def cancel(ctx: click.Context, run_id: str) -> ExitCode:
    """Cancel a run: a queued run at once; a started run's worker stops its steps."""
    with Instance.from_home(home_path(ctx)) as instance:
        run = instance.cancel_run(run_id, requested_by=f"freshet runs cancel (user {_user()})")
    if run.status is RunStatus.CANCELED:
        click.echo(f"run {run.run_id} canceled")
    else:
        click.echo(f"run {run.run_id} is {run.status.value}: its worker is stopping its steps")
    return ExitCode.OK


@command.command("reexecute")
@click.argument("run_id")
@click.option(
    "--from-failure",
    is_flag=True,
    help="Only the assets or ops that failed or did not run; the others' values are loaded "
    "from storage (op outputs from the run that stored them).",
)
@click.option(
    "--select",
    "selection",
    metavar="EXPR",
    help="Re-execute these assets instead (for an op job: op names, e.g. 'transform*', or "
    "one mapping key of a mapped op, 'square[k2]').",
)
@click.option("--wait", is_flag=True, help="Follow the new run until it ends; exit 0/1.")
@definitions_options
@click.pass_context
def reexecute(
    ctx: click.Context, run_id: str, from_failure: bool, selection: str | None, wait: bool
) -> ExitCode:
    """Launch a new run re-executing RUN_ID (its parent), all of it, --select EXPR, or
    --from-failure; prints the new run's id."""
    with Instance.from_home(home_path(ctx)) as instance:
        parent = _get_run(instance, run_id)
        fallback = None
        if parent.origin is None:
            fallback = find_origin(definitions_location(ctx), Path.cwd()).to_json_dict()
        request = reexecution_request(
            instance.storage,
            parent,
            from_failure=from_failure,
            selection=selection,
            origin=fallback,
        )
        new_id = enqueue(instance.storage, request)
        if not wait:
            click.echo(new_id)
            return ExitCode.OK
        click.echo(f"run {new_id} queued (re-executes {parent.run_id})")
        run = follow_run(instance, new_id, show_tracebacks=global_options(ctx).debug)
    click.echo(f"run {run.run_id} {run.status.value}")
    return ExitCode.OK if run.status is RunStatus.SUCCESS else ExitCode.RUN_FAILED


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# ---- helpers -------------------------------------------------------------------------------


def _get_run(instance: Instance, run_id: str) -> RunRecord:
    """The run with this id or an unambiguous 8+ character prefix of it."""
    try:
        return instance.find_run(run_id)
    except RunNotFoundError as exc:
        raise RunNotFoundError(
            f"{exc} in the instance at {instance.home} (check --home / FRESHET_HOME)"
        ) from None


def summarize_steps(records: Sequence[EventRecord]) -> list[StepSummary]:
    """One summary per step, in the order steps started (or were skipped)."""
    latest: dict[str, EventRecord] = {}
    for record in records:
        key = record.event.step_key
        if key is not None and record.event_type in _STATUS_BY_EVENT:
            latest[key] = record
    return [_step_summary(key, record) for key, record in latest.items()]


def _step_summary(key: str, record: EventRecord) -> StepSummary:
    event = record.event
    status = _STATUS_BY_EVENT[event.event_type]
    detail = ""
    if status is StepStatus.FAILURE:
        error = event.data.get("error", {})
        detail = f"{error.get('cls', 'Error')}: {error.get('message', '')}".splitlines()[0]
    elif status is StepStatus.SKIPPED:
        detail = str(event.data.get("reason", ""))
    elif status is StepStatus.STARTED:
        detail = "did not finish"
    return StepSummary(
        key=key, status=status, duration_ms=event.data.get("duration_ms"), detail=detail
    )


def _echo_events(records: Sequence[EventRecord]) -> None:
    step_width = max((len(r.event.step_key or "-") for r in records), default=1)
    type_width = max((len(r.event_type.value) for r in records), default=1)
    for record in records:
        event = record.event
        when = datetime.fromtimestamp(event.timestamp).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        level = logging.getLevelName(event.level)
        step = (event.step_key or "-").ljust(step_width)
        text = event.message or (event.asset_key.to_user_string() if event.asset_key else "")
        line = f"{when}  {level:<7}  {step}  {event.event_type.value:<{type_width}}  {text}"
        click.echo(line.rstrip())
        if event.event_type is EventType.STEP_FAILURE:
            trace = str(event.data.get("error", {}).get("traceback") or "").rstrip()
            if trace:
                click.echo("    " + trace.replace("\n", "\n    "))


def _echo_compute_logs(
    instance: Instance, run_id: str, step_key: str | None, streams: Sequence[ComputeLogStream]
) -> None:
    """Each captured stream of each step; headers name step and stream whenever more than one
    step or stream is printed."""
    steps = [step_key] if step_key is not None else instance.compute_logs.list_steps(run_id)
    labelled = step_key is None or len(streams) > 1
    printed = False
    for key in steps:
        for stream in streams:
            text = instance.compute_logs.read(run_id, key, stream)
            if not text:
                continue
            if labelled:
                click.echo(f"== {key} ({stream.value}) ==")
            click.echo(text, nl=not text.endswith("\n"))
            printed = True
    if not printed:
        which = f"step {step_key!r}" if step_key is not None else "any step"
        names = " or ".join(s.value for s in streams)
        click.echo(f"no {names} captured for {which} of run {run_id}", err=True)


def _with_failed_checks(
    steps: Sequence[StepSummary], check_records: Sequence[EventRecord]
) -> list[StepSummary]:
    """Steps whose checks failed say so in their detail (the step itself succeeded)."""
    failed: dict[str, list[str]] = {}
    for record in check_records:
        if not record.event.data.get("passed", True):
            check = _check_json(record)
            failed.setdefault(record.event.step_key or "", []).append(
                f"{check['check']} ({check['severity'] or 'ERROR'})"
            )
    return [
        replace(step, detail=f"check failed: {', '.join(failed[step.key])}")
        if step.key in failed and not step.detail
        else step
        for step in steps
    ]


def _check_json(record: EventRecord) -> dict[str, Any]:
    event = record.event
    data = event.data
    asset = event.asset_key.to_user_string() if event.asset_key else "?"
    return {
        "check": f"{asset}:{data.get('check_name', '?')}",
        "passed": bool(data.get("passed", True)),
        "severity": data.get("severity"),
        "partition": event.partition,
        "evaluated_at": iso_time(event.timestamp),
        "description": data.get("description"),
        "metadata": data.get("metadata") or {},
    }


def _duration_ms(run: RunRecord) -> float | None:
    if run.started_at is None or run.ended_at is None:
        return None
    return (run.ended_at - run.started_at) * 1000


def _assets_summary(run: RunRecord, shown: int = 3) -> str:
    names = [key.to_user_string() for key in run.asset_selection]
    if not names and run.selection is not None:
        return f"--select {run.selection}"
    if len(names) <= shown:
        return ", ".join(names) or "-"
    return f"{', '.join(names[:shown])} +{len(names) - shown} more"


def _as_planned(run: RunRecord, started: Mapping[str, Any]) -> RunRecord:
    """The run with the ops and reused outputs its plan settled on, as its RUN_START
    recorded them (`run` itself when it recorded none): a launched re-execution asks for
    every output of its run chain and an op selection as given (`load*`); its plan names the
    steps and the outputs it read."""
    if "op_selection" in started or "reused_outputs" in started:
        return replace(
            run,
            op_selection=tuple(started.get("op_selection", ())) or run.op_selection,
            reused_outputs=tuple(
                (node, output, run_id) for node, output, run_id in started.get("reused_outputs", ())
            ),
        )
    return run


def _reused_text(reused: Sequence[tuple[str, str, str]], shown: int = 6) -> str:
    """Op outputs a run loaded instead of executing their ops, grouped by the run that
    stored them: `extract.result from 3f2a1b9c` (the first `shown`, then how many more)."""
    by_run: dict[str, list[str]] = {}
    for node, output, run_id in reused[:shown]:
        by_run.setdefault(run_id, []).append(f"{node}.{output}")
    text = "; ".join(f"{', '.join(outs)} from {run_id[:8]}" for run_id, outs in by_run.items())
    return text if len(reused) <= shown else f"{text} +{len(reused) - shown} more"


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "status": run.status.value,
        "job_name": run.job_name,
        "asset_selection": [key.to_user_string() for key in run.asset_selection],
        "partition": run.partition,
        "tags": dict(run.tags),
        "parent_run_id": run.parent_run_id,
        "root_run_id": run.root_run_id,
        "op_selection": None if run.op_selection is None else list(run.op_selection),
        "reused_outputs": [
            {"node": node, "output": output, "run_id": run_id}
            for node, output, run_id in run.reused_outputs
        ],
        "created_at": iso_time(run.created_at),
        "started_at": iso_time(run.started_at),
        "ended_at": iso_time(run.ended_at),
        "duration_ms": _duration_ms(run),
    }


def _step_json(step: StepSummary) -> dict[str, Any]:
    return {
        "step_key": step.key,
        "status": step.status.value,
        "duration_ms": step.duration_ms,
        "detail": step.detail,
    }

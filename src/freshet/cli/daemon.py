"""`freshet daemon`: run the daemon's loop in the foreground (the run queue and run
monitoring) until interrupted; `freshet daemon status`: each duty's last heartbeat."""

from __future__ import annotations

import signal
import threading
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

import click

from freshet.cli.common import (
    ExitCode,
    definitions_location,
    definitions_options,
    echo_json,
    echo_table,
    format_time,
    home_path,
)
from freshet.daemon.duties import default_duties
from freshet.daemon.loop import DaemonLoop
from freshet.daemon.status import duty_statuses
from freshet.errors import DefinitionsLoadError
from freshet.instance.instance import Instance
from freshet.workspace.host import LocationStatus, WorkspaceHost
from freshet.workspace.loader import find_origins


@click.group("daemon", invoke_without_command=True)
@definitions_options
@click.pass_context
def command(ctx: click.Context) -> ExitCode | None:
    """Run the daemon in the foreground: it starts queued runs within the run queue's limits,
    fails runs whose worker died, and ticks the schedules and sensors of the project's code
    locations (-f/-m/-w or [tool.freshet]), each loaded in its own process. Stop it with
    Ctrl-C or SIGTERM."""
    if ctx.invoked_subcommand is not None:
        return None
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with Instance.from_home(home_path(ctx)) as instance, ExitStack() as stack:
            host = _workspace_host(ctx, instance)
            if host is not None:
                stack.callback(host.close)
            duties = default_duties(instance, host)
            loop = DaemonLoop(instance.storage, duties)
            names = ", ".join(duty.name for duty in duties)
            click.echo(f"freshet daemon {loop.daemon_id} on {instance.home}: {names}")
            loop.run(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("freshet daemon stopped")
    return ExitCode.OK


def _workspace_host(ctx: click.Context, instance: Instance) -> WorkspaceHost | None:
    """The code locations whose schedules and sensors the daemon ticks; None (with a note)
    when the daemon runs without definitions."""
    try:
        origins = find_origins(definitions_location(ctx), Path.cwd())
    except DefinitionsLoadError as exc:
        if "no definitions to load" not in str(exc):
            raise
        click.echo("no definitions found: schedules and sensors are not ticked", err=True)
        return None
    host = WorkspaceHost(origins, instance_home=instance.home).start()
    for entry in host:
        if entry.status is LocationStatus.FAILED:
            click.echo(f"warning: code location {entry.name!r} failed to load:", err=True)
            click.echo(entry.error or "", err=True)
    return host


@command.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> ExitCode:
    """Each duty's last heartbeat; exit 1 when no duty is running."""
    with Instance.from_home(home_path(ctx)) as instance:
        statuses = duty_statuses(instance.storage)
    if as_json:
        echo_json(
            [
                {
                    "duty": s.name,
                    "running": s.running,
                    "last_heartbeat": s.last_heartbeat,
                    "age_seconds": round(s.age_seconds, 3),
                    "pid": s.pid,
                    "error": s.error,
                }
                for s in statuses
            ]
        )
    elif not statuses:
        click.echo("no daemon has run on this instance; start one with `freshet daemon`")
    else:
        echo_table(
            ("DUTY", "STATUS", "LAST HEARTBEAT", "AGE", "PID", "ERROR"),
            [
                (
                    s.name,
                    "running" if s.running else "NOT RUNNING",
                    format_time(s.last_heartbeat),
                    f"{s.age_seconds:.1f} s",
                    str(s.pid or "-"),
                    s.error or "",
                )
                for s in statuses
            ],
        )
    running = any(s.running for s in statuses)
    return ExitCode.OK if running else ExitCode.RUN_FAILED

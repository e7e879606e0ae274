"""`freshet materialize`: run a selection of assets in this process on the home instance,
printing one line per finished step and a summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

from freshet.cli.common import (
    ExitCode,
    definitions_location,
    definitions_options,
    format_duration,
    global_options,
    home_path,
)
from freshet.cli.yaml_documents import load_yaml_file
from freshet.core.partitions import PartitionKeyRange
from freshet.errors import ConfigError
from freshet.execution.result import RunResult
from freshet.instance.inprocess import run_assets
from freshet.instance.instance import Instance
from freshet.status.api import resolve_selection
from freshet.storage.records import Event, EventType, LogLevel
from freshet.workspace.loader import load_definitions_at

_MAX_KEY_WIDTH = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class Symbols:
    success: str
    failure: str
    skipped: str

    @classmethod
    def for_stream(cls, encoding: str | None) -> Symbols:
        """Check marks where the terminal can show them, ASCII elsewhere."""
        try:
            "✓✗".encode(encoding or "ascii")
        except (UnicodeEncodeError, LookupError):
            return cls(success="ok", failure="FAIL", skipped="-")
        return cls(success="✓", failure="✗", skipped="-")


class Progress:
    """An event listener that prints each step as it finishes, and counts outcomes."""

    def __init__(self, out: TextIO, *, show_tracebacks: bool) -> None:
        # Listeners run while a step's stdout is redirected to its compute log: write to the
        # stream the command started with, so progress stays on screen and out of the logs.
        self._out = out
        self._symbols = Symbols.for_stream(getattr(out, "encoding", None))
        self._show_tracebacks = show_tracebacks
        self._width = 0
        self.started = time.perf_counter()
        self.materialized = 0
        self.failed_steps: set[str] = set()
        self.skipped_steps: set[str] = set()
        self.failed_checks = 0

    def __call__(self, event: Event) -> None:
        handler = _HANDLERS.get(event.event_type)
        if handler is not None:
            handler(self, event)

    def _on_starting(self, _event: Event) -> None:
        self.started = time.perf_counter()

    def _on_start(self, event: Event) -> None:
        step_keys = event.data.get("step_keys", ())
        self._width = min(max((len(k) for k in step_keys), default=0), _MAX_KEY_WIDTH)
        click.echo(f"run {event.run_id}: {len(step_keys)} step(s)", file=self._out)

    def _on_success(self, event: Event) -> None:
        duration = format_duration(event.data.get("duration_ms"))
        self._line(self._symbols.success, event.step_key, duration.rjust(8))

    def _on_failure(self, event: Event) -> None:
        error = event.data.get("error", {})
        summary = f"{error.get('cls', 'Error')}: {error.get('message', '')}".splitlines()[0]
        self.failed_steps.add(event.step_key or "")
        self._line(self._symbols.failure, event.step_key, summary)
        trace = error.get("traceback") or ""
        if self._show_tracebacks and trace:
            click.echo("      " + trace.rstrip().replace("\n", "\n      "), file=self._out)

    def _on_skipped(self, event: Event) -> None:
        self.skipped_steps.add(event.step_key or "")
        reason = event.data.get("reason", "upstream did not succeed")
        self._line(self._symbols.skipped, event.step_key, f"skipped ({reason})")

    def _on_materialization(self, _event: Event) -> None:
        self.materialized += 1

    def _on_check(self, event: Event) -> None:
        if event.data.get("passed", True):
            return
        self.failed_checks += 1
        name = event.data.get("check_name", "?")
        asset = event.asset_key.to_user_string() if event.asset_key else "?"
        severity = event.data.get("severity", "ERROR")
        self._line(self._symbols.failure, f"{asset}:{name}", f"check failed ({severity})")

    def _on_engine_event(self, event: Event) -> None:
        if event.level >= LogLevel.ERROR:
            self._line(self._symbols.failure, "run", event.message)

    def _line(self, symbol: str, key: str | None, text: str) -> None:
        click.echo(f"  {symbol} {(key or '').ljust(self._width)}  {text}", file=self._out)


_HANDLERS = {
    EventType.RUN_STARTING: Progress._on_starting,
    EventType.RUN_START: Progress._on_start,
    EventType.STEP_SUCCESS: Progress._on_success,
    EventType.STEP_FAILURE: Progress._on_failure,
    EventType.STEP_SKIPPED: Progress._on_skipped,
    EventType.ASSET_MATERIALIZATION: Progress._on_materialization,
    EventType.ASSET_CHECK_EVALUATION: Progress._on_check,
    EventType.ENGINE_EVENT: Progress._on_engine_event,
}


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
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    progress = Progress(sys.stdout, show_tracebacks=global_options(ctx).debug)
    with Instance.from_home(home_path(ctx)) as instance:
        keys = resolve_selection(defs, selection, instance)
        graph = defs.get_asset_graph()
        if "status:" in selection and not any(graph.node(k).is_materializable for k in keys):
            click.echo(f"nothing to materialize: no asset matches {selection!r}")
            return ExitCode.OK
        result = run_assets(
            defs,
            keys,
            instance=instance,
            run_config=run_config,
            partition_key=partition_key,
            partition_key_range=parse_partition_range(partition_range),
            tags=run_tags,
            raise_on_error=False,
            listeners=[progress],
        )
    echo_summary(result, progress, time.perf_counter() - progress.started)
    return ExitCode.OK if result.success else ExitCode.RUN_FAILED


def echo_summary(result: RunResult, progress: Progress, seconds: float) -> None:
    parts = [f"{progress.materialized} materialized", f"{len(progress.failed_steps)} failed"]
    if progress.skipped_steps:
        parts.append(f"{len(progress.skipped_steps)} skipped")
    if progress.failed_checks:
        parts.append(f"{progress.failed_checks} check(s) failed")
    outcome = "succeeded" if result.success else "FAILED"
    click.echo(
        f"run {result.run_id} {outcome}: {', '.join(parts)} in {format_duration(seconds * 1000)}"
    )
    if not result.success:
        click.echo(f"details: freshet runs logs {result.run_id}")


def parse_partition_range(text: str | None) -> PartitionKeyRange | None:
    """`FIRST...LAST` as a key range (keys may contain '-' and ':', so '...' separates)."""
    if text is None:
        return None
    first, sep, last = text.partition("...")
    if not sep or not first.strip() or not last.strip():
        raise click.BadParameter(
            f"{text!r}: write the first and last partition separated by '...', e.g. "
            "2024-01-01...2024-01-31",
            param_hint="--partition-range",
        )
    return PartitionKeyRange(first.strip(), last.strip())


def parse_tags(items: Iterable[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                f"{item!r} is not KEY=VALUE (e.g. --tag team=data)", param_hint="'--tag'"
            )
        tags[key.strip()] = value
    return tags


def load_run_config(path: Path) -> Mapping[str, Any]:
    """The run config in a YAML file; syntax errors name the file, line and column."""
    header = f"cannot use run config file {path}"
    document = load_yaml_file(path, header)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(
            [
                f"{path}: the top level must be a mapping (ops: ..., resources: ...), "
                f"got a {type(document).__name__}"
            ],
            header=header,
        )
    return document

"""What `materialize`, `observe` and `backfill` print while runs go: one line per finished
step, check marks where the terminal can show them, and a run's closing summary."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TextIO

import click

from freshet.cli.common import format_duration
from freshet.execution.result import RunResult
from freshet.storage.records import Event, EventType, LogLevel

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
        #: failed checks of each running step, shown on its line when it ends
        self._failed_checks_by_step: dict[str, list[str]] = {}

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
        duration = format_duration(event.data.get("duration_ms")).rjust(8)
        failed_checks = self._failed_checks_by_step.pop(event.step_key or "", [])
        if failed_checks:
            text = f"{duration}  check failed: {', '.join(failed_checks)}"
            self._line(self._symbols.failure, event.step_key, text)
            return
        self._line(self._symbols.success, event.step_key, duration)

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
        failed = self._failed_checks_by_step.setdefault(event.step_key or "", [])
        failed.append(f"{asset}:{name} ({severity})")

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

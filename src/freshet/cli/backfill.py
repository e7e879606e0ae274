"""`freshet backfill`: materialize the selected assets over a range of partitions with a
progress counter and a summary of failed partitions; list, show, cancel and resume backfills."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import click

from freshet.cli.common import (
    LIST_LIMIT,
    ExitCode,
    definitions_location,
    definitions_options,
    echo_json,
    echo_table,
    format_duration,
    format_time,
    home_path,
    iso_time,
)
from freshet.cli.progress import Symbols
from freshet.cli.run_inputs import load_run_config, parse_tags
from freshet.definitions import Definitions
from freshet.instance.backfill import (
    BackfillOnly,
    BackfillProgress,
    BackfillResult,
    BackfillSummary,
    PartitionOutcome,
    backfill,
    cancel_backfill,
    get_backfill,
    resume_backfill,
    summarize_backfill,
)
from freshet.instance.instance import Instance
from freshet.storage.state_records import BackfillStatus
from freshet.workspace.loader import load_definitions_at

#: partitions listed per asset in a summary before "... and N more"
_SHOWN_PARTITIONS = 10


class ProgressCounter:
    """Prints `[done/total] partition ✓` per run. On a terminal, successful runs overwrite
    one line; runs with failures stay on screen."""

    def __init__(self, out: TextIO) -> None:
        # Runs redirect stdout to compute logs while steps run; progress is reported between
        # runs, but keep to the stream the command started with all the same.
        self._out = out
        self._symbols = Symbols.for_stream(getattr(out, "encoding", None))
        isatty = getattr(out, "isatty", None)
        self._overwrite = bool(isatty and isatty())
        self._open_line = False
        self.backfill_id: str | None = None
        self.started = time.perf_counter()

    def __call__(self, progress: BackfillProgress) -> None:
        if progress.outcome is None:
            self.backfill_id = progress.backfill_id
            self._echo(f"backfill {progress.backfill_id}: {progress.total} run(s)")
            return
        line = f"[{progress.done}/{progress.total}] {progress.label} {self._symbol(progress)}"
        if progress.failed_assets:
            line += f"  failed: {_names(progress.failed_assets)} (run {progress.run_id})"
        if progress.skipped_assets:
            line += f"  skipped: {_names(progress.skipped_assets)} (upstream failed)"
        if self._overwrite and progress.outcome is PartitionOutcome.MATERIALIZED:
            self._out.write("\r" + line + "\x1b[K")
            self._out.flush()
            self._open_line = True
        else:
            self._echo(line)

    def close(self) -> None:
        if self._open_line:
            self._out.write("\n")
            self._open_line = False

    def _echo(self, line: str) -> None:
        self.close()
        click.echo(line, file=self._out)

    def _symbol(self, progress: BackfillProgress) -> str:
        if progress.outcome is PartitionOutcome.FAILED:
            return self._symbols.failure
        if progress.outcome is PartitionOutcome.SKIPPED:
            return self._symbols.skipped
        return self._symbols.success


def _names(keys: Sequence[Any]) -> str:
    return ", ".join(k.to_user_string() for k in keys)


@click.group("backfill", invoke_without_command=True)
@click.option("--select", "selection", metavar="EXPR", help="Which assets (selection syntax).")
@click.option("--from", "first", metavar="KEY", help="First partition of the range.")
@click.option("--to", "last", metavar="KEY", help="Last partition of the range (included).")
@click.option("--partitions", metavar="K1,K2,...", help="These partitions instead of a range.")
@click.option("--all", "all_partitions", is_flag=True, help="Every partition.")
@click.option("--missing", is_flag=True, help="Only partitions never materialized.")
@click.option("--failed", is_flag=True, help="Only failed partitions (and what they feed).")
@click.option("--stale", is_flag=True, help="Only stale partitions (and what they feed).")
@click.option(
    "--tag", "tags", multiple=True, metavar="KEY=VALUE", help="A tag for every run (repeatable)."
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Run config for every run, as YAML (ops: ..., resources: ...).",
)
@definitions_options
@click.pass_context
def command(
    ctx: click.Context,
    selection: str | None,
    first: str | None,
    last: str | None,
    partitions: str | None,
    all_partitions: bool,
    missing: bool,
    failed: bool,
    stale: bool,
    tags: tuple[str, ...],
    config_file: Path | None,
) -> ExitCode | None:
    """Backfill partitions of the selected assets in this process, or manage backfills.

    \b
    freshet backfill --select EXPR --from A --to B [--missing | --failed | --stale]
    freshet backfill --select EXPR --partitions K1,K2
    freshet backfill list | show ID | cancel ID | resume ID

    Runs go one per partition (or as the assets' BackfillPolicy says), upstream partitions
    first. Progress is saved after every run: after Ctrl-C, `freshet backfill resume ID`
    continues. Exit status: 0 if every partition materialized, 1 if any failed, 2 for a
    usage, definitions or partition error (nothing runs then), 130 when interrupted.
    """
    given = (selection, first, last, partitions, all_partitions or None, missing or None)
    if ctx.invoked_subcommand is not None:
        if any(v is not None for v in given) or failed or stale or tags or config_file:
            raise click.UsageError(
                f"options to start a backfill do not go with `backfill {ctx.invoked_subcommand}`"
            )
        return None
    request = _request(selection, first, last, partitions, all_partitions, missing, failed, stale)
    run_tags = parse_tags(tags)
    run_config = load_run_config(config_file) if config_file is not None else None
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    with Instance.from_home(home_path(ctx)) as instance:
        return run_backfill(defs, instance, tags=run_tags, run_config=run_config, **request)


def run_backfill(
    defs: Definitions,
    instance: Instance,
    *,
    tags: Mapping[str, str],
    run_config: Any,
    **request: Any,
) -> ExitCode:
    """Run a backfill in this process with a progress counter and a closing summary (also
    what `freshet materialize --partition-range` does for assets run one partition per run)."""
    counter = ProgressCounter(sys.stdout)
    try:
        result = backfill(
            defs,
            instance=instance,
            tags=tags,
            on_progress=counter,
            run_config=run_config,
            **request,
        )
    except KeyboardInterrupt:
        return _interrupted(instance, counter)
    finally:
        counter.close()
    return _finish(instance, result, counter)


def _request(
    selection: str | None,
    first: str | None,
    last: str | None,
    partitions: str | None,
    all_partitions: bool,
    missing: bool,
    failed: bool,
    stale: bool,
) -> dict[str, Any]:
    """The keyword arguments of `backfill` the options ask for; usage errors name the fix."""
    if selection is None:
        raise click.UsageError("--select EXPR is required to start a backfill")
    if (first is None) != (last is None):
        raise click.UsageError("give both --from and --to (the range includes both)")
    ways = [first is not None, partitions is not None, all_partitions]
    if sum(ways) > 1:
        raise click.UsageError("give one of --from/--to, --partitions or --all")
    if missing + failed + stale > 1:
        raise click.UsageError("give one of --missing, --failed or --stale")
    only = (
        BackfillOnly.MISSING
        if missing
        else BackfillOnly.FAILED
        if failed
        else BackfillOnly.STALE
        if stale
        else None
    )
    if not any(ways) and only is None:
        raise click.UsageError(
            "say which partitions: --from A --to B, --partitions K1,K2, --all, or --missing / "
            "--failed / --stale for every partition in that state"
        )
    keys = None
    if partitions is not None:
        keys = [k.strip() for k in partitions.split(",") if k.strip()]
        if not keys:
            raise click.BadParameter("no partition key given", param_hint="'--partitions'")
    return {
        "selection": selection,
        "partition_range": (first, last) if first is not None else None,
        "partition_keys": keys,
        "only": only,
    }


def _finish(instance: Instance, result: BackfillResult, counter: ProgressCounter) -> ExitCode:
    summary = summarize_backfill(get_backfill(instance, result.backfill_id))
    seconds = time.perf_counter() - counter.started
    if not result.targets or not any(result.targets.values()):
        click.echo("nothing to backfill: no selected partition matches")
        return ExitCode.OK
    echo_outcome(summary, f" in {format_duration(seconds * 1000)}")
    return ExitCode.OK if result.success else ExitCode.RUN_FAILED


def _interrupted(instance: Instance, counter: ProgressCounter) -> ExitCode:
    counter.close()
    if counter.backfill_id is None:
        click.echo("interrupted before the backfill started", err=True)
        return ExitCode.INTERRUPTED
    summary = summarize_backfill(get_backfill(instance, counter.backfill_id))
    echo_outcome(summary, "")
    return ExitCode.INTERRUPTED


def echo_outcome(summary: BackfillSummary, suffix: str) -> None:
    """The closing lines: counts, the failed and skipped partitions, what to do next."""
    counts = summary.counts
    parts = [f"{counts.get(o.value, 0)} {o.value}" for o in PartitionOutcome]
    pending = _pending(counts)
    if pending:
        parts.append(f"{pending} pending")
    click.echo(f"backfill {summary.backfill_id} {summary.state}: {', '.join(parts)}{suffix}")
    _echo_partitions("failed partitions:", summary.failed)
    _echo_partitions("skipped (an upstream partition failed):", summary.skipped)
    if summary.failed_runs:
        click.echo("failed runs:")
        for failure in summary.failed_runs[:_SHOWN_PARTITIONS]:
            message = (failure.message or "").splitlines()[0] if failure.message else ""
            click.echo(f"  {failure.label}  {failure.run_id}  {message}".rstrip())
        click.echo(f"details: freshet runs logs {summary.failed_runs[0].run_id}")
    if summary.status is BackfillStatus.REQUESTED and pending:
        click.echo(f"continue with: freshet backfill resume {summary.backfill_id}")
    elif summary.failed and summary.selection is not None:
        click.echo(f"retry the failed partitions: {_retry_command(summary)}")


def _retry_command(summary: BackfillSummary) -> str:
    words = ["freshet backfill --select", shlex.quote(summary.selection or "*")]
    if summary.partition_range is not None:
        first, last = summary.partition_range
        words += ["--from", shlex.quote(first), "--to", shlex.quote(last)]
    elif summary.partition_keys:
        words += ["--partitions", shlex.quote(",".join(summary.partition_keys))]
    return " ".join([*words, "--failed"])


def _pending(counts: Mapping[str, int]) -> int:
    done = sum(counts.get(o.value, 0) for o in PartitionOutcome)
    return max(counts.get("targets", 0) - done, 0)


def _echo_partitions(header: str, by_asset: Mapping[str, Sequence[str]]) -> None:
    if not by_asset:
        return
    click.echo(header)
    width = max(len(name) for name in by_asset)
    for name, labels in sorted(by_asset.items()):
        shown = ", ".join(labels[:_SHOWN_PARTITIONS])
        more = len(labels) - _SHOWN_PARTITIONS
        tail = f" ... and {more} more" if more > 0 else ""
        click.echo(f"  {name.ljust(width)}  {shown}{tail}")


@command.command("list")
@click.option(
    "--limit",
    type=LIST_LIMIT,
    default=20,
    show_default=True,
    help="How many backfills, newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_backfills(ctx: click.Context, limit: int, as_json: bool) -> ExitCode:
    """List backfills, newest first."""
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        records = instance.storage.get_backfills(limit=limit)
    summaries = [summarize_backfill(r) for r in records]
    if as_json:
        echo_json([_summary_json(s) for s in summaries])
        return ExitCode.OK
    if not summaries:
        click.echo("no backfills yet; start one with `freshet backfill --select ... --from ...`")
        return ExitCode.OK
    echo_table(
        ("ID", "STATUS", "CREATED", "PROGRESS", "PARTITIONS", "ASSETS"),
        [
            (
                s.backfill_id,
                s.state,
                format_time(s.created_at),
                _progress(s.counts),
                s.partitions,
                _assets(s.asset_keys),
            )
            for s in summaries
        ],
    )
    return ExitCode.OK


def _progress(counts: Mapping[str, int]) -> str:
    done = sum(counts.get(o.value, 0) for o in PartitionOutcome)
    text = f"{done}/{counts.get('targets', 0)}"
    failed = counts.get(PartitionOutcome.FAILED.value, 0)
    return f"{text}, {failed} failed" if failed else text


def _assets(keys: Sequence[Any], shown: int = 3) -> str:
    names = [k.to_user_string() for k in keys]
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} +{len(names) - shown} more"


@command.command("show")
@click.argument("backfill_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def show_backfill(ctx: click.Context, backfill_id: str, as_json: bool) -> ExitCode:
    """Show a backfill: what it targets, how far it got, which partitions failed."""
    with Instance.from_home(home_path(ctx), read_only=True) as instance:
        summary = summarize_backfill(get_backfill(instance, backfill_id))
    if as_json:
        echo_json(_summary_json(summary))
        return ExitCode.OK
    fields = [
        ("backfill", summary.backfill_id),
        ("status", summary.state),
        ("assets", _names(summary.asset_keys)),
        ("partitions", summary.partitions),
        ("progress", _progress(summary.counts)),
        ("created", format_time(summary.created_at)),
        ("updated", format_time(summary.updated_at)),
    ]
    if summary.error:
        fields.append(("error", summary.error))
    for name, value in fields:
        click.echo(f"{name:<10} {value}")
    click.echo()
    echo_outcome(summary, "")
    return ExitCode.OK


@command.command("cancel")
@click.argument("backfill_id")
@click.pass_context
def cancel(ctx: click.Context, backfill_id: str) -> ExitCode:
    """Cancel a backfill: a running one stops before its next run."""
    with Instance.from_home(home_path(ctx)) as instance:
        record = cancel_backfill(instance, backfill_id)
    click.echo(f"backfill {record.backfill_id} canceled")
    return ExitCode.OK


@command.command("resume")
@click.argument("backfill_id")
@definitions_options
@click.pass_context
def resume(ctx: click.Context, backfill_id: str) -> ExitCode:
    """Continue an interrupted backfill with the partitions it has not run yet."""
    defs = load_definitions_at(definitions_location(ctx), Path.cwd())
    counter = ProgressCounter(sys.stdout)
    with Instance.from_home(home_path(ctx)) as instance:
        try:
            result = resume_backfill(defs, backfill_id, instance, on_progress=counter)
        except KeyboardInterrupt:
            return _interrupted(instance, counter)
        finally:
            counter.close()
        return _finish(instance, result, counter)


def _summary_json(summary: BackfillSummary) -> dict[str, Any]:
    return {
        "backfill_id": summary.backfill_id,
        "status": summary.state,
        "asset_selection": [k.to_user_string() for k in summary.asset_keys],
        "partitions": summary.partitions,
        "counts": dict(summary.counts),
        "failed": {k: list(v) for k, v in summary.failed.items()},
        "skipped": {k: list(v) for k, v in summary.skipped.items()},
        "failed_runs": [f.to_json() for f in summary.failed_runs],
        "created_at": iso_time(summary.created_at),
        "updated_at": iso_time(summary.updated_at),
        "error": summary.error,
    }

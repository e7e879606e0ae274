"""Instance maintenance behind `freshet instance migrate` and `freshet instance prune`.

Errors are `FreshetError`s with one-line messages, ready for the CLI to print as they are.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from freshet.core.temp_files import remove_stale_temp_files
from freshet.errors import InstanceConfigError, UsageError
from freshet.instance.backends import open_home_storage
from freshet.instance.instance import Instance, resolve_home
from freshet.storage.records import RunStatus
from freshet.storage.sql.migrate import MigrationResult, migrate_database

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
#: the oldest cutoff `prune` accepts (100 years): older ones are typos, and far older ones
#: overflow the clock arithmetic
MAX_AGE_SECONDS = 36_500 * 86_400


@dataclass(frozen=True, slots=True, kw_only=True)
class PruneReport:
    """What `prune` deleted. Events that status still points at were kept (`events_kept`)."""

    cutoff: float
    runs_deleted: int
    events_deleted: int
    events_kept: int
    ticks_deleted: int
    temp_files_deleted: int = 0

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.cutoff))
        kept = (
            f" (kept {self.events_kept} event(s) that asset status still points at)"
            if self.events_kept
            else ""
        )
        temp = (
            f"; removed {self.temp_files_deleted} temporary file(s) of killed writers"
            if self.temp_files_deleted
            else ""
        )
        return (
            f"deleted {self.runs_deleted} run(s) finished before {when}, "
            f"{self.events_deleted} event(s){kept} and {self.ticks_deleted} tick(s){temp}"
        )


def migrate(instance_or_home: Instance | str | os.PathLike[str] | None = None) -> MigrationResult:
    """Upgrade the database of an instance home (default: $FRESHET_HOME, else ./.freshet) to
    this freshet's schema, in one transaction; create it if the home has none yet.

    Refuses, untouched, a database that is not freshet's, is corrupt, or is newer than this
    freshet."""
    home = _home_of(instance_or_home)
    storage = open_home_storage(home, require_current_schema=False)
    try:
        return migrate_database(storage)
    finally:
        storage.close()


@dataclass(frozen=True, slots=True, kw_only=True)
class PrunePreview:
    """What `prune` with the same age would delete now (events that asset status points at
    are kept then, so `events` is an upper bound)."""

    cutoff: float
    runs: int
    events: int

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.cutoff))
        return (
            f"{self.runs} run(s) finished before {when}, with up to {self.events} event(s) and "
            "their logs; also schedule and sensor ticks older than that (each one's latest is "
            "kept)"
        )


def prune_preview(instance: Instance, older_than_seconds: float) -> PrunePreview:
    """Count what `prune(instance, older_than_seconds)` would delete, deleting nothing."""
    _check_age(older_than_seconds)
    cutoff = time.time() - older_than_seconds
    finished = [s for s in RunStatus if s.is_finished]
    old = [
        run
        for run in instance.get_runs(status=finished)
        if run.ended_at is not None and run.ended_at < cutoff
    ]
    events = sum(len(instance.get_event_records(run_id=run.run_id)) for run in old)
    return PrunePreview(cutoff=cutoff, runs=len(old), events=events)


def _check_age(older_than_seconds: float) -> None:
    if isinstance(older_than_seconds, bool) or not isinstance(older_than_seconds, int | float):
        raise UsageError(f"prune: older_than_seconds must be a number, got {older_than_seconds!r}")
    if not 0 < older_than_seconds <= MAX_AGE_SECONDS:
        raise UsageError(
            f"prune: the age must be more than 0 and at most {MAX_AGE_SECONDS} seconds "
            f"(36500d), got {older_than_seconds} seconds; e.g. 30d"
        )


def prune(instance: Instance, older_than_seconds: float) -> PruneReport:
    """Delete runs that finished more than `older_than_seconds` ago, their events and compute
    logs, old schedule/sensor ticks (each one's latest is kept), and temporary files that
    killed writers left in the storage folder. The latest
    materialization and observation of every asset and partition, and the latest evaluation of
    every check, survive: asset status is the same before and after."""
    _check_age(older_than_seconds)
    cutoff = time.time() - older_than_seconds
    storage = instance.storage
    result = storage.prune_runs(cutoff)
    for run_id in result.run_ids:
        instance.compute_logs.delete_run_logs(run_id)
    ticks = storage.prune_ticks(cutoff)
    temp_files = remove_stale_temp_files(instance.storage_dir, recursive=True)
    return PruneReport(
        cutoff=cutoff,
        runs_deleted=result.runs_deleted,
        events_deleted=result.events_deleted,
        events_kept=result.events_kept,
        ticks_deleted=ticks,
        temp_files_deleted=temp_files,
    )


def parse_age(text: str) -> float:
    """Seconds in an age such as "30d", "12h", "90m", "45s" or "2w" (for `--older-than`)."""
    match = _AGE.match(text)
    if match is None:
        raise UsageError(
            f"invalid age {text!r}: write a number and a unit (s, m, h, d or w), e.g. 30d"
        )
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise UsageError(f"invalid age {text!r}: it must be more than zero, e.g. 30d")
    if seconds > MAX_AGE_SECONDS:
        raise UsageError(f"invalid age {text!r}: it must be at most 36500d (100 years)")
    return seconds


def _home_of(target: Instance | str | os.PathLike[str] | None) -> Path:
    if isinstance(target, Instance):
        if target.home is None:
            raise UsageError(
                "an ephemeral instance lives in memory and has no database to migrate; "
                "pass Instance.from_home(path) or a home directory"
            )
        return target.home
    home = resolve_home(target)
    if not home.is_dir():
        raise InstanceConfigError(
            f"no instance home at {home}; set FRESHET_HOME or pass the home directory to "
            "migrate (a new home needs no migration)"
        )
    return home

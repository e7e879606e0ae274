"""Why an asset partition is stale: the public `StaleCause`, the compact record staleness
keeps per stale partition, and the sentences both turn into (per partition, or summed up
over an asset's partitions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple

from freshet.core.keys import AssetKey


class StaleCauseCategory(StrEnum):
    CODE = "CODE"
    DATA = "DATA"
    DEPENDENCY = "DEPENDENCY"


@dataclass(frozen=True, slots=True, kw_only=True)
class StaleCause:
    """One reason an asset (partition) is stale; `dependency` names the upstream involved.

    `partition` is the stale partition; a cause summed up over several partitions of an
    asset names their span, `first...last`."""

    key: AssetKey
    partition: str | None
    category: StaleCauseCategory
    message: str
    dependency: AssetKey | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.to_user_string(),
            "partition": self.partition,
            "category": self.category.value,
            "message": self.message,
            "dependency": self.dependency.to_user_string() if self.dependency else None,
        }


class CauseKind(StrEnum):
    """What a cause record says; each kind has one category and one sentence."""

    CODE_CHANGED = "code_changed"
    UPSTREAM_STALE = "upstream_stale"
    UPSTREAM_MISSING = "upstream_missing"
    NEW_DEPENDENCY = "new_dependency"
    REMOVED_DEPENDENCY = "removed_dependency"
    NEW_DATA_VERSION = "new_data_version"
    UPSTREAM_PARTITIONS_CHANGED = "upstream_partitions_changed"

    @property
    def category(self) -> StaleCauseCategory:
        return _CATEGORIES[self]


_CATEGORIES = {
    CauseKind.CODE_CHANGED: StaleCauseCategory.CODE,
    CauseKind.UPSTREAM_STALE: StaleCauseCategory.DEPENDENCY,
    CauseKind.UPSTREAM_MISSING: StaleCauseCategory.DEPENDENCY,
    CauseKind.NEW_DEPENDENCY: StaleCauseCategory.DEPENDENCY,
    CauseKind.REMOVED_DEPENDENCY: StaleCauseCategory.DEPENDENCY,
    CauseKind.NEW_DATA_VERSION: StaleCauseCategory.DATA,
    CauseKind.UPSTREAM_PARTITIONS_CHANGED: StaleCauseCategory.DATA,
}


class CauseRecord(NamedTuple):
    """A cause as staleness records it for one stale partition: a tuple, because a root
    change can make hundreds of thousands of partitions stale, and sentences are written
    only for the partitions someone asks about (`describe`).

    `upstream_partition` is the first upstream partition involved and `count` how many are;
    `before` / `after` are the recorded and current code or data versions; `at` is when the
    current data version was recorded, `observed` whether by an observation."""

    kind: CauseKind
    dependency: AssetKey | None = None
    upstream_partition: str | None = None
    before: str | None = None
    after: str | None = None
    at: float | None = None
    observed: bool = False
    count: int = 1


def short_version(version: str | None) -> str:
    if version is None:
        return "none"
    return version[:12] + ("…" if len(version) > 12 else "")


def _when(timestamp: float) -> str:
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def describe(record: CauseRecord) -> str:
    """The sentence for one record, as a user reads it."""
    kind = record.kind
    name = record.dependency.to_user_string() if record.dependency is not None else "?"
    if kind is CauseKind.CODE_CHANGED:
        return f"code version changed from {record.before or 'unset'} to {record.after or 'unset'}"
    if kind is CauseKind.NEW_DEPENDENCY:
        return f"new dependency on {name} since the last materialization"
    if kind is CauseKind.REMOVED_DEPENDENCY:
        return f"no longer depends on {name}"
    partition = record.upstream_partition
    upstream = f"upstream {name}" + ("" if partition is None else f" partition {partition}")
    more = record.count - 1
    others = f" (and {more} more partition{'s' if more > 1 else ''})" if more > 0 else ""
    if kind is CauseKind.UPSTREAM_STALE:
        return f"{upstream} is stale{others}"
    if kind is CauseKind.UPSTREAM_MISSING:
        return f"{upstream} is missing{others}"
    if kind is CauseKind.UPSTREAM_PARTITIONS_CHANGED:
        read = f"{record.count} partition{'s' if record.count != 1 else ''} it reads"
        return (
            f"upstream {name}: the {read} ({partition}) changed since the last "
            "materialization (new data versions, or a different set of partitions)"
        )
    if record.at is None:
        return (
            f"{upstream} has no data version any more (consumed "
            f"{short_version(record.before)}){others}"
        )
    verb = "observed" if record.observed else "materialized"
    return (
        f"{upstream} has a new data version ({short_version(record.before)} -> "
        f"{short_version(record.after)}), {verb} {_when(record.at)}{others}"
    )


def to_cause(key: AssetKey, partition: str | None, record: CauseRecord) -> StaleCause:
    return StaleCause(
        key=key,
        partition=partition,
        category=record.kind.category,
        message=describe(record),
        dependency=record.dependency,
    )


def summed_up(key: AssetKey, record: CauseRecord, partitions: int, span: str | None) -> StaleCause:
    """A cause shared by several stale partitions of an asset, as one line: what it is
    (without the details that differ between partitions) and the partitions (`span`:
    first...last) it applies to."""
    if partitions <= 1:
        return to_cause(key, span, record)
    return StaleCause(
        key=key,
        partition=span,
        category=record.kind.category,
        message=f"{_summary_sentence(record)} ({partitions} partitions: {span})",
        dependency=record.dependency,
    )


def _summary_sentence(record: CauseRecord) -> str:
    name = record.dependency.to_user_string() if record.dependency is not None else "?"
    kind = record.kind
    if kind is CauseKind.UPSTREAM_STALE:
        return f"upstream {name} is stale"
    if kind is CauseKind.UPSTREAM_MISSING:
        return f"upstream {name} is missing"
    if kind is CauseKind.NEW_DATA_VERSION:
        return f"upstream {name} has new data versions"
    if kind is CauseKind.UPSTREAM_PARTITIONS_CHANGED:
        return f"upstream {name} partitions changed since the last materialization"
    if kind is CauseKind.CODE_CHANGED:
        # the recorded versions may differ between partitions; the current one does not
        return f"code version changed to {record.after or 'unset'}"
    return describe(record)

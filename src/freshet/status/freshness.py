"""Data time and freshness: how up to date each asset's data is, and whether it is late.

An asset's **data time** is the newest time T such that it incorporates all root data up to T:
- a source (observed) asset: the time of its latest observation;
- a materialized root: the time its latest materialization started computing;
- any other asset: if what it consumed of every dependency is still that dependency's current
  data version, the oldest of its dependencies' (current) data times — an upstream rebuilt to
  the same bytes moves its consumers' data time forward too; otherwise the data time recorded
  with its latest materialization (the oldest data time among what it consumed then);
- a time-partitioned asset: that of its newest materialized partition, at most the end of
  that partition's window.

A `FreshnessPolicy(maximum_lag_minutes, cron_schedule=None)` requires, at all times (or at
each cron tick), a data time no older than the lag before that moment. Freshness is ON_TIME,
LATE (by how much, since when, and why) or UNKNOWN (never materialized). Stale and on time can
both hold: staleness is about versions, freshness about time.

Everything is read from the status index (version columns); events are read only for roots
and for assets whose recorded data time is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from freshet.core.automation.freshness_policy import FreshnessPolicy
from freshet.core.collector import collector_paused
from freshet.core.keys import AssetKey
from freshet.lineage.view import AssetGraphView
from freshet.storage.base import StatusVersions, StorageReader, decode_provenance


class FreshnessStatus(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetFreshness:
    """The freshness of one asset with a policy, as of `evaluated_at`."""

    key: AssetKey
    status: FreshnessStatus
    policy: FreshnessPolicy
    evaluated_at: float
    #: the newest time up to which the asset incorporates all root data (None: unknown)
    data_time: float | None = None
    #: the data time the policy requires now (at the latest cron tick, if it has one)
    required_data_time: float | None = None
    #: minutes the data time is behind what the policy requires (LATE only)
    late_by_minutes: float | None = None
    #: when the asset became late (LATE only)
    late_since: float | None = None
    #: the next moment the requirement moves: a refresh is due before then
    next_deadline: float | None = None
    causes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_late(self) -> bool:
        return self.status is FreshnessStatus.LATE

    @property
    def lag_minutes(self) -> float | None:
        """How far behind `evaluated_at` the data time is."""
        if self.data_time is None:
            return None
        return max(0.0, (self.evaluated_at - self.data_time) / 60.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.to_user_string(),
            "status": self.status.value,
            "policy": {
                "maximum_lag_minutes": self.policy.maximum_lag_minutes,
                "cron_schedule": self.policy.cron_schedule,
                "cron_schedule_timezone": self.policy.cron_schedule_timezone,
            },
            "evaluated_at": _iso(self.evaluated_at),
            "data_time": _iso(self.data_time),
            "lag_minutes": _round(self.lag_minutes),
            "required_data_time": _iso(self.required_data_time),
            "late_by_minutes": _round(self.late_by_minutes),
            "late_since": _iso(self.late_since),
            "next_deadline": _iso(self.next_deadline),
            "causes": list(self.causes),
        }


class HasStorage(Protocol):
    @property
    def storage(self) -> StorageReader: ...


@dataclass(frozen=True, slots=True)
class _DataTime:
    """An asset's data time and, when a dependency holds it back, which one."""

    time: float | None
    limited_by: AssetKey | None = None
    #: why it is what it is, for an asset that limits others ("last observed at ...")
    reason: str = ""


class DataTimeResolver:
    """Data times of assets of a graph, computed on demand and remembered (one instance per
    question; it reads the status index once per asset)."""

    def __init__(
        self, graph: AssetGraphView, storage: StorageReader, *, now: float | None = None
    ) -> None:
        self._graph = graph
        self._storage = storage
        self.now = now if now is not None else datetime.now(UTC).timestamp()
        self._versions: dict[AssetKey, StatusVersions] = {}
        self._loaded: set[AssetKey] = set()
        self._times: dict[AssetKey, _DataTime] = {}
        self._partitioned_keys: set[AssetKey] = set()
        self._explained: dict[AssetKey, tuple[str, ...]] = {}

    def data_time(self, key: AssetKey) -> float | None:
        return self._resolve(key).time

    def explain(self, key: AssetKey) -> tuple[str, ...]:
        """Why `key` has its data time: the chain of dependencies holding it back."""
        cached = self._explained.get(key)
        if cached is not None:
            return cached
        resolved = self._resolve(key)
        own = (resolved.reason,) if resolved.reason else ()
        limited_by = resolved.limited_by
        lines = own if limited_by is None else own + self.explain(limited_by)
        self._explained[key] = lines
        return lines

    # -- computing ------------------------------------------------------------------------
    def prepare(self, keys: Iterable[AssetKey]) -> None:
        """Compute the data times of `keys` and their ancestors in one pass: one read of the
        status index (which holds the data time each latest materialization recorded), then
        one topological walk."""
        keys = set(keys)
        wanted = (keys | self._graph.upstream(keys)) - self._loaded
        if not wanted:
            return
        parted = [k for k in wanted if self._graph.node(k).partitions_def is not None]
        self._partitioned_keys.update(parted)
        plain = [k for k in wanted if k not in self._partitioned_keys]
        self._versions.update(self._storage.get_asset_versions(plain))
        if parted:
            self._versions.update(self._storage.get_partition_versions(parted))
        self._loaded |= wanted
        for key in self._graph.toposort_subset(wanted):
            if key not in self._times:
                self._times[key] = self._compute(key)

    def _resolve(self, key: AssetKey) -> _DataTime:
        known = self._times.get(key)
        if known is None:
            self.prepare([key])
            known = self._times[key]
        return known

    def _compute(self, key: AssetKey) -> _DataTime:
        node = self._graph.node(key)
        rows = self._versions.get(key)
        name = key.to_user_string()
        if rows is None or not len(rows):
            if node.is_materializable:
                return _DataTime(None, reason=f"{name} has never been materialized")
            return _DataTime(None, reason=f"{name} has never been observed")
        if node.partitions_def is not None:
            return self._partitioned(key, node.partitions_def, rows)
        data_at = rows.data_version_times[0]
        observed = _observed_last(rows, 0)
        if observed or not node.is_materializable:
            return _DataTime(data_at, reason=f"upstream {name} was last observed at {_hm(data_at)}")
        parents = node.parent_keys
        if not parents:
            recorded = self._recorded(rows)
            return _DataTime(
                recorded, reason=f"upstream {name} was last materialized at {_hm(recorded)}"
            )
        changed = self._changed_parent(key, rows)
        if changed is not None:
            recorded = self._recorded(rows)
            return _DataTime(
                recorded,
                reason=f"{name} was last materialized with data up to {_hm(recorded)}; "
                f"upstream {changed.to_user_string()} has changed since",
            )
        oldest: tuple[float, AssetKey] | None = None
        for parent in parents:
            current = self._times[parent].time
            if current is not None and (oldest is None or current < oldest[0]):
                oldest = (current, parent)
        if oldest is None:
            recorded = self._recorded(rows)
            return _DataTime(recorded, reason=f"{name} was last materialized at {_hm(recorded)}")
        return _DataTime(oldest[0], limited_by=oldest[1])

    def _changed_parent(self, key: AssetKey, rows: StatusVersions) -> AssetKey | None:
        """The first parent of unpartitioned `key` whose current data version is not the one
        its latest materialization consumed (None: all still current)."""
        consumed = decode_provenance(rows.provenances[0])
        return next(
            (
                p
                for p in self._graph.node(key).parent_keys
                if not self._still_current(p, consumed.get(p.to_user_string()))
            ),
            None,
        )

    def _still_current(self, parent: AssetKey, entries: list[list[Any]] | None) -> bool:
        """Whether what was consumed of unpartitioned `parent` is its current data version."""
        if parent in self._partitioned_keys:
            return False  # compared per partition: use the recorded data time (conservative)
        rows = self._versions.get(parent)
        current = rows.data_versions[0] if rows is not None and len(rows) else None
        if not entries:
            return current is None
        return len(entries) == 1 and entries[0][1] == current

    @staticmethod
    def _recorded(rows: StatusVersions) -> float | None:
        """The data time recorded with the asset's latest materialization."""
        recorded = rows.data_times[0]
        return rows.data_version_times[0] if recorded is None else recorded

    def _partitioned(self, key: AssetKey, definition: Any, rows: StatusVersions) -> _DataTime:
        name = key.to_user_string()
        materialized = [
            (p, t)
            for p, t, m in zip(
                rows.partitions, rows.data_version_times, rows.materialization_ids, strict=True
            )
            if p is not None and t is not None and m is not None
        ]
        if not materialized:
            return _DataTime(None, reason=f"{name} has no materialized partition")
        if not hasattr(definition, "time_window_for_key"):
            oldest = min(t for _, t in materialized)
            return _DataTime(oldest, reason=f"{name}'s oldest partition is from {_hm(oldest)}")
        newest, at = max(materialized, key=lambda pair: definition.key_order(pair[0]))
        window_end = definition.time_window_for_key(newest).end.timestamp()
        value = min(window_end, at)
        return _DataTime(
            value,
            reason=f"{name}'s newest materialized partition is {newest} (data up to {_hm(value)})",
        )


def _observed_last(rows: StatusVersions, i: int) -> bool:
    mat, obs = rows.materialization_ids[i], rows.observation_ids[i]
    return obs is not None and (mat is None or obs > mat)


# ---- freshness --------------------------------------------------------------------------


def evaluate_freshness(
    key: AssetKey, policy: FreshnessPolicy, resolver: DataTimeResolver
) -> AssetFreshness:
    now = resolver.now
    data_time = resolver.data_time(key)
    lag = policy.maximum_lag_seconds
    if policy.cron_schedule is None:
        checkpoint, next_checkpoint = now, None
    else:
        checkpoint, next_checkpoint = _cron_ticks_around(policy, now)
    required = None if checkpoint is None else checkpoint - lag
    next_deadline = (
        (data_time + lag if data_time is not None else None)
        if policy.cron_schedule is None
        else next_checkpoint
    )
    base = {"key": key, "policy": policy, "evaluated_at": now, "data_time": data_time}
    if data_time is None:
        return AssetFreshness(
            status=FreshnessStatus.UNKNOWN,
            required_data_time=required,
            causes=tuple(resolver.explain(key)),
            **base,
        )
    if required is None or data_time >= required:
        return AssetFreshness(
            status=FreshnessStatus.ON_TIME,
            required_data_time=required,
            next_deadline=next_deadline,
            **base,
        )
    late_since = (
        data_time + lag
        if policy.cron_schedule is None
        else _first_tick_after(policy, data_time + lag)
    )
    causes = [
        f"{key.to_user_string()} has data up to {_hm(data_time)}; {policy.describe()} "
        f"requires data up to {_hm(required)}",
        *resolver.explain(key),
    ]
    return AssetFreshness(
        status=FreshnessStatus.LATE,
        required_data_time=required,
        late_by_minutes=(required - data_time) / 60.0,
        late_since=late_since,
        next_deadline=next_deadline,
        causes=tuple(causes),
        **base,
    )


def freshness_of(
    graph: AssetGraphView,
    storage: StorageReader,
    keys: Iterable[AssetKey] | None = None,
    *,
    now: float | None = None,
) -> dict[AssetKey, AssetFreshness]:
    """Freshness of every asset of `graph` with a policy (only `keys` when given)."""
    resolver = DataTimeResolver(graph, storage, now=now)
    candidates = graph.toposorted_keys if keys is None else graph.toposort_subset(keys)
    policies: Mapping[AssetKey, FreshnessPolicy] = {
        key: policy
        for key in candidates
        if isinstance(policy := graph.node(key).freshness_policy, FreshnessPolicy)
    }
    with collector_paused():
        resolver.prepare(policies)
        return {key: evaluate_freshness(key, policy, resolver) for key, policy in policies.items()}


def get_freshness(
    defs_or_snapshot: Any,
    instance: HasStorage,
    selection: Any = None,
    now: datetime | float | None = None,
) -> dict[AssetKey, AssetFreshness]:
    """On time / late / unknown, with how late and why, for every asset with a
    `FreshnessPolicy` in a `Definitions` or a `DefinitionsSnapshot` (narrowed by
    `selection`), as of `now` (default: the current time)."""
    # Imported here: selection resolution pulls in the selection grammar, which the
    # evaluator's fast path does not need.
    from freshet.lineage.selection import select_assets

    graph = defs_or_snapshot.get_asset_graph()
    keys = None if selection is None else select_assets(graph, selection)
    when = now.timestamp() if isinstance(now, datetime) else now
    return freshness_of(graph, instance.storage, keys, now=when)


# ---- cron checkpoints -------------------------------------------------------------------


def _cron_ticks_around(policy: FreshnessPolicy, now: float) -> tuple[float | None, float | None]:
    """The latest tick at or before `now` and the next one after it."""
    return _ticks_around(policy.cron_schedule, policy.cron_schedule_timezone, now)


def _first_tick_after(policy: FreshnessPolicy, moment: float) -> float:
    return _tick_after(policy.cron_schedule, policy.cron_schedule_timezone, moment)


# Remembered: the assets of a graph evaluated at one `now` mostly share a few policies (and
# data times), and each croniter walk costs a few hundred microseconds.
@lru_cache(maxsize=1024)
def _ticks_around(cron_schedule: str, timezone: str, now: float) -> tuple[float, float]:
    from croniter import croniter  # ~25 ms: only for policies with a cron schedule

    local = datetime.fromtimestamp(now, tz=ZoneInfo(timezone))
    previous = croniter(cron_schedule, local).get_prev(datetime)
    following = croniter(cron_schedule, local).get_next(datetime)
    return previous.timestamp(), following.timestamp()


@lru_cache(maxsize=1024)
def _tick_after(cron_schedule: str, timezone: str, moment: float) -> float:
    from croniter import croniter  # ~25 ms: only for policies with a cron schedule

    start = datetime.fromtimestamp(moment, tz=ZoneInfo(timezone))
    return float(croniter(cron_schedule, start).get_next(datetime).timestamp())


# ---- formatting ---------------------------------------------------------------------------


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)
def _hm(timestamp: float | None) -> str:
    """A time as the causes print it; cached because a walk formats the same few data times
    (a root's, a cron tick's) once per asset that inherits them."""
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=UTC).isoformat()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)

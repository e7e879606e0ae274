"""`evaluate_automation_conditions`: one tick over definitions (live or a snapshot) and an
instance's storage. Reads only; recording the tick and launching its runs is the caller's
(see `freshet.automation.tick`)."""

from __future__ import annotations

import heapq
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from freshet.automation import incremental
from freshet.automation.cursor import AutomationCursor, Slot, slot_text
from freshet.automation.evaluator import AssetEvaluator, Slots, TickState
from freshet.automation.facts import ALL_SLOTS, TickFacts
from freshet.automation.freshness import FreshnessAutomation
from freshet.automation.result import AssetEvaluation, AutomationResult, RequestedRun
from freshet.core.automation.conditions import AutomationCondition
from freshet.core.collector import collector_paused
from freshet.core.keys import AssetKey
from freshet.errors import UsageError
from freshet.lineage.view import AssetGraphView, HasAssetGraph
from freshet.status.staleness import StalenessResolver, StaleStatus
from freshet.storage.base import StorageReader

#: tag on every run automation requests
AUTOMATION_TAG = "freshet/automation"
RATE_WINDOW_SECONDS = 60.0


class HasStorage(Protocol):
    @property
    def storage(self) -> StorageReader: ...


def evaluate_automation_conditions(
    defs: HasAssetGraph,
    instance: HasStorage,
    cursor: AutomationCursor | str | None = None,
    evaluation_time: datetime | float | None = None,
    *,
    max_materializations_per_minute: int | None = None,
) -> AutomationResult:
    """Evaluate every asset's automation condition at `evaluation_time` (default now).

    `cursor` is the previous result's `.cursor` (None for a first tick). Nothing is written:
    the result says what to request (`.results`, `.run_requests`) and carries the next
    cursor."""
    if max_materializations_per_minute is not None and (
        isinstance(max_materializations_per_minute, bool)
        or not isinstance(max_materializations_per_minute, int)
        or max_materializations_per_minute < 0
    ):
        raise UsageError(
            "max_materializations_per_minute must be a non-negative whole number, got "
            f"{max_materializations_per_minute!r}"
        )
    graph = defs.get_asset_graph()
    now = evaluation_timestamp(evaluation_time)
    with collector_paused():
        return _evaluate(defs, graph, instance, cursor, now, max_materializations_per_minute)


def _evaluate(
    defs: HasAssetGraph,
    graph: AssetGraphView,
    instance: HasStorage,
    cursor: AutomationCursor | str | None,
    now: float,
    max_materializations_per_minute: int | None,
) -> AutomationResult:
    previous = AutomationCursor.coerce(cursor)
    facts = TickFacts(graph, instance.storage, now)
    tick = TickState(previous=previous, facts=facts, stale=_StaleSlots(graph, instance.storage))
    tick.freshness = FreshnessAutomation(graph, instance.storage, now, tick.requested)
    recent = tuple((t, n) for t, n in previous.recent_requests if t > now - RATE_WINDOW_SECONDS)
    budget = (
        None
        if max_materializations_per_minute is None
        else max(0, max_materializations_per_minute - sum(n for _, n in recent))
    )

    def evaluate(key: AssetKey, view: Any, condition: AutomationCondition) -> incremental.Entry:
        nonlocal budget
        true, tree = AssetEvaluator(tick, key).evaluate(condition)
        true = frozenset(true)  # every partition, when the whole condition holds for all
        requested, discarded = _guarded(facts, key, true, view.is_materializable)
        if budget is not None and len(requested) > budget:
            kept = frozenset(sorted(requested, key=_order)[:budget])
            discarded["max_materializations_per_minute"] = len(requested) - len(kept)
            requested = kept
        if budget is not None:
            budget -= len(requested)
        if requested:
            tick.requested[key] = requested
        partitioned = view.partitions_def is not None
        evaluation = AssetEvaluation(
            key=key, partitioned=partitioned, tree=tree, requested=requested, discarded=discarded
        )
        return condition, evaluation, incremental.must_reevaluate(condition, evaluation, partitioned)

    memo = incremental.recall(previous)
    changed = None if memo is None else incremental.changed_keys(facts, previous)
    if memo is not None and changed is not None and memo.graph is graph:
        next_memo = _walk_frontier(memo, changed, tick, previous, evaluate)
    else:
        entries = {}
        for key in graph.toposorted_keys:
            view = graph.node(key)
            condition = view.automation_condition
            if not isinstance(condition, AutomationCondition):
                continue
            entry = None if memo is None else memo.entries.get(key)
            if changed is not None and incremental.reusable(
                entry, condition, key, facts, changed, tick.requested, previous
            ):
                entries[key] = entry  # type: ignore[assignment]
            else:
                entries[key] = evaluate(key, view, condition)
        next_memo = incremental.Memo.of(graph, entries)
    total = sum(len(s) for s in tick.requested.values())
    next_cursor = AutomationCursor(
        evaluation_time=now,
        storage_id=facts.max_storage_id,
        tick_number=previous.tick_number + 1,
        definitions_fingerprint=getattr(defs, "fingerprint", None),
        requested={
            k.to_user_string(): sorted(slot_text(s) for s in slots)
            for k, slots in tick.requested.items()
        },
        node_state=_carried(previous.node_state, tick.node_state),
        seen=_carried_seen(previous.seen, tick.seen),
        recent_requests=(*recent, (now, total)) if total else recent,
        recorded=previous.recorded,
        token=uuid.uuid4().hex,
        runs_in_flight=tuple(sorted(run.run_id for run in facts.unfinished_runs())),
    )
    assert next_cursor.token is not None
    incremental.remember(next_cursor.token, next_memo)
    return AutomationResult(
        evaluation_time=now,
        results=list(next_memo.results),
        run_requests=group_runs(graph, tick.requested),
        cursor=next_cursor,
    )


def _walk_frontier(
    memo: incremental.Memo,
    changed: set[AssetKey],
    tick: TickState,
    previous: AutomationCursor,
    evaluate: Callable[[AssetKey, Any, AutomationCondition], incremental.Entry],
) -> incremental.Memo:
    """A tick over the graph of the previous one: the frontier in topological order, and the
    children of each asset requested on the way; every other asset keeps its evaluation."""
    graph, index = memo.graph, memo.graph.topo_index
    entries = dict(memo.entries)  # keeps the topological order; evaluated entries replaced
    heap = [(index[key], key) for key in incremental.frontier(memo, changed)]
    heapq.heapify(heap)
    queued = {key for _, key in heap}
    evaluated: set[AssetKey] = set()
    while heap:
        _, key = heapq.heappop(heap)
        view = graph.node(key)
        condition = view.automation_condition
        if not incremental.reusable(
            entries[key], condition, key, tick.facts, changed, tick.requested, previous
        ):
            entries[key] = evaluate(key, view, condition)
            evaluated.add(key)
        if key in tick.requested:
            for child in graph.children(key):
                if child in entries and child not in queued:
                    queued.add(child)
                    heapq.heappush(heap, (index[child], child))
    return memo.evolve(entries, evaluated)


def evaluation_timestamp(value: datetime | float | None) -> float:
    if value is None:
        return time.time()
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise UsageError(
        f"evaluation_time must be a datetime, a POSIX timestamp or None, got {value!r}"
    )


def _order(slot: Slot) -> str:
    return "" if slot is None else slot


def _guarded(
    facts: TickFacts, key: AssetKey, true: Slots, materializable: bool
) -> tuple[Slots, dict[str, int]]:
    """What of `true` may be requested: not a source, not while a run for the same asset
    partition is queued or in progress."""
    discarded: dict[str, int] = {}
    if not true:
        return true, discarded
    if not materializable:
        discarded["not materializable"] = len(true)
        return frozenset(), discarded
    flying = facts.in_flight(key)
    if flying:
        held = true if ALL_SLOTS in flying else true & frozenset(flying)  # type: ignore[arg-type]
        if held:
            discarded["run queued or in progress"] = len(held)
            true = true - held
    return true, discarded


def _carried(
    previous: Mapping[str, Mapping[str, list[str]]], current: Mapping[str, Mapping[str, list[str]]]
) -> dict[str, dict[str, list[str]]]:
    """Node state for the next tick: this tick's, and the previous one's for nodes this
    tick did not evaluate (an `&` that stopped early). A node true for nothing is left out
    (the evaluator reads a missing node as empty): most nodes of an idle graph hold nothing,
    and the cursor is written every tick."""
    merged: dict[str, dict[str, list[str]]] = dict(previous)  # type: ignore[arg-type]
    for asset, nodes in current.items():
        kept = {node: true for node, true in {**previous.get(asset, {}), **nodes}.items() if true}
        if kept:
            merged[asset] = kept
        else:
            merged.pop(asset, None)
    return merged


def _carried_seen(
    previous: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = dict(previous)  # type: ignore[arg-type]
    for asset, values in current.items():
        target = merged[asset] = dict(previous.get(asset, {}))
        for name, value in values.items():
            if name == "data_versions":
                target[name] = {**target.get(name, {}), **value}
            else:
                target[name] = value
    return merged


def group_runs(graph: AssetGraphView, requested: Mapping[AssetKey, Slots]) -> list[RequestedRun]:
    """One run per partition and per group of requested assets connected through
    dependencies, so an asset requested together with its dependency runs in the same run,
    after it."""
    by_partition: dict[Slot, set[AssetKey]] = {}
    for key, slots in requested.items():
        for slot in slots:
            by_partition.setdefault(slot, set()).add(key)
    runs: list[RequestedRun] = []
    for partition in sorted(by_partition, key=_order):
        for component in _components(graph, by_partition[partition]):
            runs.append(
                RequestedRun(
                    asset_keys=tuple(graph.toposort_subset(component)),
                    partition=partition,
                    tags={AUTOMATION_TAG: "true"},
                )
            )
    return runs


def _components(graph: AssetGraphView, keys: set[AssetKey]) -> Iterable[set[AssetKey]]:
    left = set(keys)
    for start in sorted(keys, key=lambda k: k.to_user_string()):
        if start not in left:
            continue
        component, frontier = {start}, [start]
        left.discard(start)
        while frontier:
            key = frontier.pop()
            for near in graph.parents(key) | graph.children(key):
                if near in left:
                    left.discard(near)
                    component.add(near)
                    frontier.append(near)
        yield component


class _StaleSlots:
    """`stale()`: staleness computed once per tick, when a condition first asks."""

    def __init__(self, graph: AssetGraphView, storage: StorageReader) -> None:
        self._graph = graph
        self._storage = storage
        self._resolver: StalenessResolver | None = None

    def __call__(self, key: AssetKey, candidates: Slots) -> Slots:
        if self._resolver is None:
            self._resolver = StalenessResolver(self._graph, self._storage)  # type: ignore[arg-type]
        if self._graph.node(key).partitions_def is None:
            status = self._resolver.statuses().get(key)
            stale = status is not None and status.status is StaleStatus.STALE
            return candidates if stale else frozenset()
        partitions = self._resolver.partition_statuses().get(key)
        if partitions is None:
            return frozenset()
        return frozenset(s for s in candidates if s is not None and s in partitions.records)

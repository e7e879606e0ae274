"""Evaluates one asset's condition tree for one tick: each node gets the candidate partitions
its parent passes down and yields those for which it holds.

`&` narrows candidates from operand to operand (so `in_latest_time_window()` first keeps a
10,000-partition asset to one partition); `|` evaluates every operand on the same candidates
(each node's result is then shown on the same footing); `~` is the candidates minus its
operand. Deps conditions evaluate their operand on the dependencies' partitions that the
candidates read, through the partition mappings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from freshet.automation.cursor import AutomationCursor, Slot, slot_text, text_slot
from freshet.automation.facts import ALL_SLOTS, AllSlots, TickFacts
from freshet.automation.result import MAX_RECORDED_PARTITIONS, NodeEvaluation
from freshet.core.automation.conditions import (
    AllDepsBlockingChecksPassedCondition,
    AllDepsCondition,
    AndCondition,
    AnyDepsCondition,
    AutomationCondition,
    CodeVersionChangedCondition,
    CronTickPassedCondition,
    DataVersionChangedCondition,
    DepsCondition,
    ExecutionFailedCondition,
    InLatestTimeWindowCondition,
    InProgressCondition,
    LateCondition,
    MissingCondition,
    NeededForFreshnessCondition,
    NewlyMissingCondition,
    NewlyRequestedCondition,
    NewlyTrueCondition,
    NewlyUpdatedCondition,
    NotCondition,
    OrCondition,
    SinceCondition,
    StaleCondition,
    UpdatedSinceCronCondition,
    WillBeRequestedCondition,
)
from freshet.core.keys import AssetKey
from freshet.core.partitions import TimeWindowPartitionsDefinition
from freshet.errors import FreshetError
from freshet.lineage.selection import select_assets

Slots = frozenset[Slot]


class FreshnessOracle(Protocol):
    """What `late()` and `needed_for_freshness()` ask about freshness (see
    `freshet.automation.freshness`)."""

    def late_slots(self, key: AssetKey, candidates: Slots) -> Slots: ...

    def needed_slots(self, key: AssetKey, candidates: Slots) -> Slots: ...


@dataclass(slots=True)
class TickState:
    """Shared by every asset's evaluation in one tick: what the previous tick left, the
    facts read from storage, and what this tick has requested and recorded so far."""

    previous: AutomationCursor
    facts: TickFacts
    freshness: FreshnessOracle | None = None
    stale: Callable[[AssetKey, Slots], Slots] | None = None
    requested: dict[AssetKey, Slots] = field(default_factory=dict)
    node_state: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    seen: dict[str, dict[str, Any]] = field(default_factory=dict)
    _selections: dict[str, frozenset[AssetKey]] = field(default_factory=dict)
    _cron_ticks: dict[tuple[str, str], float | None] = field(default_factory=dict)

    @property
    def now(self) -> float:
        return self.facts.now

    def selection(self, text: str) -> frozenset[AssetKey]:
        keys = self._selections.get(text)
        if keys is None:
            keys = frozenset(select_assets(self.facts.graph, text))
            self._selections[text] = keys
        return keys

    def latest_cron_tick(self, cron_schedule: str, timezone: str) -> float | None:
        """The latest tick of the schedule at or before now."""
        cache_key = (cron_schedule, timezone)
        if cache_key not in self._cron_ticks:
            # Imported here for start-up time: croniter costs ~25 ms; most projects have no cron.
            from freshet.core.cron import CronCadence

            cadence = CronCadence(cron_schedule, ZoneInfo(timezone), self.now)
            first = cadence.tick_timestamp(0)
            self._cron_ticks[cache_key] = first if first <= self.now else cadence.tick_timestamp(-1)
        return self._cron_ticks[cache_key]


class AssetEvaluator:
    """Evaluates the tree of one asset. Node ids are paths ("0", "0.1", "0.1.0"); a node
    below a deps condition is evaluated per dependency and keeps its state under
    "<id>@<dependency>"."""

    def __init__(self, tick: TickState, key: AssetKey) -> None:
        self.tick = tick
        self.key = key
        self.facts = tick.facts

    def evaluate(self, condition: AutomationCondition) -> tuple[Slots, NodeEvaluation]:
        slots = self.facts.all_slots(self.key)
        candidates: Slots = (
            AllSlots(slots) if self.facts.partitions_def(self.key) is not None else frozenset(slots)
        )  # type: ignore[assignment]
        return self._node(condition, "0", self.key, candidates, "")

    # -- dispatch -----------------------------------------------------------------------
    def _node(
        self, node: AutomationCondition, node_id: str, key: AssetKey, candidates: Slots, scope: str
    ) -> tuple[Slots, NodeEvaluation]:
        children: list[NodeEvaluation] = []
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise FreshetError(f"automation condition {type(node).__name__} cannot be evaluated")
        true = handler(self, node, node_id, key, candidates, scope, children)
        return true, _record(node, node_id, key, candidates, true, children, self.facts)

    def _child(
        self,
        node: AutomationCondition,
        node_id: str,
        key: AssetKey,
        candidates: Slots,
        scope: str,
        children: list[NodeEvaluation],
    ) -> Slots:
        true, record = self._node(node, node_id, key, candidates, scope)
        children.append(record)
        return true

    # -- state kept between ticks -------------------------------------------------------
    def _newly(
        self, key: AssetKey, node_id: str, scope: str, candidates: Slots, now: Slots
    ) -> Slots:
        """What holds now and did not at the previous tick (remembering what holds now)."""
        previous = self._previous(key, node_id, scope)
        self._remember(key, node_id, scope, previous, candidates, now)
        return now - (previous or frozenset())

    def _state_key(self, key: AssetKey, node_id: str, scope: str) -> tuple[str, str]:
        return self.key.to_user_string(), f"{node_id}{scope}"

    def _previous(self, key: AssetKey, node_id: str, scope: str) -> frozenset[Slot] | None:
        asset, node = self._state_key(key, node_id, scope)
        stored = self.tick.previous.node_state.get(asset, {}).get(node)
        return None if stored is None else frozenset(text_slot(s) for s in stored)

    def _remember(
        self,
        key: AssetKey,
        node_id: str,
        scope: str,
        previous: frozenset[Slot] | None,
        candidates: Slots,
        true: Slots,
    ) -> None:
        """Keep the node's true subset: this tick's for candidates, the previous one for the
        partitions this tick did not look at."""
        kept = ((previous or frozenset()) - candidates) | true
        asset, node = self._state_key(key, node_id, scope)
        self.tick.node_state.setdefault(asset, {})[node] = sorted(slot_text(s) for s in kept)


# ---- handlers ----------------------------------------------------------------------------

Children = list[NodeEvaluation]


def _and(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    current = c
    for i, operand in enumerate(node.operands):
        current = ev._child(operand, f"{nid}.{i}", key, current, scope, ch)
    return current


def _or(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    true: frozenset[Slot] = frozenset()
    for i, operand in enumerate(node.operands):
        true |= ev._child(operand, f"{nid}.{i}", key, c, scope, ch)
    return true


def _not(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    return c - ev._child(node.operand, f"{nid}.0", key, c, scope, ch)


def _since(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    trigger = ev._child(node.trigger, f"{nid}.0", key, c, scope, ch)
    reset = ev._child(node.reset, f"{nid}.1", key, c, scope, ch)
    previous = ev._previous(key, nid, scope)
    true = (((previous or frozenset()) & c) | trigger) - reset
    ev._remember(key, nid, scope, previous, c, true)
    return true


def _newly_true(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    return ev._newly(key, nid, scope, c, ev._child(node.operand, f"{nid}.0", key, c, scope, ch))


def _deps(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    assert isinstance(node, DepsCondition)
    graph = ev.facts.graph
    deps = list(graph.node(key).parent_keys)
    if node.allow_selection is not None:
        allowed = ev.tick.selection(node.allow_selection)
        deps = [d for d in deps if d in allowed]
    if node.ignore_selection is not None:
        ignored = ev.tick.selection(node.ignore_selection)
        deps = [d for d in deps if d not in ignored]
    reads = {dep: {slot: ev.facts.upstream_slots(key, dep, slot) for slot in c} for dep in deps}
    per_dep: list[NodeEvaluation] = []
    matched: dict[AssetKey, Slots] = {}
    for dep in deps:
        dep_candidates = frozenset(s for slots in reads[dep].values() for s in slots)
        true, record = ev._node(
            node.operand, f"{nid}.0", dep, dep_candidates, f"{scope}@{dep.to_user_string()}"
        )
        matched[dep] = true
        per_dep.append(record)
    if per_dep:
        ch.append(_sum_records(per_dep))
    # any_deps_match: some partition of some dependency; all_deps_match: every one of each
    holds = any if isinstance(node, AnyDepsCondition) else all
    return frozenset(
        slot for slot in c if holds(holds(s in matched[d] for s in reads[d][slot]) for d in deps)
    )


def _sum_records(records: list[NodeEvaluation]) -> NodeEvaluation:
    """The operand of a deps condition, over every dependency at once: counts add up."""
    if len(records) == 1:
        return records[0]
    first = records[0]
    children = tuple(
        _sum_records(list(group)) for group in zip(*(r.children for r in records), strict=False)
    )
    return NodeEvaluation(
        node_id=first.node_id,
        node_type=first.node_type,
        label=first.label,
        candidate_count=sum(r.candidate_count for r in records),
        true_count=sum(r.true_count for r in records),
        children=children,
        condition=first.condition,
    )


# -- leaves ---------------------------------------------------------------------------------


def _missing(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    return _missing_slots(ev, key, c)


def _missing_slots(ev: AssetEvaluator, key: AssetKey, c: Slots) -> Slots:
    view = ev.facts.graph.node(key)
    if not view.is_materializable:
        return frozenset()  # a source or external asset is never missing: nothing builds it
    if view.partitions_def is not None and len(c) > MAX_RECORDED_PARTITIONS:
        return c - ev.facts.materialized_partitions(key)  # type: ignore[operator]
    facts = ev.facts.facts(key, c)
    return frozenset(s for s in c if facts[s].materialization_id is None)


def _newly_missing(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    return ev._newly(key, nid, scope, c, _missing_slots(ev, key, c))


def _in_progress(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    flying = ev.facts.in_flight(key)
    if ALL_SLOTS in flying:
        return c
    facts = ev.facts.facts(key, c)
    return frozenset(s for s in c if s in flying or facts[s].in_progress)


def _failed(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    facts = ev.facts.facts(key, c)
    return frozenset(s for s in c if facts[s].failed)


def _newly_updated(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    if ev.tick.previous.evaluation_time is None:
        return frozenset()  # the first tick: nothing to compare with
    since = ev.tick.previous.storage_id or 0  # None: the log was empty then
    facts = ev.facts.facts(key, c)
    return frozenset(s for s in c if (facts[s].latest_id or 0) > since)


def _newly_requested(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    stored = ev.tick.previous.requested.get(key.to_user_string(), ())
    return c & frozenset(text_slot(s) for s in stored)


def _code_version_changed(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    name = key.to_user_string()
    current = ev.facts.graph.node(key).code_version
    seen = ev.tick.previous.seen.get(name, {})
    if "code_version" in seen:
        before = seen["code_version"]
    elif ev.facts.partitions_def(key) is None:
        # the first tick: against the last build (read with every unpartitioned status row)
        built = ev.facts.one(key, None)
        before = built.code_version if built.materialization_id else current
    elif any(f.materialization_id for f in ev.facts.facts(key, c).values()):
        before = ev.facts.latest_code_version(key)  # the first tick: against the last build
    else:
        before = current  # never built: missing, not changed
    ev.tick.seen.setdefault(name, {})["code_version"] = current
    return c if before != current else frozenset()


def _data_version_changed(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    name = key.to_user_string()
    before = ev.tick.previous.seen.get(name, {}).get("data_versions", {})
    now = ev.tick.seen.setdefault(name, {}).setdefault("data_versions", {})
    facts = ev.facts.facts(key, c)
    changed = set()
    for slot in c:
        text = slot_text(slot)
        version = facts[slot].data_version
        if text in before and before[text] != version:
            changed.add(slot)
        now[text] = version
    return frozenset(changed)


def _cron_tick_passed(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    previous = ev.tick.previous.evaluation_time
    latest = ev.tick.latest_cron_tick(node.cron_schedule, node.cron_timezone)
    if previous is None or latest is None or latest <= previous:
        return frozenset()
    return c


def _updated_since_cron(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    latest = ev.tick.latest_cron_tick(node.cron_schedule, node.cron_timezone)
    if latest is None:
        return frozenset()
    facts = ev.facts.facts(key, c)
    return frozenset(s for s in c if (facts[s].data_time or float("-inf")) >= latest)


def _in_latest_time_window(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    definition = ev.facts.partitions_def(key)
    if not isinstance(definition, TimeWindowPartitionsDefinition):
        return c
    keys = ev.facts.all_slots(key)
    if not keys:
        return frozenset()
    if node.lookback_minutes is None:
        return frozenset(k for k in (keys[-1],) if k in c)
    last_end = definition.time_window_for_key(keys[-1]).end.timestamp()  # type: ignore[arg-type]
    horizon = last_end - node.lookback_minutes * 60
    window: set[Slot] = set()
    for partition in reversed(keys):
        if definition.time_window_for_key(partition).end.timestamp() <= horizon:  # type: ignore[arg-type]
            break
        window.add(partition)
    return frozenset(k for k in window if k in c)


def _will_be_requested(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    return c & ev.tick.requested.get(key, frozenset())


def _stale(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    if ev.tick.stale is None:
        return frozenset()
    return ev.tick.stale(key, c)


def _late(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    oracle = ev.tick.freshness
    return frozenset() if oracle is None else oracle.late_slots(key, c)


def _needed_for_freshness(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    oracle = ev.tick.freshness
    return frozenset() if oracle is None else oracle.needed_slots(key, c)


def _blocking_checks_passed(
    ev: AssetEvaluator, node: Any, nid: str, key: AssetKey, c: Slots, scope: str, ch: Children
) -> Slots:
    graph = ev.facts.graph
    blocking = {
        dep: [spec.key for spec in graph.check_specs_for(dep) if spec.blocking]
        for dep in graph.node(key).parent_keys
    }
    result = set()
    for slot in c:
        if all(
            ev.facts.check_passed(check, up)
            for dep, checks in blocking.items()
            for check in checks
            for up in ev.facts.upstream_slots(key, dep, slot)
        ):
            result.add(slot)
    return frozenset(result)


_Handler = Callable[[AssetEvaluator, Any, str, AssetKey, Slots, str, Children], Slots]
_HANDLERS: Mapping[type, _Handler] = {
    AndCondition: _and,
    OrCondition: _or,
    NotCondition: _not,
    SinceCondition: _since,
    NewlyTrueCondition: _newly_true,
    AnyDepsCondition: _deps,
    AllDepsCondition: _deps,
    MissingCondition: _missing,
    NewlyMissingCondition: _newly_missing,
    InProgressCondition: _in_progress,
    ExecutionFailedCondition: _failed,
    NewlyUpdatedCondition: _newly_updated,
    NewlyRequestedCondition: _newly_requested,
    CodeVersionChangedCondition: _code_version_changed,
    DataVersionChangedCondition: _data_version_changed,
    CronTickPassedCondition: _cron_tick_passed,
    UpdatedSinceCronCondition: _updated_since_cron,
    InLatestTimeWindowCondition: _in_latest_time_window,
    WillBeRequestedCondition: _will_be_requested,
    StaleCondition: _stale,
    LateCondition: _late,
    NeededForFreshnessCondition: _needed_for_freshness,
    AllDepsBlockingChecksPassedCondition: _blocking_checks_passed,
}


def _record(
    node: AutomationCondition,
    node_id: str,
    key: AssetKey,
    candidates: Slots,
    true: Slots,
    children: Iterable[NodeEvaluation],
    facts: TickFacts,
) -> NodeEvaluation:
    count = len(candidates)
    keep = count <= MAX_RECORDED_PARTITIONS and facts.partitions_def(key) is not None
    return NodeEvaluation(
        node_id,
        node.name,
        node.label,
        count,
        len(true),
        tuple(sorted(s for s in true if s is not None)) if keep else None,
        tuple(children),
        node,
    )

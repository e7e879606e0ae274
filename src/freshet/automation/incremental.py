"""Incremental ticks: an asset whose inputs did not change since the previous tick keeps the
previous tick's evaluation instead of being evaluated again, so an idle tick costs what
changed, not the size of the graph.

An asset is evaluated again when: it or a dependency has an event since the cursor (a
materialization, observation, failure, planned step, or a run of it queued or ended); a
dependency is requested in this tick; its previous evaluation requested or held back
something, or had a node true that compares with the previous tick (newly_*, *_changed,
cron_tick_passed, newly_true, will_be_requested); its condition or code version changed;
or its condition depends on the clock or on the whole graph (cron, freshness, stale(), the
latest time window of a partitioned asset). The previous evaluations are kept in this
process, keyed by the cursor's token: a cursor from elsewhere (or a restarted process)
simply gets a full tick.

When the previous evaluations were made against the same graph, a tick does not even walk
the graph: it looks only at the frontier (assets that changed, their children, assets that
must be evaluated again) and at the children of what it requests, in topological order; every
other asset keeps its evaluation without being looked at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from freshet.automation.cursor import AutomationCursor
from freshet.automation.facts import TickFacts
from freshet.automation.result import AssetEvaluation, NodeEvaluation
from freshet.core.automation.conditions import (
    AutomationCondition,
    CronTickPassedCondition,
    InLatestTimeWindowCondition,
    LateCondition,
    NeededForFreshnessCondition,
    StaleCondition,
    UpdatedSinceCronCondition,
)
from freshet.core.keys import AssetKey
from freshet.lineage.view import AssetGraphView
from freshet.storage.records import RunsFilter

#: more events than this since the cursor: evaluate everything rather than sort them out
MAX_EVENTS = 20_000

_CLOCK_OR_GRAPH = (
    CronTickPassedCondition,
    UpdatedSinceCronCondition,
    LateCondition,
    NeededForFreshnessCondition,
    StaleCondition,
)
_TRANSIENT = frozenset(
    {
        "newly_missing",
        "newly_updated",
        "newly_requested",
        "code_version_changed",
        "data_version_changed",
        "cron_tick_passed",
        "newly_true",
        "will_be_requested",
    }
)

Entry = tuple[AutomationCondition, AssetEvaluation, bool]
"""An asset's condition, its evaluation, and whether the next tick must evaluate it again
whatever changes (see `must_reevaluate`)."""


@dataclass(slots=True, kw_only=True, eq=False)
class Memo:
    """One tick's evaluations, for the next tick in this process."""

    #: the graph they were made against (the same object: same conditions and code versions)
    graph: AssetGraphView
    #: per asset with a condition, in topological order
    entries: dict[AssetKey, Entry]
    #: the assets the next tick must evaluate again whatever changes
    sticky: frozenset[AssetKey]
    #: the evaluations in the order of the tick's results, and each asset's place there
    results: list[AssetEvaluation]
    position: dict[AssetKey, int]

    @classmethod
    def of(cls, graph: AssetGraphView, entries: dict[AssetKey, Entry]) -> Memo:
        """After a tick that walked the whole graph."""
        return cls(
            graph=graph,
            entries=entries,
            sticky=frozenset(key for key, entry in entries.items() if entry[2]),
            results=[entry[1] for entry in entries.values()],
            position={key: i for i, key in enumerate(entries)},
        )

    def evolve(self, entries: dict[AssetKey, Entry], evaluated: set[AssetKey]) -> Memo:
        """After a tick over the same graph that evaluated only `evaluated`: costs what was
        evaluated, not the size of the graph."""
        results = list(self.results)
        for key in evaluated:
            results[self.position[key]] = entries[key][1]
        return Memo(
            graph=self.graph,
            entries=entries,
            sticky=(self.sticky - evaluated) | {key for key in evaluated if entries[key][2]},
            results=results,
            position=self.position,
        )


_MEMOS: dict[str, Memo] = {}
_VOLATILE: dict[int, tuple[AutomationCondition, bool, bool]] = {}


def recall(cursor: AutomationCursor) -> Memo | None:
    return None if cursor.token is None else _MEMOS.get(cursor.token)


def remember(token: str, memo: Memo) -> None:
    _MEMOS.clear()  # one tick back is all a next tick needs
    _MEMOS[token] = memo


def changed_keys(facts: TickFacts, previous: AutomationCursor) -> set[AssetKey] | None:
    """Assets with an event since the previous tick (None: too many to tell, or no previous
    tick)."""
    if previous.evaluation_time is None:
        return None
    changed: set[AssetKey] = set()
    # runs queued, started or ended since (also those recorded without an event)
    flying = {run.run_id: run for run in facts.unfinished_runs()}
    moved = set(flying).symmetric_difference(previous.runs_in_flight)
    runs = [flying[run_id] for run_id in moved if run_id in flying]
    unread = {run_id for run_id in moved if run_id not in flying}
    since = previous.storage_id or 0
    if facts.max_storage_id is not None and facts.max_storage_id > since:
        records = facts.storage.get_event_records(after_storage_id=since, limit=MAX_EVENTS + 1)
        if len(records) > MAX_EVENTS:
            return None
        for record in records:
            event = record.event
            if event.asset_key is not None:
                changed.add(event.asset_key)
            elif event.event_type.value.startswith("RUN_"):
                unread.add(event.run_id)
    if unread:  # one query for every run not at hand
        runs += facts.storage.get_runs(RunsFilter(run_ids=sorted(unread)))
    for run in runs:
        changed |= facts.run_asset_keys(run)
    return changed


def must_reevaluate(
    condition: AutomationCondition, evaluation: AssetEvaluation, partitioned: bool
) -> bool:
    """Whether the next tick must evaluate this asset again even if nothing it reads
    changes: it requested or held back something, a node comparing with the previous tick
    held, or the condition reads the clock or the whole graph."""
    return bool(
        evaluation.requested
        or evaluation.discarded
        or _transient_truth(evaluation.tree)
        or _volatile(condition, partitioned)
    )


def frontier(memo: Memo, changed: set[AssetKey]) -> set[AssetKey]:
    """The assets with a condition a tick over `memo.graph` must look at before it knows what
    it requests: those that changed, their children, and the sticky ones."""
    graph, entries = memo.graph, memo.entries
    keys = set(memo.sticky)
    for key in changed:
        if key in entries:
            keys.add(key)
        keys.update(child for child in graph.children(key) if child in entries)
    return keys


def reusable(
    entry: Entry | None,
    condition: AutomationCondition,
    key: AssetKey,
    facts: TickFacts,
    changed: set[AssetKey],
    requested: Mapping[AssetKey, Any],
    previous: AutomationCursor,
) -> bool:
    if entry is None or key in changed:
        return False
    old_condition, _, sticky = entry
    if sticky or (old_condition is not condition and old_condition != condition):
        return False
    view = facts.graph.node(key)
    seen = previous.seen.get(key.to_user_string(), {})
    if "code_version" in seen and seen["code_version"] != view.code_version:
        return False
    return not any(p in changed or p in requested for p in facts.graph.parents(key))


def _transient_truth(node: NodeEvaluation) -> bool:
    if node.true_count and node.node_type in _TRANSIENT:
        return True
    return any(_transient_truth(child) for child in node.children)


def _volatile(condition: AutomationCondition, partitioned: bool) -> bool:
    """Whether the condition reads the clock or the whole graph (remembered per object)."""
    known = _VOLATILE.get(id(condition))
    if known is None or known[0] is not condition:
        nodes = list(condition.walk())
        clock = any(isinstance(n, _CLOCK_OR_GRAPH) for n in nodes)
        window = any(isinstance(n, InLatestTimeWindowCondition) for n in nodes)
        if len(_VOLATILE) > 100_000:
            _VOLATILE.clear()
        known = (condition, clock, window)
        _VOLATILE[id(condition)] = known
    return known[1] or (partitioned and known[2])

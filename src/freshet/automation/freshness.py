"""Freshness for automation: `late()` reads each asset's freshness state, and
`needed_for_freshness()` (the heart of `lazy()`) decides whether refreshing an asset now
helps an asset at or downstream of it with a `FreshnessPolicy` meet its next deadline.

An asset with a policy *needs data up to* a target time when:
- it is late now: the data time its policy requires now;
- a cron policy's next tick is due within `maximum_lag_minutes`: that tick minus the lag
  (data arriving before then must be in by the tick; refreshing earlier cannot help);
- a policy without cron: when less than a quarter of the lag (at most 30 minutes) is left
  before it turns late, or its data time is unknown: now minus the lag plus that margin.

An asset X at or upstream of it is then requested when X's data time is older than the
target (X holds it back) and refreshing X now would move X's data time forward: X's
dependencies (as they are, or as they will be once refreshed by this tick) have newer data
than X. Ancestors are evaluated first, so the chain is requested in the same tick and runs
as one run.
"""

from __future__ import annotations

from collections.abc import Mapping

from freshet.automation.evaluator import Slots
from freshet.core.automation.freshness_policy import FreshnessPolicy
from freshet.core.keys import AssetKey
from freshet.lineage.view import AssetGraphView
from freshet.status.freshness import AssetFreshness, DataTimeResolver, evaluate_freshness
from freshet.storage.base import StorageReader

#: the most time a refresh is given before a policy without cron would turn late
MAX_LEAD_SECONDS = 30 * 60.0


class FreshnessAutomation:
    """Answers `late()` and `needed_for_freshness()` for one tick."""

    def __init__(
        self,
        graph: AssetGraphView,
        storage: StorageReader,
        now: float,
        requested: Mapping[AssetKey, Slots],
    ) -> None:
        self._graph = graph
        self._resolver = DataTimeResolver(graph, storage, now=now)
        self._now = now
        self._requested = requested
        self._states: dict[AssetKey, AssetFreshness] = {}
        self._targets: dict[AssetKey, float | None] = {}
        self._potential: dict[AssetKey, float | None] = {}

    def state(self, key: AssetKey) -> AssetFreshness | None:
        policy = self._graph.node(key).freshness_policy
        if not isinstance(policy, FreshnessPolicy):
            return None
        if key not in self._states:
            self._states[key] = evaluate_freshness(key, policy, self._resolver)
        return self._states[key]

    def late_slots(self, key: AssetKey, candidates: Slots) -> Slots:
        state = self.state(key)
        return candidates if state is not None and state.is_late else frozenset()

    def needed_slots(self, key: AssetKey, candidates: Slots) -> Slots:
        own = self._resolver.data_time(key)
        targets = [
            t for p in (key, *self._graph.downstream([key])) if (t := self.target(p)) is not None
        ]
        if not targets or (own is not None and own >= max(targets)):
            return frozenset()
        potential = self.potential(key)
        if potential is None or (own is not None and potential <= own):
            return frozenset()  # a refresh now would not bring newer data
        return candidates

    def target(self, key: AssetKey) -> float | None:
        """The data time `key` needs now to meet its next deadline; None when it has no
        policy or nothing is due."""
        if key in self._targets:
            return self._targets[key]
        state = self.state(key)
        target: float | None = None
        if state is not None:
            lag = state.policy.maximum_lag_seconds
            if state.is_late or state.data_time is None:
                target = state.required_data_time
            elif state.policy.cron_schedule is not None:
                if state.next_deadline is not None and self._now >= state.next_deadline - lag:
                    target = state.next_deadline - lag
            else:
                lead = min(lag / 4, MAX_LEAD_SECONDS)
                if self._now >= state.data_time + lag - lead:
                    target = self._now - lag + lead
            if target is not None and state.data_time is not None and state.data_time >= target:
                target = None
        self._targets[key] = target
        return target

    def potential(self, key: AssetKey) -> float | None:
        """The data time `key` would have if refreshed now: the oldest of its dependencies'
        (refreshed ones count as refreshed); now for an asset without dependencies."""
        if key in self._potential:
            return self._potential[key]
        parents = self._graph.node(key).parent_keys
        times: list[float | None] = []
        for parent in parents:
            if parent in self._requested:
                times.append(self.potential(parent))
            else:
                times.append(self._resolver.data_time(parent))
        if not parents:
            result: float | None = self._now
        elif any(t is None for t in times):
            result = None
        else:
            result = min(t for t in times if t is not None)
        self._potential[key] = result
        return result

"""Automation ticks recorded through the instance: evaluate from the stored cursor, then
commit the tick, the evaluations that changed and the next cursor in one transaction; the
global on/off switch; and launching a tick's requested runs.

A tick stores an asset's evaluation only when it differs from the last one stored (an idle
tick of 10,000 assets writes one tick row), so the evaluation in force at a tick is the
newest stored at or before it."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from datetime import datetime

from freshet.automation.api import evaluate_automation_conditions
from freshet.automation.cursor import AutomationCursor
from freshet.automation.result import AssetEvaluation, AutomationResult, RequestedRun
from freshet.core.keys import AssetKey
from freshet.errors import UsageError
from freshet.instance.instance import Instance
from freshet.lineage.view import HasAssetGraph
from freshet.storage.base import Storage
from freshet.storage.state_records import (
    AutomationEvaluationRecord,
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    Tick,
    TickRecord,
    TickStatus,
    encode_body,
)

AUTOMATION_NAME = "automation"
"""The instigator name of the automation loop (its state and its ticks)."""
CURSOR_NAME = "automation"
TICK_ID_TAG = "freshet/automation_tick"


def automation_enabled(storage: Storage) -> bool:
    """The global switch; on unless turned off (`freshet automation off`)."""
    state = storage.get_instigator_state(InstigatorType.AUTOMATION, AUTOMATION_NAME)
    return state is None or state.status is InstigatorStatus.RUNNING


def set_automation_enabled(storage: Storage, enabled: bool) -> None:
    storage.set_instigator_state(
        InstigatorState(
            name=AUTOMATION_NAME,
            instigator_type=InstigatorType.AUTOMATION,
            status=InstigatorStatus.RUNNING if enabled else InstigatorStatus.STOPPED,
        )
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TickOutcome:
    """A tick's result and, unless it was a dry run or automation is off, its stored record."""

    result: AutomationResult | None
    record: TickRecord | None = None
    skipped_reason: str | None = None

    @property
    def run_requests(self) -> tuple[RequestedRun, ...]:
        return () if self.result is None else tuple(self.result.run_requests)


def run_automation_tick(
    defs: HasAssetGraph,
    instance: Instance,
    *,
    evaluation_time: datetime | float | None = None,
    dry_run: bool = False,
    max_materializations_per_minute: int | None = None,
    cursor_name: str = CURSOR_NAME,
    to_launch: bool = False,
    location: str | None = None,
) -> TickOutcome:
    """Evaluate a tick from the stored cursor; unless `dry_run`, record it (the tick, the
    changed evaluations and the next cursor, atomically). Launching the requested runs is
    the caller's (the daemon's automation duty, or `materialize_requested_runs`); with
    `to_launch`, a tick with requests is stored STARTED until its runs are queued."""
    storage = instance.storage
    if not dry_run and not automation_enabled(storage):
        return TickOutcome(result=None, skipped_reason="automation is off (freshet automation on)")
    previous = AutomationCursor.coerce(storage.get_cursor(cursor_name))
    result = evaluate_automation_conditions(
        defs,
        instance,
        cursor=previous,
        evaluation_time=evaluation_time,
        max_materializations_per_minute=max_materializations_per_minute,
    )
    if dry_run:
        return TickOutcome(result=result)
    digests = dict(previous.recorded)
    changed: list[AutomationEvaluationRecord] = []
    for evaluation in result.results:
        name = evaluation.key.to_user_string()
        known = _DIGESTS.get(id(evaluation))
        if known is not None and known[0] is evaluation and digests.get(name) == known[1]:
            continue  # kept from the previous tick (incremental): stored already
        text = encode_body(evaluation.to_json())  # the tree of dicts is dropped at once
        digest = _digest(text)
        _DIGESTS[id(evaluation)] = (evaluation, digest)
        if digests.get(name) != digest:
            digests[name] = digest
            changed.append(
                AutomationEvaluationRecord(
                    asset_key=evaluation.key,
                    num_requested=evaluation.num_requested,
                    body_json=text,
                )
            )
    total_requested = result.total_requested
    tick = Tick(
        instigator_type=InstigatorType.AUTOMATION,
        instigator_name=AUTOMATION_NAME,
        status=(
            (TickStatus.STARTED if to_launch else TickStatus.SUCCESS)
            if total_requested
            else TickStatus.SKIPPED
        ),
        timestamp=result.evaluation_time,
        end_timestamp=time.time(),
        data={
            "num_evaluated": len(result.results),
            "num_requested": total_requested,
            "num_recorded": len(changed),
            "run_requests": [r.to_json() for r in result.run_requests],
            "location": location,
        },
    )
    next_cursor = replace(result.cursor, recorded=digests)
    record = storage.commit_automation_tick(tick, changed, cursor_name, next_cursor.to_json())
    return TickOutcome(result=replace(result, cursor=next_cursor), record=record)


_DIGESTS: dict[int, tuple[AssetEvaluation, str]] = {}
"""Digests of evaluations this process stored, so a kept evaluation is not serialized again
(reset when it grows past a bound)."""


def _digest(text: str) -> str:
    if len(_DIGESTS) > 200_000:
        _DIGESTS.clear()
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def requested_runs_of(record: TickRecord) -> list[RequestedRun]:
    return [RequestedRun.from_json(doc) for doc in record.tick.data.get("run_requests", ())]


def latest_evaluation(
    storage: Storage, key: AssetKey, tick_id: int | None = None
) -> tuple[AssetEvaluation, int]:
    """The evaluation of `key` in force at tick `tick_id` (default: the latest tick), with
    the id of the tick that stored it; a clear error when there is none."""
    if tick_id is not None:
        found = [
            t
            for t in storage.get_ticks(InstigatorType.AUTOMATION, AUTOMATION_NAME)
            if t.tick_id == tick_id
        ]
        if not found:
            raise UsageError(
                f"automation tick {tick_id} never ran (or was pruned); list ticks with "
                "`freshet automation ticks`"
            )
    records = storage.get_automation_evaluations(key, up_to_tick_id=tick_id, limit=1)
    if not records:
        where = "" if tick_id is None else f" by tick {tick_id}"
        raise UsageError(
            f"asset {key.to_user_string()!r} has no automation evaluation{where}: it has no "
            "automation_condition, or no tick has run yet (`freshet automation tick`)"
        )
    return AssetEvaluation.from_json(records[0].body), records[0].tick_id

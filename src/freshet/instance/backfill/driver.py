"""Executing a backfill: its planned runs in order in this process, each outcome recorded,
progress reported and persisted after every run, stops and cancels honoured between runs."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from freshet.core.keys import AssetKey
from freshet.core.partitions import PartitionKeyRange, PartitionsSubset
from freshet.execution.events import EventListener
from freshet.execution.result import RunResult
from freshet.execution.state import StepOutcome
from freshet.instance.backfill.plan import Run, blocked_partitions, plan_runs
from freshet.instance.backfill.record import decode_subset, encode_subset, progress_data
from freshet.instance.backfill.results import (
    BACKFILL_TAG,
    OUTCOMES,
    BackfillProgress,
    BackfillResult,
    BackfillRunFailure,
    PartitionOutcome,
    ProgressCallback,
    pending_partitions,
)
from freshet.instance.backfill.scope import Scope
from freshet.instance.inprocess import run_assets
from freshet.instance.instance import Instance
from freshet.storage.state_records import BackfillRecord, BackfillStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class Hooks:
    listeners: Sequence[EventListener] = ()
    stop: Callable[[], bool] | None = None
    on_progress: ProgressCallback | None = None


class Driver:
    """Runs the planned runs of one backfill in order, records each outcome, and persists
    progress after every run."""

    def __init__(
        self,
        scope: Scope,
        instance: Instance,
        record: BackfillRecord,
        targets: Mapping[AssetKey, PartitionsSubset],
        hooks: Hooks,
        run_config: Any = None,
    ) -> None:
        self.scope = scope
        self.run_config = run_config
        self.instance = instance
        self.record = record
        self.targets = dict(targets)
        self.hooks = hooks
        self.outcomes: dict[PartitionOutcome, dict[AssetKey, PartitionsSubset]] = {
            o: {} for o in OUTCOMES
        }
        self.bad: dict[AssetKey, PartitionsSubset] = {}
        self.failed_runs: list[BackfillRunFailure] = []
        self.run_ids: list[str] = []
        self.run_tags = {**record.tags, BACKFILL_TAG: record.backfill_id}
        self.encoded_targets = {
            k.to_user_string(): encode_subset(s) for k, s in self.targets.items()
        }
        self.done = 0
        self.total = 0

    # -- outcomes ------------------------------------------------------------------------

    def add(self, outcome: PartitionOutcome, asset: AssetKey, subset: PartitionsSubset) -> None:
        by_asset = self.outcomes[outcome]
        by_asset[asset] = by_asset[asset] | subset if asset in by_asset else subset
        if outcome is not PartitionOutcome.MATERIALIZED:
            self.bad[asset] = self.bad[asset] | subset if asset in self.bad else subset

    def load(self, record: BackfillRecord) -> None:
        """Outcomes recorded by earlier calls (resume)."""
        stored = record.data.get("outcomes", {})
        for outcome in OUTCOMES:
            for name, encoded in stored.get(outcome.value, {}).items():
                key = AssetKey.from_user_string(name)
                self.add(
                    outcome,
                    key,
                    decode_subset(self.scope.definition(key), encoded, self.scope.store),
                )
        failures = record.data.get("failed_runs", ())
        self.failed_runs = [BackfillRunFailure.from_json(f) for f in failures]

    def pending(self) -> dict[AssetKey, PartitionsSubset]:
        return pending_partitions(self.targets, self.outcomes.values())

    # -- the loop ------------------------------------------------------------------------

    def execute(self, runs: list[Run]) -> BackfillResult:
        queue = deque(runs)
        self.total = len(runs)
        self.report(BackfillProgress(backfill_id=self.record.backfill_id, done=0, total=self.total))
        try:
            self.persist(BackfillStatus.REQUESTED, running=True)
            while queue:
                stopping = self.stopping()
                if stopping is not None:
                    return self.finish(stopping)
                run = queue.popleft()
                blocked = blocked_partitions(self.scope, run, self.bad)
                if blocked:
                    rest = self.skip(run, blocked)
                    split = plan_runs(self.scope, rest) if rest else []
                    self.total += len(split)
                    queue.extendleft(reversed(split))
                else:
                    self.execute_run(run)
        except BaseException as exc:
            self.abort(exc)
            raise
        return self.finish(None)

    def stopping(self) -> BackfillStatus | None:
        """CANCELED when the backfill was canceled elsewhere (seen by the last `persist`),
        REQUESTED (paused) when the stop callback asks to stop; None to go on."""
        if self.record.status is BackfillStatus.CANCELED:
            return BackfillStatus.CANCELED
        if self.hooks.stop is not None and self.hooks.stop():
            return BackfillStatus.REQUESTED
        return None

    def execute_run(self, run: Run) -> None:
        keys = run.partition_keys
        partitions: dict[str, Any] = (
            {"partition_key": keys[0]}
            if len(keys) == 1
            else {"partition_key_range": PartitionKeyRange(keys[0], keys[-1])}
        )
        result = run_assets(
            self.scope.defs,
            run.asset_keys,
            instance=self.instance,
            raise_on_error=False,
            run_config=self.run_config,
            tags=self.run_tags,
            listeners=self.hooks.listeners,
            **partitions,
        )
        self.run_ids.append(result.run_id)
        outcomes = _asset_outcomes(run, result)
        for asset, outcome in outcomes.items():
            self.add(outcome, asset, run.subset)
        failed = tuple(a for a, o in outcomes.items() if o is PartitionOutcome.FAILED)
        skipped = tuple(a for a, o in outcomes.items() if o is PartitionOutcome.SKIPPED)
        if failed:
            self.failed_runs.append(
                BackfillRunFailure(
                    run_id=result.run_id,
                    label=run.label,
                    failed_assets=failed,
                    message=result.failure_message,
                )
            )
        self.progress(run, failed, skipped, result.run_id)
        self.persist(BackfillStatus.REQUESTED, running=True)

    def skip(self, run: Run, blocked: Mapping[AssetKey, set[str]]) -> dict:
        """Record the blocked partitions as skipped; return the run's other targets."""
        rest = {}
        for asset in run.asset_keys:
            gone = blocked.get(asset)
            if not gone:
                rest[asset] = run.subset
                continue
            definition = self.scope.definition(asset)
            subset = definition.subset_for_keys(sorted(gone), dynamic_store=self.scope.store)
            self.add(PartitionOutcome.SKIPPED, asset, subset)
            if len(gone) < len(run.partition_keys):
                rest[asset] = run.subset - subset
        self.progress(run, (), tuple(k for k in run.asset_keys if blocked.get(k)), None)
        self.persist(BackfillStatus.REQUESTED, running=True)
        return rest

    def progress(
        self,
        run: Run,
        failed: tuple[AssetKey, ...],
        skipped: tuple[AssetKey, ...],
        run_id: str | None,
    ) -> None:
        self.done += 1
        outcome = PartitionOutcome.MATERIALIZED
        if skipped:
            outcome = PartitionOutcome.SKIPPED
        if failed:
            outcome = PartitionOutcome.FAILED
        self.report(
            BackfillProgress(
                backfill_id=self.record.backfill_id,
                done=self.done,
                total=self.total,
                label=run.label,
                asset_keys=run.asset_keys,
                outcome=outcome,
                run_id=run_id,
                failed_assets=failed,
                skipped_assets=skipped,
            )
        )

    def report(self, progress: BackfillProgress) -> None:
        if self.hooks.on_progress is not None:
            self.hooks.on_progress(progress)

    # -- ending --------------------------------------------------------------------------

    def finish(self, stopped: BackfillStatus | None) -> BackfillResult:
        if stopped is not None:
            status = stopped
        elif self.bad:
            status = BackfillStatus.FAILED
        else:
            status = BackfillStatus.COMPLETED
        interrupted = stopped is BackfillStatus.REQUESTED
        self.persist(status, interrupted=interrupted)
        return self.result(self.record.status, interrupted)

    def abort(self, exc: BaseException) -> None:
        """Leave the backfill paused, so that `resume` continues what is left; the run in
        flight (if any) ended as the run layer left it and its targets stay pending."""
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}"
        error = f"{reason}: {exc}" if str(exc) else reason
        try:
            self.persist(BackfillStatus.REQUESTED, interrupted=True, error=error)
        except Exception as failure:  # the original exception matters more
            exc.add_note(f"backfill {self.record.backfill_id}: progress not saved ({failure})")

    def persist(
        self,
        status: BackfillStatus,
        *,
        running: bool = False,
        interrupted: bool = False,
        error: str | None = None,
    ) -> None:
        """Store progress. A cancel from another process wins over `status`: the stored
        status is read right before writing, so a cancel that lands during a run stays."""
        stored = self.instance.storage.get_backfill(self.record.backfill_id)
        if stored is not None and stored.status in (
            BackfillStatus.CANCELING,
            BackfillStatus.CANCELED,
        ):
            status, running, interrupted = BackfillStatus.CANCELED, False, False
        data = progress_data(
            self.record.data,
            targets=self.targets,
            encoded_targets=self.encoded_targets,
            outcomes=self.outcomes,
            failed_runs=self.failed_runs,
            interrupted=interrupted,
            running=running,
        )
        self.record = replace(
            self.record, status=status, data=data, error=error, updated_at=time.time()
        )
        self.instance.storage.update_backfill(self.record)

    def result(self, status: BackfillStatus, interrupted: bool) -> BackfillResult:
        by = self.outcomes
        return BackfillResult(
            backfill_id=self.record.backfill_id,
            status=status,
            targets=dict(self.targets),
            materialized=dict(by[PartitionOutcome.MATERIALIZED]),
            failed=dict(by[PartitionOutcome.FAILED]),
            skipped=dict(by[PartitionOutcome.SKIPPED]),
            run_ids=tuple(self.run_ids),
            failed_runs=tuple(self.failed_runs),
            interrupted=interrupted,
        )


def _asset_outcomes(run: Run, result: RunResult) -> dict[AssetKey, PartitionOutcome]:
    """Each asset's outcome in a finished run, from its step's outcome. A step skipped in a
    run where no step failed was stopped by the run itself (e.g. a resource), so it failed."""
    steps = {k: StepOutcome(v) for k, v in result.step_outcomes.items()}
    any_failed = any(o in (StepOutcome.FAILURE, StepOutcome.BLOCKED) for o in steps.values())
    outcomes = {}
    for asset in run.asset_keys:
        where = result.asset_output_steps.get(asset)
        step = steps.get(where[0]) if where is not None else None
        if step is StepOutcome.SUCCESS:
            outcomes[asset] = PartitionOutcome.MATERIALIZED
        elif step is StepOutcome.SKIPPED and any_failed:
            outcomes[asset] = PartitionOutcome.SKIPPED
        else:
            # BLOCKED: materialized, but a blocking check failed, so downstream must not run
            outcomes[asset] = PartitionOutcome.FAILED
    return outcomes

"""The daemon's automation duty: every `interval_seconds`, one automation tick per loaded code
location (read from its snapshot, never its code), whose requested runs are queued through the
run queue with the location's origin.

Exactly once: the tick, its evaluations, its run requests and the next cursor are committed
in one transaction, with the tick STARTED; its runs are then queued under ids derived from the
tick and each request's position, skipping ids already stored, and the tick marked SUCCESS. A
daemon killed at any point and restarted first finishes the STARTED ticks the same way, so no
request is lost and none is queued twice; a tick killed before its commit left nothing behind
and is simply evaluated again.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

from freshet.instance.automation import (
    AUTOMATION_NAME,
    CURSOR_NAME,
    TICK_ID_TAG,
    automation_enabled,
    requested_runs_of,
    run_automation_tick,
)
from freshet.instance.config import AutomationConfig, load_instance_config
from freshet.instance.instance import Instance
from freshet.runs.launch import LaunchRequest, enqueue, keys_selection
from freshet.storage.state_records import InstigatorType, TickRecord, TickStatus
from freshet.workspace.host import LocationStatus, WorkspaceHost

AUTOMATION_DUTY = "automation"
_NAMESPACE = uuid.UUID("2b6f3e0e-4a53-4f57-9d8c-0f3a1c7d5e21")


def automation_config(instance: Instance) -> AutomationConfig:
    """The `automation` section of the instance's freshet.yaml (defaults without a home)."""
    if instance.home is None:
        return AutomationConfig()
    return load_instance_config(instance.home).automation


class AutomationDuty:
    name = AUTOMATION_DUTY

    def __init__(
        self, instance: Instance, host: WorkspaceHost, config: AutomationConfig | None = None
    ) -> None:
        self._instance = instance
        self._host = host
        self._config = config or automation_config(instance)
        self.interval_seconds = self._config.interval_seconds

    def tick(self, now: float | None = None) -> list[TickRecord]:
        """Finish ticks a previous daemon left STARTED, then tick every loaded location;
        returns the ticks recorded now."""
        storage = self._instance.storage
        for record in storage.get_ticks(
            InstigatorType.AUTOMATION, AUTOMATION_NAME, statuses=[TickStatus.STARTED]
        ):
            self._launch(record)
        if not automation_enabled(storage):
            return []
        entries = [
            e for e in self._host if e.status is LocationStatus.LOADED and e.snapshot is not None
        ]
        recorded = []
        for entry in entries:
            cursor_name = CURSOR_NAME if len(entries) == 1 else f"{CURSOR_NAME}/{entry.name}"
            outcome = run_automation_tick(
                entry.snapshot,  # type: ignore[arg-type]
                self._instance,
                evaluation_time=now,
                max_materializations_per_minute=self._config.max_materializations_per_minute,
                cursor_name=cursor_name,
                to_launch=True,
                location=entry.name,
            )
            if outcome.record is not None:
                recorded.append(self._launch(outcome.record))
        return recorded

    def close(self) -> None:
        pass

    def _launch(self, record: TickRecord) -> TickRecord:
        """Queue the tick's runs (once each) and mark it SUCCESS."""
        if record.tick.status is not TickStatus.STARTED:
            return record
        storage = self._instance.storage
        location = record.tick.data.get("location")
        entry = next((e for e in self._host if e.name == location), None)
        if entry is None:
            failed = record.tick.with_status(
                TickStatus.FAILURE,
                time.time(),
                error=f"code location {location!r} is no longer in the workspace",
            )
            return storage.update_tick(record.tick_id, failed)
        run_ids = []
        for position, run in enumerate(requested_runs_of(record)):
            run_id = str(uuid.uuid5(_NAMESPACE, f"automation:{record.tick_id}:{position}"))
            run_ids.append(run_id)
            if storage.get_run(run_id) is not None:
                continue  # queued before a crash
            enqueue(
                storage,
                LaunchRequest(
                    origin=entry.origin.to_json_dict(),
                    selection=keys_selection(run.asset_keys),
                    partition_key=run.partition,
                    tags={**run.tags, TICK_ID_TAG: str(record.tick_id)},
                ),
                run_id=run_id,
            )
        done = replace(
            record.tick.with_status(TickStatus.SUCCESS, time.time()), run_ids=tuple(run_ids)
        )
        return storage.update_tick(record.tick_id, done)

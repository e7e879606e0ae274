"""The daemon's automation duty: a tick per code location from its snapshot, its runs queued
through the run queue exactly once — also when the daemon died between recording the tick and
queuing its runs."""

from __future__ import annotations

import pytest

from freshet.instance.automation import AUTOMATION_NAME, set_automation_enabled
from freshet.instance.automation_duty import AutomationDuty
from freshet.instance.config import AutomationConfig
from freshet.storage.records import RunsFilter, RunStatus
from freshet.storage.state_records import InstigatorType, TickStatus

DEFS = """
import freshet as fr

AC = fr.AutomationCondition

@fr.asset(automation_condition=AC.eager())
def raw():
    return 1

@fr.asset(deps=[raw], automation_condition=AC.eager())
def clean():
    return 1

defs = fr.Definitions(assets=[raw, clean])
"""


@pytest.fixture
def setup(hosted_location):
    instance, host = hosted_location(DEFS, "automation_defs.py")
    return instance, AutomationDuty(instance, host, AutomationConfig(interval_seconds=5)), host


def _queued(instance):
    return instance.storage.get_runs(RunsFilter(statuses=[RunStatus.QUEUED]))


def test_requested_runs_are_queued_with_the_locations_origin_once(setup):
    instance, duty, _ = setup
    assert duty.interval_seconds == 5
    [tick] = duty.tick()
    assert tick.tick.status is TickStatus.SUCCESS and len(tick.tick.run_ids) == 1
    [run] = _queued(instance)
    assert run.run_id == tick.tick.run_ids[0]
    assert run.selection == 'key:"raw" or key:"clean"'
    assert run.origin["location_name"] == "project"
    assert run.tags["freshet/automation"] == "true"
    # the run is queued: the next tick requests nothing more
    [again] = duty.tick()
    assert again.tick.status is TickStatus.SKIPPED
    assert len(_queued(instance)) == 1


def test_a_tick_recorded_before_a_crash_queues_its_runs_once_after_restart(setup):
    instance, duty, host = setup
    # the daemon died right after committing the tick: it is STARTED, no run is queued
    duty._launch = lambda record: record  # type: ignore[method-assign]
    [crashed] = duty.tick()
    assert crashed.tick.status is TickStatus.STARTED and _queued(instance) == []
    restarted = AutomationDuty(instance, host, AutomationConfig())
    restarted.tick()
    [finished] = [
        t
        for t in instance.storage.get_ticks(InstigatorType.AUTOMATION, AUTOMATION_NAME)
        if t.tick_id == crashed.tick_id
    ]
    assert finished.tick.status is TickStatus.SUCCESS
    assert [r.run_id for r in _queued(instance)] == list(finished.tick.run_ids)
    restarted.tick()
    assert len(_queued(instance)) == 1


def test_nothing_is_ticked_while_automation_is_off(setup):
    instance, duty, _ = setup
    set_automation_enabled(instance.storage, False)
    assert duty.tick() == []
    assert instance.storage.get_ticks(InstigatorType.AUTOMATION, AUTOMATION_NAME) == []

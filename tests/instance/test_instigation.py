"""The schedules and sensors duty: due ticks evaluated in the code location, recorded, their
runs queued exactly once — across ticks (run keys) and across a crash mid-tick."""

from __future__ import annotations

import pytest

from freshet.instance.instigation import InstigationDuty, set_status
from freshet.storage.records import RunsFilter, RunStatus
from freshet.storage.state_records import InstigatorStatus, InstigatorType, TickStatus

DEFS = """
import freshet as fr

@fr.asset
def table():
    return 1

job = fr.define_asset_job("load", selection="table")

@fr.schedule("*/10 * * * *", job=job, default_status="RUNNING")
def every_ten_minutes(context):
    return fr.RunRequest(tags={"at": context.scheduled_execution_time.isoformat()})

@fr.sensor(target="table", minimum_interval_seconds=30, default_status="RUNNING")
def same_key(context):
    return fr.RunRequest(run_key="only-once")

@fr.sensor(job=job, minimum_interval_seconds=30)
def switched_off(context):
    return fr.RunRequest()

@fr.sensor(job=job, minimum_interval_seconds=30)
def slow(context):
    import time
    time.sleep(5)
    return fr.RunRequest()

defs = fr.Definitions(
    assets=[table],
    jobs=[job],
    schedules=[every_ten_minutes],
    sensors=[same_key, switched_off, slow],
)
"""

T0 = 1_714_550_400.0  # 2024-05-01 08:00:00 UTC, on a ten-minute boundary


@pytest.fixture
def setup(hosted_location):
    instance, host = hosted_location(DEFS, "instigation_defs.py")
    duty = InstigationDuty(storage=instance.storage, host=host)
    yield instance, duty
    duty.close()


def _runs(instance, **tags):
    return instance.storage.get_runs(RunsFilter(statuses=[RunStatus.QUEUED], tags=tags or None))


def test_a_schedule_fires_each_tick_once_and_not_for_ticks_before_it_was_on(setup):
    instance, duty = setup
    duty.run_once(now=T0 + 5)  # first sight: starts counting from now
    assert _runs(instance, **{"freshet/schedule": "every_ten_minutes"}) == []
    [tick] = [t for t in duty.run_once(now=T0 + 605) if t.instigator_name == "every_ten_minutes"]
    assert tick.status is TickStatus.SUCCESS and len(tick.run_ids) == 1
    assert not [t for t in duty.run_once(now=T0 + 650) if t.instigator_name == "every_ten_minutes"]
    [run] = _runs(instance, **{"freshet/schedule": "every_ten_minutes"})
    assert run.tags["at"] == "2024-05-01T08:10:00+00:00"
    assert run.job_name == "load"


def test_a_run_key_is_queued_once_across_ticks_and_off_sensors_never_tick(setup):
    instance, duty = setup
    first = {t.instigator_name: t for t in duty.run_once(now=T0)}
    assert first["same_key"].status is TickStatus.SUCCESS
    assert "switched_off" not in first
    second = {t.instigator_name: t for t in duty.run_once(now=T0 + 31)}
    assert second["same_key"].status is TickStatus.SKIPPED
    [run] = _runs(instance, **{"freshet/sensor": "same_key"})
    assert run.tags["freshet/run_key"] == "only-once"
    assert run.selection == 'key:"table"'


def test_turning_a_sensor_on_is_stored_and_it_ticks(setup):
    instance, duty = setup
    set_status(instance.storage, InstigatorType.SENSOR, "switched_off", InstigatorStatus.RUNNING)
    ticks = {t.instigator_name: t for t in duty.run_once(now=T0)}
    assert ticks["switched_off"].status is TickStatus.SUCCESS
    set_status(instance.storage, InstigatorType.SENSOR, "same_key", InstigatorStatus.STOPPED)
    assert "same_key" not in {t.instigator_name for t in duty.run_once(now=T0 + 100)}


def test_a_crash_mid_tick_resumes_the_same_tick_without_queueing_twice(setup, monkeypatch):
    instance, duty = setup
    duty.run_once(now=T0 + 5)
    storage = instance.storage
    real_update = storage.update_tick
    crashed: list[int] = []

    # The schedule's tick is the one killed: the same_key sensor ticks concurrently in
    # another worker thread, and whichever reached update_tick first used to be the victim.
    def crash_once(tick_id, tick):
        if (
            tick.instigator_name == "every_ten_minutes"
            and tick.status is not TickStatus.STARTED
            and not crashed
        ):
            crashed.append(tick_id)
            raise KeyboardInterrupt("the daemon was killed here")
        return real_update(tick_id, tick)

    monkeypatch.setattr(storage, "update_tick", crash_once)
    with pytest.raises(KeyboardInterrupt):
        duty.run_once(now=T0 + 605)
    duty.close()
    monkeypatch.setattr(storage, "update_tick", real_update)
    assert len(crashed) == 1
    [queued_before_crash] = _runs(instance, **{"freshet/schedule": "every_ten_minutes"})
    duty.run_once(now=T0 + 606)  # restarted: the same 08:10 tick, the same run ids
    runs = _runs(instance, **{"freshet/schedule": "every_ten_minutes"})
    assert len(runs) == 1
    ticks = storage.get_ticks(InstigatorType.SCHEDULE, "every_ten_minutes")
    assert [t.tick.status for t in ticks] == [TickStatus.SUCCESS]
    assert [t.tick_id for t in ticks] == crashed
    assert list(ticks[0].tick.run_ids) == [queued_before_crash.run_id]


def test_a_sensor_running_past_its_timeout_is_a_failure_tick_and_others_go_on(setup):
    instance, duty = setup
    duty.tick_timeout = 1.0
    set_status(instance.storage, InstigatorType.SENSOR, "slow", InstigatorStatus.RUNNING)
    ticks = {t.instigator_name: t for t in duty.run_once(now=T0)}
    assert ticks["slow"].status is TickStatus.FAILURE
    assert "did not answer" in ticks["slow"].error
    assert ticks["same_key"].status is TickStatus.SUCCESS
    assert _runs(instance, **{"freshet/sensor": "slow"}) == []


def _berlin(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


@pytest.mark.parametrize(
    ("cron", "last", "now", "expected"),
    [
        # clocks go back on 2024-10-27: 02:30 happens twice, fires once
        ("30 2 * * *", "2024-10-27T02:30:00+02:00", "2024-10-27T02:40:00+01:00", None),
        # the next day fires as usual
        (
            "30 2 * * *",
            "2024-10-27T02:30:00+02:00",
            "2024-10-28T02:31:00+01:00",
            "2024-10-28T02:30:00+01:00",
        ),
        # clocks go forward on 2024-03-31: 02:30 does not exist, fires at 03:00 instead
        (
            "30 2 * * *",
            "2024-03-30T02:30:00+01:00",
            "2024-03-31T03:05:00+02:00",
            "2024-03-31T03:00:00+02:00",
        ),
        # an hourly schedule fires both 02:00 hours of the long night
        (
            "0 * * * *",
            "2024-10-27T02:00:00+02:00",
            "2024-10-27T02:05:00+01:00",
            "2024-10-27T02:00:00+01:00",
        ),
    ],
    ids=["fall-back-once", "next-day", "spring-forward", "hourly-both"],
)
@pytest.mark.parametrize("catchup", [1, 3], ids=["latest", "catch-up-3"])
def test_daylight_saving_transitions_fire_each_wall_clock_time_once(
    cron, last, now, expected, catchup
):
    from freshet.core.schedules import DefaultScheduleStatus
    from freshet.snapshot import ScheduleSnapshot
    from freshet.storage.state_records import InstigatorState

    schedule = ScheduleSnapshot(
        name="s",
        cron_schedule=cron,
        job_name="load",
        execution_timezone="Europe/Berlin",
        default_status=DefaultScheduleStatus.RUNNING,
    )
    state = InstigatorState(
        name="s",
        instigator_type=InstigatorType.SCHEDULE,
        status=InstigatorStatus.RUNNING,
        data={"last_tick_time": _berlin(last)},
    )
    duty = InstigationDuty(storage=None, host=None, max_catchup_ticks=catchup)
    due = duty._due_schedule_tick(schedule, state, _berlin(now))
    assert due == (None if expected is None else _berlin(expected))


def _hourly_after_downtime(max_catchup_ticks):
    """An hourly schedule last run at 10:00 UTC, the daemon back at 13:30: the ticks it runs,
    pass after pass."""
    from datetime import UTC, datetime

    from freshet.core.schedules import DefaultScheduleStatus
    from freshet.snapshot import ScheduleSnapshot
    from freshet.storage.state_records import InstigatorState

    def at(hour, minute=0):
        return datetime(2024, 5, 1, hour, minute, tzinfo=UTC).timestamp()

    schedule = ScheduleSnapshot(
        name="s",
        cron_schedule="0 * * * *",
        job_name="load",
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
    )
    duty = InstigationDuty(storage=None, host=None, max_catchup_ticks=max_catchup_ticks)
    last, fired = at(10), []
    while True:
        state = InstigatorState(
            name="s",
            instigator_type=InstigatorType.SCHEDULE,
            status=InstigatorStatus.RUNNING,
            data={"last_tick_time": last},
        )
        due = duty._due_schedule_tick(schedule, state, at(13, 30))
        if due is None:
            return [datetime.fromtimestamp(t, tz=UTC).hour for t in fired]
        fired.append(due)
        last = due


@pytest.mark.parametrize(
    ("max_catchup_ticks", "hours"),
    [(1, [13]), (2, [12, 13]), (3, [11, 12, 13]), (10, [11, 12, 13])],
    ids=["latest-only", "two", "all-three", "more-than-missed"],
)
def test_missed_schedule_ticks_catch_up_oldest_first_up_to_the_limit(max_catchup_ticks, hours):
    assert _hourly_after_downtime(max_catchup_ticks) == hours


def test_the_daemon_runs_missed_ticks_one_pass_each(setup):
    instance, duty = setup
    duty.max_catchup_ticks = 3
    duty.run_once(now=T0 + 5)  # first sight at 08:00; back an hour later: six ticks missed
    per_pass = []
    for second in range(3605, 3610):
        ticks = duty.run_once(now=T0 + second)
        per_pass.append(len([t for t in ticks if t.instigator_name == "every_ten_minutes"]))
    assert per_pass == [1, 1, 1, 0, 0]
    # the latest three, oldest first: 08:40, 08:50, 09:00
    runs = _runs(instance, **{"freshet/schedule": "every_ten_minutes"})
    assert sorted(r.tags["at"][11:16] for r in runs) == ["08:40", "08:50", "09:00"]

"""Ticks of schedules and sensors as the daemon asks for them: evaluated in the code location's
process with the instance at hand; run status and freshness sensors fire once per event."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

import freshet as fr
from freshet.core.sensors import SensorEvaluationError
from freshet.instance.sensor_ticks import tick_schedule, tick_sensor


@fr.asset
def raw():
    return 1


@fr.asset(freshness_policy=fr.FreshnessPolicy(60))
def report(raw):
    return raw + 1


raw_job = fr.define_asset_job("raw_job", selection="raw")


def test_a_schedule_tick_sees_its_time_in_its_timezone():
    @fr.schedule("0 6 * * *", job=raw_job, execution_timezone="Europe/Berlin")
    def morning(context):
        return fr.RunRequest(run_key=context.scheduled_execution_time.isoformat())

    defs = fr.Definitions(assets=[raw, report], jobs=[raw_job], schedules=[morning])
    when = datetime(2024, 5, 1, 4, tzinfo=UTC).timestamp()  # 06:00 in Berlin (CEST)
    [request] = tick_schedule(defs, "morning", when, fr.Instance.ephemeral()).run_requests
    assert request.run_key == "2024-05-01T06:00:00+02:00"


def test_run_failure_sensor_fires_once_per_failed_run_and_never_for_old_ones():
    instance = fr.Instance.ephemeral()

    @fr.asset
    def flaky():
        raise ValueError("boom")

    seen = []

    @fr.run_failure_sensor
    def on_failure(context):
        seen.append(context.run.run_id)

    defs = fr.Definitions(assets=[flaky], sensors=[on_failure])
    fr.materialize([flaky], instance=instance, raise_on_error=False)  # before the sensor ran
    first = tick_sensor(defs, "on_failure", cursor=None, instance=instance)
    assert seen == [] and first.skip_reason == "no run reached FAILURE"
    time.sleep(0.01)
    failed = fr.materialize([flaky], instance=instance, raise_on_error=False)
    second = tick_sensor(defs, "on_failure", cursor=first.cursor, instance=instance)
    assert seen == [failed.run_id]
    tick_sensor(defs, "on_failure", cursor=second.cursor, instance=instance)
    assert seen == [failed.run_id]


def test_freshness_sensor_fires_when_an_asset_becomes_late_and_when_it_recovers():
    instance = fr.Instance.ephemeral()
    events = []

    @fr.freshness_sensor
    def lateness(context):
        events.append((context.asset_key.to_user_string(), context.freshness.status.value))

    defs = fr.Definitions(assets=[raw, report], sensors=[lateness])
    fr.materialize(defs, instance=instance)
    now = time.time()
    first = tick_sensor(defs, "lateness", cursor=None, instance=instance, evaluation_time=now)
    assert events == [] and json.loads(first.cursor) == {"report": "on_time"}
    late = tick_sensor(
        defs, "lateness", cursor=first.cursor, instance=instance, evaluation_time=now + 7200
    )
    assert events == [("report", "late")]
    still = tick_sensor(
        defs, "lateness", cursor=late.cursor, instance=instance, evaluation_time=now + 7300
    )
    assert events == [("report", "late")] and still.skip_reason
    fr.materialize(defs, instance=instance)
    tick_sensor(
        defs, "lateness", cursor=still.cursor, instance=instance, evaluation_time=time.time()
    )
    assert events == [("report", "late"), ("report", "on_time")]


def test_a_sensor_returning_the_wrong_type_is_a_clear_error():
    @fr.sensor(job=raw_job)
    def wrong(context):
        return "run it"

    defs = fr.Definitions(assets=[raw], jobs=[raw_job], sensors=[wrong])
    with pytest.raises(SensorEvaluationError, match="sensor 'wrong' returned str"):
        tick_sensor(defs, "wrong", cursor=None, instance=fr.Instance.ephemeral())


def test_unknown_names_are_usage_errors():
    defs = fr.Definitions(assets=[raw])
    with pytest.raises(fr.FreshetError, match="no sensor named 'nope'"):
        tick_sensor(defs, "nope", cursor=None, instance=fr.Instance.ephemeral())
    with pytest.raises(fr.FreshetError, match="no schedule named 'nope'"):
        tick_schedule(defs, "nope", 0.0, fr.Instance.ephemeral())


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (fr.RunRequest(asset_selection=["nope"]), "requested unknown asset(s) nope"),
        (fr.RunRequest(job_name="other"), "requested job 'other', which is not in"),
        (fr.RunRequest(partition_key="2024-01-01"), "of a target that is not partitioned"),
    ],
    ids=["unknown-asset", "unknown-job", "partition-of-unpartitioned"],
)
def test_requests_naming_what_does_not_exist_fail_the_tick(request_, message):
    @fr.sensor(job=raw_job, name="asking")
    def asking(context):
        return request_

    defs = fr.Definitions(assets=[raw], jobs=[raw_job], sensors=[asking])
    with pytest.raises(SensorEvaluationError, match=r"sensor 'asking' .*" + message.split("(")[0]):
        tick_sensor(defs, "asking", cursor=None, instance=fr.Instance.ephemeral())


def test_a_partition_the_target_does_not_have_fails_the_tick():
    daily = fr.DailyPartitionsDefinition("2024-01-01", end_date="2024-02-01")

    @fr.asset(partitions_def=daily)
    def events(context):
        return 1

    @fr.sensor(target="events", name="backdated")
    def backdated(context):
        return fr.RunRequest(partition_key="2023-12-31")

    defs = fr.Definitions(assets=[events], sensors=[backdated])
    with pytest.raises(SensorEvaluationError, match=r"sensor 'backdated': .*2023-12-31"):
        tick_sensor(defs, "backdated", cursor=None, instance=fr.Instance.ephemeral())

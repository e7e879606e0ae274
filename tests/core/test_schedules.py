"""Schedules as users write and test them: ScheduleDefinition, @schedule with a context,
partitioned schedules, and direct invocation."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import freshet as fr
from freshet.core.sensors import SensorEvaluationError


@fr.asset
def report():
    return 1


report_job = fr.define_asset_job("report_job", selection="report")


def test_schedule_function_gets_the_scheduled_time():
    @fr.schedule("0 6 * * *", job=report_job, execution_timezone="Europe/Berlin")
    def morning(context):
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        return fr.RunRequest(run_key=day, tags={"day": day})

    context = fr.build_schedule_context(
        scheduled_execution_time=datetime(2024, 5, 1, 6, tzinfo=UTC)
    )
    request = morning(context)
    assert request.run_key == "2024-05-01"
    assert morning.name == "morning" and morning.job_name == "report_job"
    evaluation = morning.evaluate_tick(context)
    assert [r.run_key for r in evaluation.run_requests] == ["2024-05-01"]


def test_a_config_dict_is_a_run_request_and_a_skip_reason_skips():
    @fr.schedule("0 * * * *", job=report_job)
    def hourly(context):
        if context.scheduled_execution_time.hour == 3:
            return fr.SkipReason("maintenance window")
        return {"ops": {}}

    at = lambda hour: fr.build_schedule_context(datetime(2024, 5, 1, hour, tzinfo=UTC))  # noqa: E731
    assert hourly.evaluate_tick(at(3)).skip_reason == "maintenance window"
    [request] = hourly.evaluate_tick(at(4)).run_requests
    assert request.run_config == {"ops": {}}


def test_a_plain_schedule_requests_one_run_with_its_config_and_tags():
    plain = fr.ScheduleDefinition(job=report_job, cron_schedule="0 6 * * *", tags={"a": "b"})
    [request] = plain.evaluate_tick(fr.build_schedule_context()).run_requests
    assert request.tags == {"a": "b"}
    assert plain.name == "report_job_schedule"


def test_schedule_from_a_partitioned_job_requests_the_latest_complete_partition():
    daily = fr.DailyPartitionsDefinition("2024-01-01")

    @fr.asset(partitions_def=daily)
    def events(context):
        return context.partition_key

    job = fr.define_asset_job("events_job", selection="events", partitions_def=daily)
    built = fr.build_schedule_from_partitioned_job(job, hour_of_day=2)
    assert built.cron_schedule == "0 2 * * *"
    context = fr.build_schedule_context(datetime(2024, 5, 1, 2, tzinfo=UTC))
    [request] = built.evaluate_tick(context).run_requests
    assert request.partition_key == "2024-04-30"
    fr.Definitions(assets=[events], jobs=[job], schedules=[built])


def test_a_schedule_targeting_assets_is_checked_by_definitions():
    targeted = fr.ScheduleDefinition(name="nightly", target="report", cron_schedule="@daily")
    defs = fr.Definitions(assets=[report], schedules=[targeted])
    assert defs.get_schedule_def("nightly").target == "report"
    missing = fr.ScheduleDefinition(name="nightly", target="nope", cron_schedule="@daily")
    with pytest.raises(fr.DefinitionsError, match="schedule 'nightly': target"):
        fr.Definitions(assets=[report], schedules=[missing])


def test_wrong_return_types_name_the_schedule():
    @fr.schedule("@daily", job=report_job)
    def broken(context):
        return 7

    with pytest.raises(SensorEvaluationError, match="schedule 'broken' returned int"):
        broken.evaluate_tick(fr.build_schedule_context())


def test_job_or_target_is_required():
    with pytest.raises(fr.DefinitionsError, match=r"give job= .* or target="):
        fr.ScheduleDefinition(name="x", cron_schedule="@daily")

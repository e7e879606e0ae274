"""Sensors as users write and test them: decorators, direct invocation with a built context,
cursors, SensorResult, asset sensors, and the checks Definitions makes."""

from __future__ import annotations

import pytest

import freshet as fr
from freshet.core.sensors import SensorEvaluationError, SensorType, evaluate_sensor


@fr.asset
def files():
    return 1


load_files = fr.define_asset_job("load_files", selection="files")


def test_direct_invocation_with_a_built_context_returns_what_the_function_returns():
    @fr.sensor(job=load_files)
    def new_files(context):
        for name in ("a.csv", "b.csv"):
            if name > (context.cursor or ""):
                yield fr.RunRequest(run_key=name, tags={"file": name})

    requests = new_files(fr.build_sensor_context(cursor="a.csv"))
    assert [r.run_key for r in requests] == ["b.csv"]
    assert requests[0].tags == {"file": "b.csv"}
    assert new_files.name == "new_files" and new_files.job_name == "load_files"


def test_a_tick_keeps_the_cursor_the_function_set():
    @fr.sensor(job=load_files, minimum_interval_seconds=5)
    def counter(context):
        seen = int(context.cursor or 0)
        context.update_cursor(str(seen + 1))
        return fr.SkipReason(f"seen {seen}")

    result = evaluate_sensor(counter, fr.build_sensor_context(cursor="2"))
    assert result.cursor == "3" and result.cursor_updated
    assert result.skip_reason == "seen 2"
    assert result.run_requests == ()


def test_sensor_result_carries_requests_cursor_and_dynamic_partitions():
    @fr.sensor(job=load_files)
    def discover(context):
        return fr.SensorResult(
            run_requests=[fr.RunRequest(partition_key="x")],
            cursor="10",
            dynamic_partitions_requests=[fr.AddDynamicPartitionsRequest("regions", ["x"])],
        )

    result = evaluate_sensor(discover, fr.build_sensor_context())
    assert [r.partition_key for r in result.run_requests] == ["x"]
    assert result.cursor == "10"
    [added] = result.dynamic_partitions_requests
    assert (added.partitions_def_name, added.partition_keys) == ("regions", ("x",))
    assert type(result).from_json(result.to_json()) == result


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        (42, "sensor 'bad' returned int; return or yield RunRequest, SkipReason or SensorResult"),
        ([fr.RunRequest(), fr.SkipReason("no")], "both run requests and a SkipReason"),
        ({"ops": {}}, "returned dict"),
    ],
    ids=["int", "requests-and-skip", "config-dict"],
)
def test_a_sensor_returning_the_wrong_thing_is_a_clear_error(returned, message):
    @fr.sensor(job=load_files, name="bad")
    def bad(context):
        return returned

    with pytest.raises(SensorEvaluationError, match=message):
        evaluate_sensor(bad, fr.build_sensor_context())


def test_asset_sensor_fires_once_per_new_materialization():
    instance = fr.Instance.ephemeral()
    calls = []

    @fr.asset_sensor(asset_key="files", job=load_files)
    def on_files(context, event):
        calls.append(event.storage_id)
        return fr.RunRequest(run_key=str(event.storage_id))

    context = fr.build_sensor_context(instance=instance)
    assert evaluate_sensor(on_files, context).skip_reason == "no new materialization of files"
    fr.materialize([files], instance=instance)
    first = evaluate_sensor(on_files, fr.build_sensor_context(instance=instance))
    assert len(first.run_requests) == 1
    again = evaluate_sensor(
        on_files, fr.build_sensor_context(cursor=first.cursor, instance=instance)
    )
    assert again.run_requests == () and len(calls) == 1
    assert on_files.sensor_type is SensorType.ASSET


def test_context_without_an_instance_says_how_to_get_one():
    with pytest.raises(SensorEvaluationError, match="build_sensor_context\\(instance="):
        _ = fr.build_sensor_context().instance


def test_definitions_check_sensors():
    @fr.sensor(job="no_such_job")
    def lost(context):
        return None

    @fr.asset_sensor(asset_key="nope", job=load_files)
    def watching(context, event):
        return None

    with pytest.raises(fr.DefinitionsError) as caught:
        fr.Definitions(assets=[files], jobs=[load_files], sensors=[lost, watching, "x"])
    message = str(caught.value)
    assert "sensor 'lost' targets job 'no_such_job'" in message
    assert "sensor 'watching' watches asset 'nope'" in message
    assert "sensors: str is not a sensor" in message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minimum_interval_seconds": 0}, "minimum_interval_seconds must be between 1"),
        ({"default_status": "ON"}, "default_status must be RUNNING or STOPPED"),
        ({"job": load_files, "asset_selection": "files"}, "give one of job, target"),
    ],
    ids=["interval", "status", "two-targets"],
)
def test_bad_sensor_arguments_name_the_sensor(kwargs, message):
    with pytest.raises(fr.DefinitionsError, match=message):
        fr.sensor(name="s", **kwargs)(lambda context: None)


def test_run_status_sensor_names_valid_statuses():
    with pytest.raises(fr.DefinitionsError, match="run_status must be one of"):
        fr.run_status_sensor(run_status="DONE")(lambda context: None)
    on_success = fr.run_status_sensor(run_status=fr.RunStatus.SUCCESS, name="on_success")
    assert on_success(lambda context: None).run_statuses == ("SUCCESS",)


def test_a_bare_sensor_is_named_by_its_function_and_has_no_target():
    @fr.sensor
    def watch(context):
        return fr.SkipReason("nothing yet")

    assert isinstance(watch, fr.SensorDefinition)
    assert (watch.name, watch.job_name, watch.asset_selection) == ("watch", None, None)
    assert watch.sensor_type is SensorType.STANDARD
    assert evaluate_sensor(watch, fr.build_sensor_context()).skip_reason == "nothing yet"

"""Definitions validate everything at construction and name the objects involved."""

import re
import warnings

import pytest

import freshet as fr
from freshet.errors import (
    CycleError,
    DefinitionsError,
    DuplicateKeyError,
    MissingResourceError,
    UnknownDependencyError,
)


def _asset(name, deps=()):
    return fr.asset(name=name, deps=list(deps))(lambda: 1)


def test_valid_definitions_build_a_graph():
    defs = fr.Definitions(assets=[_asset("a"), _asset("b", ["a"])])
    graph = defs.get_asset_graph()
    assert graph.parents(fr.AssetKey("b")) == {fr.AssetKey("a")}
    assert graph.children(fr.AssetKey("a")) == {fr.AssetKey("b")}


def test_duplicate_key_names_both_definitions():
    with pytest.raises(DuplicateKeyError, match="'a' is defined twice"):
        fr.Definitions(assets=[_asset("a"), _asset("a")])


def test_cycle_is_named():
    with pytest.raises(CycleError) as info:
        fr.Definitions(assets=[_asset("a", ["c"]), _asset("b", ["a"]), _asset("c", ["b"])])
    message = str(info.value)
    assert "cycle" in message
    for name in "abc":
        assert name in message


def test_parameter_naming_no_asset_is_explained():
    @fr.asset
    def orders(customrs):
        return customrs

    with pytest.raises(UnknownDependencyError) as info:
        fr.Definitions(assets=[orders])
    message = str(info.value)
    assert "parameter 'customrs'" in message
    assert "AssetSpec('customrs')" in message


def test_dep_on_unknown_key_becomes_an_external_asset_with_a_warning():
    with pytest.warns(UserWarning, match="'lake/raw'.*taken as an external asset"):
        defs = fr.Definitions(assets=[_asset("a", ["lake/raw"])])
    external = defs.get_assets_def("lake/raw")
    assert not external.is_executable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fr.Definitions(assets=[_asset("a", ["lake/raw"]), fr.AssetSpec("lake/raw")])


def test_dep_on_a_near_miss_of_a_defined_key_suggests_it():
    with pytest.warns(UserWarning, match="did you mean 'orders'"):
        fr.Definitions(assets=[_asset("orders"), _asset("report", ["ordres"])])


def test_missing_resource_names_asset_and_key():
    @fr.asset(required_resource_keys=["warehouse"])
    def table():
        return 1

    with pytest.raises(MissingResourceError, match="'warehouse'"):
        fr.Definitions(assets=[table])
    fr.Definitions(assets=[table], resources={"warehouse": object()})


def test_every_problem_is_reported_at_once():
    with pytest.raises(DefinitionsError) as info:
        fr.Definitions(assets=[_asset("a"), _asset("a"), fr.asset(name="b")(lambda nope: 1)])
    assert "2 problems" in str(info.value)


def test_non_asset_in_assets_is_refused():
    with pytest.raises(DefinitionsError, match=r"assets\[0\] is a int"):
        fr.Definitions(assets=[3])


def test_merge_combines_definitions():
    merged = fr.Definitions.merge(
        fr.Definitions(assets=[_asset("a")]), fr.Definitions(assets=[_asset("b")])
    )
    assert merged.get_asset_graph().all_keys == {fr.AssetKey("a"), fr.AssetKey("b")}


def test_merge_provides_a_dep_that_one_of_the_definitions_took_as_external():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        downstream = fr.Definitions(assets=[_asset("b", ["a"])])
    assert not downstream.get_assets_def("a").is_executable
    merged = fr.Definitions.merge(downstream, fr.Definitions(assets=[_asset("a")]))
    assert merged.get_assets_def("a").is_executable
    assert merged.get_asset_graph().parents(fr.AssetKey("b")) == {fr.AssetKey("a")}


def test_asset_job_is_resolved_and_runs():
    a, b = _asset("a"), _asset("b", ["a"])
    defs = fr.Definitions(assets=[a, b], jobs=[fr.define_asset_job("only_a", selection="a")])
    result = defs.get_job_def("only_a").execute_in_process()
    assert result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [fr.AssetKey("a")]


def test_unknown_job_lists_known_jobs():
    defs = fr.Definitions(assets=[_asset("a")], jobs=[fr.define_asset_job("j", selection="*")])
    with pytest.raises(DefinitionsError, match=r"jobs: j"):
        defs.get_job_def("nope")


def test_asset_job_with_unknown_selection_is_refused():
    with pytest.raises(DefinitionsError, match="nope"):
        fr.Definitions(assets=[_asset("a")], jobs=[fr.define_asset_job("j", selection="nope")])


def test_bad_config_schema_is_refused():
    @fr.asset(config_schema={"limit": object()})
    def a():
        return 1

    with pytest.raises(DefinitionsError, match="config schema"):
        fr.Definitions(assets=[a])


def _job_defs(*schedules):
    return fr.Definitions(
        assets=[_asset("a")],
        jobs=[fr.define_asset_job("nightly", selection="*")],
        schedules=list(schedules),
    )


def test_schedule_with_valid_cron_is_accepted():
    defs = _job_defs(fr.ScheduleDefinition(job="nightly", cron_schedule="0 6 * * *"))
    assert defs.get_schedule_def("nightly_schedule").cron_schedule == "0 6 * * *"


@pytest.mark.parametrize(
    ("cron", "timezone", "expected"),
    [
        ("61 * * * *", "UTC", "invalid cron_schedule '61 * * * *'"),
        ("every day", "UTC", "invalid cron_schedule 'every day'"),
        ("0 0 6 * * *", "UTC", "write five fields"),
        ("0 6 * * *", "Mars/Olympus", "unknown execution_timezone 'Mars/Olympus'"),
    ],
    ids=["minute-out-of-range", "not-cron", "seconds-field", "bad-timezone"],
)
def test_schedule_with_bad_cron_or_timezone_is_refused(cron, timezone, expected):
    schedule = fr.ScheduleDefinition(
        name="s", job="nightly", cron_schedule=cron, execution_timezone=timezone
    )
    with pytest.raises(DefinitionsError, match="schedule 's'") as info:
        _job_defs(schedule)
    assert expected in str(info.value)


def test_schedule_for_unknown_job_is_refused():
    schedule = fr.ScheduleDefinition(job="weekly", cron_schedule="@daily")
    with pytest.raises(DefinitionsError, match="targets job 'weekly'"):
        _job_defs(schedule)


def _reads_external(name: str, supplied: tuple[fr.AssetSpec, ...]):
    import dataclasses

    @fr.multi_asset(name=name, specs=[fr.AssetSpec(f"{name}_out", deps=["app_events"])])
    def compute():
        yield fr.MaterializeResult(asset_key=f"{name}_out")

    return dataclasses.replace(compute, supplied_specs=supplied)


def test_supplied_specs_come_along_as_external_assets_once():
    spec = fr.AssetSpec("app_events", description="made by the app")
    defs = fr.Definitions(assets=[_reads_external("a", (spec,)), _reads_external("b", (spec,))])
    supplied = defs.get_assets_def("app_events")
    assert not supplied.is_executable
    assert supplied.specs[0].description == "made by the app"


def test_a_definition_given_for_a_supplied_key_replaces_the_supplied_spec():
    @fr.asset
    def app_events():
        return 1

    defs = fr.Definitions(assets=[_reads_external("a", (fr.AssetSpec("app_events"),)), app_events])
    assert defs.get_assets_def("app_events") is app_events


def test_a_cycle_is_reported_with_the_other_problems():
    @fr.asset(deps=["b"], required_resource_keys={"warehouse"})
    def a(context): ...

    @fr.asset(deps=["a"])
    def b(): ...

    @fr.asset
    def c(): ...

    @fr.asset(name="c")
    def c_again(): ...

    with pytest.raises(fr.DefinitionsError) as caught:
        fr.Definitions(assets=[a, b, c, c_again])
    message = str(caught.value)
    assert "3 problems" in message
    assert "asset 'c' is defined twice" in message
    assert "'warehouse'" in message
    assert "the asset graph has a cycle: a -> b -> a" in message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"executor": 42}, "Definitions(executor=...): 42 is not an executor"),
        ({"sensors": ["x"]}, "sensors: str is not a sensor"),
    ],
    ids=["executor-int", "sensor-str"],
)
def test_options_of_the_wrong_type_are_definitions_errors(kwargs, message):
    with pytest.raises(fr.DefinitionsError, match=re.escape(message)):
        fr.Definitions(assets=[], **kwargs)


def test_options_acted_on_give_no_warnings():
    @fr.asset(automation_condition=fr.AutomationCondition.eager())
    def watched(): ...

    job = fr.define_asset_job("all_job", selection="*")
    defs = fr.Definitions(assets=[watched], jobs=[job], executor=fr.multiprocess_executor)
    warnings = "\n".join(defs.warnings)
    assert "automation_condition" not in warnings  # the daemon acts on it
    assert "executor" not in warnings  # every executor is acted on
    assert defs.warnings == []


@pytest.mark.parametrize(
    "executor",
    [fr.in_process_executor, fr.multiprocess_executor(max_concurrent=2), fr.dask_executor],
    ids=["in-process", "multiprocess", "dask"],
)
def test_executors_and_plain_definitions_give_no_warning(executor):
    @fr.asset
    def plain(): ...

    assert fr.Definitions(assets=[plain], executor=executor).warnings == []

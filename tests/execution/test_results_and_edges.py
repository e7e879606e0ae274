"""What functions return (nothing, empty values, several assets in any order), resources and
config reaching the right place, and failures that must stay inside their step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import freshet as fr
from freshet.storage.records import EventType


def test_asset_returning_none_by_annotation_is_materialized_without_storage():
    @fr.asset
    def writes_elsewhere() -> None:
        return None

    result = fr.materialize([writes_elsewhere])
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        fr.AssetKey("writes_elsewhere")
    ]
    assert EventType.HANDLED_OUTPUT not in [e.event_type for e in result.all_events]


def test_op_returning_nothing_orders_a_nothing_input():
    order = []

    @fr.op
    def notify() -> None:
        order.append("notify")

    @fr.op(ins={"after": fr.In(fr.Nothing)})
    def then():
        order.append("then")

    @fr.job
    def j():
        then(after=notify())

    assert j.execute_in_process().success
    assert order == ["notify", "then"]


def test_asset_returning_an_empty_list_stores_it():
    @fr.asset
    def rows():
        return []

    assert fr.materialize([rows]).asset_value("rows") == []


def test_multi_asset_results_in_any_order_get_correct_provenance():
    @fr.multi_asset(specs=[fr.AssetSpec("stg"), fr.AssetSpec("mart", deps=["stg"])])
    def build():
        yield fr.MaterializeResult(asset_key="mart")
        yield fr.MaterializeResult(asset_key="stg")

    instance = fr.Instance.ephemeral()
    result = fr.materialize([build], instance=instance)
    mats = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    assert mats["mart"].provenance[0]["data_version"] == mats["stg"].data_version
    statuses = fr.get_asset_statuses(fr.Definitions(assets=[build]), instance)
    assert {s.status for s in statuses.values()} == {fr.StaleStatus.UP_TO_DATE}


def test_generator_and_output_annotations_do_not_type_check_the_wrapper():
    @fr.asset
    def yielded() -> Iterator[fr.Output]:
        yield fr.Output(1)

    @fr.asset
    def wrapped() -> fr.Output[int]:
        return fr.Output(1)

    @fr.asset
    def wrong() -> fr.Output[int]:
        return fr.Output("x")

    result = fr.materialize([yielded, wrapped, wrong], raise_on_error=False)
    assert result.step_outcomes == {"yielded": "SUCCESS", "wrapped": "SUCCESS", "wrong": "FAILURE"}


def test_bad_check_result_fails_only_its_step():
    @fr.asset(check_specs=[fr.AssetCheckSpec("c", asset="a")])
    def a():
        yield fr.Output(1)
        yield fr.AssetCheckResult(passed=True, metadata={"bad": object()})

    result = fr.materialize([a], raise_on_error=False)
    assert not result.success
    assert "metadata" in result.get_step_failure_events()[0].message


def test_failed_blocking_check_does_not_skip_the_assets_other_checks():
    @fr.asset
    def a():
        return 1

    @fr.asset_check(asset=a, blocking=True)
    def strict():
        return fr.AssetCheckResult(passed=False)

    @fr.asset_check(asset=a)
    def lenient():
        return fr.AssetCheckResult(passed=True)

    result = fr.materialize(
        fr.Definitions(assets=[a], asset_checks=[strict, lenient]), raise_on_error=False
    )
    assert {e.check_name for e in result.get_asset_check_evaluations()} == {"strict", "lenient"}


def test_op_job_in_definitions_gets_the_definitions_resources():
    @fr.op(required_resource_keys=["db"])
    def query(context):
        return context.resources.db

    @fr.job
    def j():
        query()

    defs = fr.Definitions(jobs=[j], resources={"db": "postgres://"})
    assert defs.get_job_def("j").execute_in_process().output_for_node("query") == "postgres://"


def test_merged_definitions_resolve_asset_jobs_against_the_whole_graph():
    a = fr.asset(name="a")(lambda: 1)
    b = fr.asset(name="b")(lambda: 2)
    first = fr.Definitions(assets=[a], jobs=[fr.define_asset_job("all", "*")], resources={"n": 5})
    merged = fr.Definitions.merge(first, fr.Definitions(assets=[b], resources={"n": 5}))
    result = merged.get_job_def("all").execute_in_process()
    assert {m.asset_key for m in result.get_asset_materialization_events()} == {
        fr.AssetKey("a"),
        fr.AssetKey("b"),
    }


def test_graph_asset_ops_get_their_own_config():
    class N(fr.Config):
        n: int

    @fr.op
    def make(context, config: N):
        return context.op_config.n + config.n

    @fr.graph_asset
    def made():
        return make()

    result = fr.materialize([made], run_config={"ops": {"make": {"config": {"n": 3}}}})
    assert result.asset_value("made") == 6


def test_materialize_to_memory_replaces_every_io_manager():
    @fr.asset(io_manager_key="lake")
    def stored():
        return 3

    assert fr.materialize_to_memory([stored]).asset_value("stored") == 3


def test_local_config_class_with_postponed_annotations_is_recognised():
    class Local(fr.Config):
        n: int = 4

    @fr.asset
    def uses(config: Local):
        return config.n

    assert fr.materialize([uses]).asset_value("uses") == 4


def test_numbered_node_names_skip_names_already_taken():
    @fr.op
    def x():
        return 1

    @fr.op(name="x_2")
    def other():
        return 2

    @fr.graph
    def g():
        other()
        x()
        x()

    assert sorted(g.nodes) == ["x", "x_2", "x_3"]


def test_graph_with_inputs_cannot_become_a_job():
    @fr.op
    def inc(v):
        return v + 1

    @fr.graph
    def g(v):
        return inc(v)

    with pytest.raises(fr.FreshetError, match="has inputs"):
        g.to_job()


def test_duplicate_check_between_spec_and_check_function_is_refused():
    @fr.asset(check_specs=[fr.AssetCheckSpec("not_empty", asset="a")])
    def a():
        yield fr.Output(1)
        yield fr.AssetCheckResult(passed=True)

    @fr.asset_check(asset=a)
    def not_empty():
        return fr.AssetCheckResult(passed=True)

    with pytest.raises(fr.DefinitionsError, match="defined twice"):
        fr.Definitions(assets=[a], asset_checks=[not_empty])


def test_deps_on_a_multi_asset_mean_each_of_its_assets():
    @fr.multi_asset(specs=[fr.AssetSpec("x"), fr.AssetSpec("y")])
    def xy():
        yield fr.MaterializeResult(asset_key="x")
        yield fr.MaterializeResult(asset_key="y")

    @fr.asset(deps=[xy])
    def z():
        return 1

    assert set(z.specs[0].dep_keys) == {fr.AssetKey("x"), fr.AssetKey("y")}


def test_unnamed_metadata_in_a_multi_output_step_is_an_error():
    @fr.multi_asset(specs=[fr.AssetSpec("x"), fr.AssetSpec("y")])
    def xy(context):
        context.add_output_metadata({"rows": 1})
        yield fr.MaterializeResult(asset_key="x")
        yield fr.MaterializeResult(asset_key="y")

    result = fr.materialize([xy], raise_on_error=False)
    assert "name the one the metadata is for" in result.get_step_failure_events()[0].message


def test_resource_that_fails_to_start_skips_every_step_with_a_clear_error():
    @fr.resource
    def broken(_):
        raise ConnectionError("db down")

    @fr.asset(required_resource_keys=["db"])
    def a():
        return 1

    with pytest.raises(fr.ExecutionError, match="resource 'db' failed to initialise"):
        fr.materialize([a], resources={"db": broken})
    result = fr.materialize([a], resources={"db": broken}, raise_on_error=False)
    skipped = [e.step_key for e in result.all_events if e.event_type is EventType.STEP_SKIPPED]
    assert skipped == ["a"]
    assert result.step_outcomes == {"a": "SKIPPED"}


def test_status_selection_without_an_instance_says_to_pass_one():
    a = fr.asset(name="a")(lambda: 1)
    with pytest.raises(fr.SelectionError, match="pass instance="):
        fr.materialize([a], selection="status:missing")

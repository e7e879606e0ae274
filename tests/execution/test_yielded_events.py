"""Generator functions: what they yield is recorded as it was meant (outputs, results,
reported events), a bad yielded value fails the step clearly, an error after yielding keeps
what was yielded, and every step that starts also ends."""

from __future__ import annotations

import asyncio

import pytest

import freshet as fr
from freshet.storage.records import EventType


def _types(result, step_key):
    return [e.event_type for e in result.all_events if e.step_key == step_key]


def test_asset_generator_yielding_output_stores_the_value():
    @fr.asset
    def numbers():
        yield fr.Output([1, 2, 3], metadata={"count": 3})

    result = fr.materialize([numbers])
    assert result.success
    assert result.asset_value("numbers") == [1, 2, 3]
    [mat] = result.get_asset_materialization_events()
    assert mat.metadata["count"].value == 3


def test_asset_returning_a_generator_is_drained_like_a_generator_function():
    @fr.asset
    def lazily():
        return (item for item in [fr.Output("x")])

    assert fr.materialize([lazily]).asset_value("lazily") == "x"


def test_yielding_a_plain_value_fails_the_step_with_a_clear_error_and_closes_it():
    @fr.asset
    def bare():
        yield 5

    result = fr.materialize([bare], raise_on_error=False)
    assert not result.success
    assert _types(result, "bare")[-1] is EventType.STEP_FAILURE
    [failure] = [e for e in result.all_events if e.event_type is EventType.STEP_FAILURE]
    assert "yielded a int (5)" in failure.message
    assert "Output(value" in failure.message


def test_an_error_after_yielding_keeps_what_was_yielded_and_fails_the_step():
    @fr.multi_asset(specs=[fr.AssetSpec("first"), fr.AssetSpec("second")])
    def two():
        yield fr.MaterializeResult("first", metadata={"rows": 1})
        yield fr.AssetMaterialization("elsewhere/table")
        raise RuntimeError("lost the connection")

    instance = fr.Instance.ephemeral()
    result = fr.materialize([two], instance=instance, raise_on_error=False)
    assert not result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        fr.AssetKey(["elsewhere", "table"]),
        fr.AssetKey("first"),
    ]
    assert _types(result, "two")[-1] is EventType.STEP_FAILURE
    [failure] = [e for e in result.all_events if e.event_type is EventType.STEP_FAILURE]
    assert "lost the connection" in failure.message
    # the yielded materialization is in the asset's history
    assert instance.get_latest_materialization(fr.AssetKey("first")) is not None


def test_op_reports_materializations_observations_and_expectations():
    @fr.op
    def load(context):
        context.log_event(fr.AssetMaterialization("warehouse/orders", metadata={"rows": 10}))
        yield fr.AssetObservation("warehouse/customers", data_version="v7")
        yield fr.ExpectationResult(success=False, label="no_nulls", description="3 nulls")
        yield fr.Output(10)

    @fr.job
    def nightly():
        load()

    instance = fr.Instance.ephemeral()
    result = nightly.execute_in_process(instance=instance)
    assert result.success
    types = _types(result, "load")
    assert EventType.ASSET_MATERIALIZATION in types
    assert EventType.ASSET_OBSERVATION in types
    [expectation] = [
        e for e in result.all_events if e.event_type is EventType.STEP_EXPECTATION_RESULT
    ]
    assert expectation.data["success"] is False
    assert expectation.data["label"] == "no_nulls"
    [observation] = [e for e in result.all_events if e.event_type is EventType.ASSET_OBSERVATION]
    assert observation.data["data_version"] == "v7"
    latest = instance.get_latest_materialization(fr.AssetKey(["warehouse", "orders"]))
    assert latest is not None
    assert latest.event.data["metadata"]["rows"]["value"] == 10


def test_log_event_in_a_unit_test_keeps_the_events():
    @fr.op
    def report(context):
        context.log_event(fr.AssetMaterialization("t"))
        return 1

    context = fr.build_op_context()
    assert report(context) == 1
    assert [e.asset_key for e in context.get_events()] == [fr.AssetKey("t")]


def test_log_event_refuses_other_values():
    context = fr.build_op_context()
    with pytest.raises(fr.FreshetError, match="log_event takes an AssetMaterialization"):
        context.log_event(fr.Output(1))


def test_async_assets_and_async_generators_are_awaited():
    @fr.asset
    async def fetched():
        await asyncio.sleep(0)
        return 4

    @fr.asset
    async def streamed(fetched):
        await asyncio.sleep(0)
        yield fr.Output(fetched + 1)

    result = fr.materialize_to_memory([fetched, streamed])
    assert result.success
    assert result.output_for_node("streamed") == 5


def test_materialize_result_takes_the_asset_key_positionally():
    assert fr.MaterializeResult("a/b").asset_key == fr.AssetKey(["a", "b"])


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: fr.ExpectationResult("yes"), "success must be True or False"),
        (lambda: fr.AssetMaterialization("t", partition=3), "partition must be a string"),
        (lambda: fr.AssetObservation("t", metadata=[1]), "metadata must be a mapping"),
    ],
    ids=["expectation-success", "materialization-partition", "observation-metadata"],
)
def test_reported_events_validate_their_arguments(build, match):
    with pytest.raises(fr.FreshetError, match=match):
        build()


def test_a_fault_in_freshet_itself_still_closes_the_step_with_a_failure(monkeypatch):
    import freshet.execution.step as step_module

    def broken_handler(*args, **kwargs):
        raise AttributeError("simulated framework fault")

    monkeypatch.setattr(step_module, "handle_results", broken_handler)

    @fr.asset
    def fine():
        return 1

    result = fr.materialize([fine], raise_on_error=False)
    assert not result.success
    assert _types(result, "fine")[-1] is EventType.STEP_FAILURE
    [failure] = result.get_step_failure_events()
    assert "internal error in freshet while running fine" in failure.message
    assert "simulated framework fault" in failure.message

"""Graphs run directly, graphs nested in graphs, retry policies set per job or per op, and
what a run result and a step context tell a test."""

from __future__ import annotations

import pytest

import freshet as fr
from freshet.storage.records import EventType


@fr.op
def one():
    return 1


@fr.op
def add_one(value):
    return value + 1


@fr.graph
def plus_two(value):
    return add_one.alias("second")(add_one(value))


def test_a_graph_executes_in_process():
    @fr.graph
    def simple():
        add_one(one())

    result = simple.execute_in_process()
    assert result.success
    assert result.output_for_node("add_one") == 2
    assert [e.step_key for e in result.get_step_success_events()] == ["one", "add_one"]


def test_a_graph_nested_in_a_job_runs_its_ops_under_its_name():
    @fr.job
    def nested():
        plus_two(one())

    result = nested.execute_in_process()
    assert result.success
    assert result.output_for_node("plus_two.second") == 3
    assert result.is_node_success("plus_two.add_one")
    assert {e.event_type for e in result.events_for_node("plus_two.second")} >= {
        EventType.STEP_START,
        EventType.STEP_SUCCESS,
    }


def test_nested_graph_ops_take_config_nested_or_by_full_name():
    @fr.op(config_schema={"n": int})
    def scaled(context, value):
        return value * context.op_config["n"]

    @fr.graph
    def scale(value):
        return scaled(value)

    @fr.job
    def scaling():
        scale(one())

    nested = {"ops": {"scale": {"ops": {"scaled": {"config": {"n": 5}}}}}}
    assert scaling.execute_in_process(run_config=nested).output_for_node("scale.scaled") == 5
    flat = {"ops": {"scale.scaled": {"config": {"n": 7}}}}
    assert scaling.execute_in_process(run_config=flat).output_for_node("scale.scaled") == 7


def test_a_graph_called_outside_a_composition_says_how_to_run_it():
    with pytest.raises(fr.DefinitionsError, match="execute_in_process"):
        plus_two(1)


def test_nested_graph_missing_an_input_is_refused():
    with pytest.raises(fr.DefinitionsError, match="no value for input"):

        @fr.job
        def broken():
            plus_two()


def test_job_op_retry_policy_applies_to_ops_without_their_own():
    attempts = {"flaky": 0, "strict": 0}

    @fr.op
    def flaky():
        attempts["flaky"] += 1
        if attempts["flaky"] < 3:
            raise RuntimeError("try again")
        return "ok"

    @fr.op(retry_policy=fr.RetryPolicy(max_retries=0))
    def strict():
        attempts["strict"] += 1
        raise RuntimeError("never")

    @fr.job(op_retry_policy=fr.RetryPolicy(max_retries=3))
    def retrying():
        flaky()
        strict()

    result = retrying.execute_in_process(raise_on_error=False)
    assert result.is_node_success("flaky")
    assert result.is_node_failed("strict")
    assert attempts == {"flaky": 3, "strict": 1}
    assert result.get_failed_step_keys() == {"strict"}


def test_op_with_retry_policy_is_a_copy():
    policy = fr.RetryPolicy(max_retries=2)
    retried = one.with_retry_policy(policy)
    assert retried.retry_policy is policy
    assert one.retry_policy is None
    with pytest.raises(fr.DefinitionsError, match="takes a RetryPolicy"):
        one.with_retry_policy(2)


def test_context_run_and_multi_partition_key():
    seen = {}
    partitions = fr.MultiPartitionsDefinition(
        {
            "date": fr.DailyPartitionsDefinition("2024-01-01"),
            "region": fr.StaticPartitionsDefinition(["eu", "us"]),
        }
    )

    @fr.asset(partitions_def=partitions)
    def sales(context):
        seen["run"] = (context.run.run_id, dict(context.run.tags))
        seen["key"] = dict(context.multi_partition_key.keys_by_dimension)
        return 1

    key = fr.MultiPartitionKey({"date": "2024-01-02", "region": "eu"})
    result = fr.materialize([sales], partition_key=key, tags={"team": "data"})
    assert seen["run"][0] == result.run_id
    assert seen["run"][1]["team"] == "data"
    assert seen["key"] == {"date": "2024-01-02", "region": "eu"}


def test_events_say_what_they_are():
    result = fr.materialize([fr.asset(lambda: 1, name="x")])
    [success] = result.get_step_success_events()
    assert success.is_step_success and not success.is_step_failure
    assert success.event_type_value == "STEP_SUCCESS"


def test_graph_inputs_given_as_input_values_and_graph_outputs_read_back():
    result = plus_two.execute_in_process(input_values={"value": 5})
    assert result.success
    assert result.output_value() == 7
    assert result.output_for_node("second") == 7


def test_input_values_must_match_the_graph_inputs():
    with pytest.raises(fr.FreshetError, match=r"no value for input\(s\) value"):
        plus_two.execute_in_process()
    with pytest.raises(fr.FreshetError, match=r"unknown input\(s\) other"):
        plus_two.execute_in_process(input_values={"value": 1, "other": 2})


def test_output_value_names_the_outputs_a_job_has():
    @fr.job
    def no_outputs():
        one()

    with pytest.raises(fr.FreshetError, match="no output 'result'"):
        no_outputs.execute_in_process().output_value()

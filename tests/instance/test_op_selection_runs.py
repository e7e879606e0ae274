"""`JobDefinition.execute_in_process(op_selection=[...])`: only the selected ops run; an
input whose op is not selected comes from run config `inputs` or its default, and the run
fails before anything runs when nothing gives it."""

from __future__ import annotations

import pytest

import freshet as fr
from freshet.errors import ConfigError, SelectionError, UsageError
from freshet.instance.instance import Instance

calls: list[str] = []


@fr.op
def extract():
    calls.append("extract")
    return 2


@fr.op
def transform(x):
    calls.append("transform")
    return x * 10


@fr.op
def load(y, offset=1):
    calls.append("load")
    return y + offset


@fr.job
def etl():
    load(transform(extract()))


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    calls.clear()


def test_only_the_selected_ops_run() -> None:
    result = etl.execute_in_process(
        op_selection=["transform*"], run_config={"ops": {"transform": {"inputs": {"x": 4}}}}
    )
    assert result.success
    assert calls == ["transform", "load"]
    assert result.output_for_node("load") == 41


def test_an_input_may_be_given_in_the_value_form() -> None:
    result = etl.execute_in_process(
        op_selection=["load"], run_config={"ops": {"load": {"inputs": {"y": {"value": 5}}}}}
    )
    assert result.output_for_node("load") == 6


def test_a_default_gives_an_input_whose_op_is_not_selected() -> None:
    @fr.op
    def first():
        return 100

    @fr.op
    def second(x=7):
        return x + 1

    @fr.job
    def two():
        second(first())

    result = two.execute_in_process(op_selection=["second"])
    assert result.output_for_node("second") == 8


def test_an_unfed_input_fails_before_anything_runs_naming_op_and_input() -> None:
    with Instance.ephemeral() as instance:
        with pytest.raises(UsageError) as info:
            etl.execute_in_process(op_selection=["transform+"], instance=instance)
        assert instance.storage.get_runs() == []
    assert calls == []
    message = str(info.value)
    assert "op 'transform' input 'x' comes from extract" in message
    assert "ops.transform.inputs.x" in message


def test_config_inputs_for_an_input_an_op_of_the_run_feeds_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"ops\.load\.inputs\.y: this input is wired"):
        etl.execute_in_process(run_config={"ops": {"load": {"inputs": {"y": 1}}}})


def test_config_inputs_for_an_unknown_input_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"ops\.load\.inputs\.z: op 'load' has no input 'z'"):
        etl.execute_in_process(
            op_selection=["load"], run_config={"ops": {"load": {"inputs": {"y": 1, "z": 2}}}}
        )


def test_unknown_op_names_are_a_selection_error_with_near_names() -> None:
    with pytest.raises(SelectionError, match=r"'transfrom' matches no op .*did you mean transform"):
        etl.execute_in_process(op_selection=["transfrom"])
    assert calls == []


def test_op_selection_of_an_asset_job_is_refused() -> None:
    @fr.asset
    def thing():
        return 1

    job = fr.Definitions(
        assets=[thing], jobs=[fr.define_asset_job("things", selection="*")]
    ).get_job_def("things")
    with pytest.raises(UsageError, match="is an asset job"):
        job.execute_in_process(op_selection=["thing"])


def test_a_selected_op_inside_a_nested_graph_runs_alone() -> None:
    @fr.graph
    def middle(x):
        return transform(x)

    @fr.job
    def nested():
        load(middle(extract()))

    result = nested.execute_in_process(
        op_selection=["middle.transform"],
        run_config={"ops": {"middle.transform": {"inputs": {"x": 3}}}},
    )
    assert result.success
    assert calls == ["transform"]
    assert result.output_for_node("middle.transform") == 30


def test_selecting_a_mapped_op_runs_its_whole_fan_out() -> None:
    @fr.op(out=fr.DynamicOut())
    def split():
        calls.append("split")
        for i in range(3):
            yield fr.DynamicOutput(i, mapping_key=f"k{i}")

    @fr.op
    def square(x):
        calls.append("square")
        return x * x

    @fr.op
    def total(values):
        calls.append("total")
        return sum(values)

    @fr.job
    def fan():
        total(split().map(square).collect())

    result = fan.execute_in_process(op_selection=["square"])
    assert result.success
    assert calls == ["split", "square", "square", "square"]


@fr.op(config_schema={"n": int})
def configured(context):
    calls.append("configured")
    return context.op_config["n"]


@fr.job
def configured_etl():
    transform(configured())


def test_config_of_an_op_left_out_is_checked_and_ignored() -> None:
    given = {"ops": {"configured": {"config": {"n": 3}}, "transform": {"inputs": {"x": 4}}}}
    result = configured_etl.execute_in_process(op_selection=["transform"], run_config=given)
    assert result.success and calls == ["transform"]
    assert result.output_for_node("transform") == 40

    given["ops"]["configured"] = {"config": {"n": "three"}}
    with pytest.raises(ConfigError, match=r"ops\.configured\.config\.n"):
        configured_etl.execute_in_process(op_selection=["transform"], run_config=given)
    given["ops"]["configured"] = {"config": {"n": 3}, "inputs": {"nope": 1}}
    with pytest.raises(ConfigError, match=r"ops\.configured\.inputs\.nope: op 'configured'"):
        configured_etl.execute_in_process(op_selection=["transform"], run_config=given)
    given["ops"] = {"nowhere": {"config": {}}, "transform": {"inputs": {"x": 4}}}
    with pytest.raises(ConfigError, match=r"known: configured, transform"):
        configured_etl.execute_in_process(op_selection=["transform"], run_config=given)
    assert calls == ["transform"]  # nothing ran


@fr.op
def total(values=(100,)):
    calls.append("total")
    return sum(values)


@fr.job
def gather():
    total([extract.alias("left")(), extract.alias("right")()])


def test_a_fan_in_whose_producers_are_only_partly_selected_is_refused_before_anything_runs():
    with pytest.raises(UsageError, match=r"this run does not execute left: select it too"):
        gather.execute_in_process(op_selection=["right", "total"])
    assert calls == []
    # with none of its producers selected, the default (or config) gives the whole list
    assert gather.execute_in_process(op_selection=["total"]).output_for_node("total") == 100
    both = gather.execute_in_process(op_selection=["*total"])
    assert both.output_for_node("total") == 4


class _Tens(fr.IOManager):
    """An input manager that gives the fan-in list itself, whoever made its items."""

    def handle_output(self, context, obj):
        raise AssertionError("loads only")

    def load_input(self, context):
        return [10, 10]


@fr.op(ins={"values": fr.In(input_manager_key="tens")})
def managed_total(values):
    calls.append("managed_total")
    return sum(values)


@fr.job(resource_defs={"tens": _Tens()})
def managed_gather():
    managed_total([extract.alias("left")(), extract.alias("right")()])


def test_a_fan_in_loaded_by_an_input_manager_runs_whatever_is_selected():
    result = managed_gather.execute_in_process(op_selection=["right", "managed_total"])
    assert result.success and set(result.step_outcomes) == {"right", "managed_total"}
    assert calls == ["extract", "managed_total"]  # `right` is an alias of extract
    assert result.output_for_node("managed_total") == 20

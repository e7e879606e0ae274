"""@op, @graph and @job: composing ops by calling them."""

import pytest

import freshet as fr
from freshet.errors import InvalidDefinitionError


@fr.op
def one():
    return 1


@fr.op
def plus(x, y=1):
    return x + y


def test_repeated_invocations_get_numbered_node_names():
    @fr.graph
    def chain():
        return plus(plus(plus(one())))

    assert list(chain.nodes) == ["one", "plus", "plus_2", "plus_3"]


def test_alias_names_a_node():
    @fr.graph
    def g():
        return plus.alias("add_one")(one())

    assert "add_one" in g.nodes


def test_job_runs_in_process():
    @fr.job
    def count():
        plus(plus(one()))

    result = count.execute_in_process()
    assert result.success
    assert result.output_for_node("plus_2") == 3


def test_nothing_input_orders_without_a_value():
    calls = []

    @fr.op
    def first():
        calls.append("first")

    @fr.op(ins={"after": fr.In(fr.Nothing)})
    def second():
        calls.append("second")

    @fr.job
    def ordered():
        second(after=first())

    assert ordered.execute_in_process().success
    assert calls == ["first", "second"]


def test_dynamic_out_fans_out_and_collects():
    @fr.op(out=fr.DynamicOut())
    def split():
        for i in range(3):
            yield fr.DynamicOutput(i, mapping_key=f"k{i}")

    @fr.op
    def square(x):
        return x * x

    @fr.op
    def total(values):
        return sum(values)

    @fr.job
    def fan():
        total(split().map(square).collect())

    result = fan.execute_in_process()
    assert result.success
    assert result.output_for_node("total") == 0 + 1 + 4


def test_a_mapped_output_maps_again_over_the_same_keys():
    @fr.op(out=fr.DynamicOut())
    def split():
        for i in (3, 1, 2):
            yield fr.DynamicOutput(i, mapping_key=f"k{i}")

    @fr.op
    def square(x):
        return x * x

    @fr.op
    def plus_one(x):
        return x + 1

    @fr.op
    def listing(values):
        return values

    @fr.job
    def fan():
        listing(split().map(square).map(plus_one).collect())

    result = fan.execute_in_process()
    assert result.success
    assert result.output_for_node("listing") == [10, 2, 5]


def test_only_mapped_outputs_map_again():
    @fr.op
    def one():
        return 1

    @fr.op
    def square(x):
        return x * x

    with pytest.raises(InvalidDefinitionError, match=r"map\(\) on one.result: only a DynamicOut"):

        @fr.job
        def plain():
            one().map(square)


def test_multiple_outputs_return_a_tuple():
    @fr.op(out={"a": fr.Out(), "b": fr.Out()})
    def pair():
        return 1, 2

    @fr.op
    def add(x, y):
        return x + y

    @fr.job
    def j():
        a, b = pair()
        add(a, b)

    assert j.execute_in_process().output_for_node("add") == 3


def test_too_many_positional_inputs_is_a_clear_error():
    with pytest.raises(InvalidDefinitionError, match="positional inputs"):

        @fr.graph
        def bad():
            one(one())


def test_op_config_is_validated_and_passed():
    class Cfg(fr.Config):
        n: int

    @fr.op
    def configured(config: Cfg):
        return config.n

    @fr.job
    def j():
        configured()

    result = j.execute_in_process(run_config={"ops": {"configured": {"config": {"n": 5}}}})
    assert result.output_for_node("configured") == 5
    with pytest.raises(fr.ConfigError, match=r"ops\.configured\.config\.n"):
        j.execute_in_process(run_config={"ops": {"configured": {"config": {"n": "five"}}}})

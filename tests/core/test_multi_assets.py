"""Multi-assets declared with `outs={name: AssetOut(...)}` and graph multi-assets: output
names, asset keys, IO managers per out, optional outs, and the spec helpers users call."""

from __future__ import annotations

import pytest

import freshet as fr


def test_outs_name_the_outputs_and_default_the_asset_keys():
    @fr.multi_asset(outs={"orders": fr.AssetOut(), "refunds": fr.AssetOut(key_prefix="finance")})
    def split():
        return [1, 2], [3]

    assert split.keys == (fr.AssetKey("orders"), fr.AssetKey(["finance", "refunds"]))
    assert split.keys_by_output == {
        "orders": fr.AssetKey("orders"),
        "refunds": fr.AssetKey(["finance", "refunds"]),
    }
    result = fr.materialize_to_memory([split])
    assert result.success
    assert result.asset_value("orders") == [1, 2]
    assert result.asset_value(["finance", "refunds"]) == [3]


def test_yielded_outputs_by_name_and_a_downstream_asset_reading_one_of_them():
    @fr.multi_asset(outs={"a": fr.AssetOut(), "b": fr.AssetOut(key=["other", "b"], group_name="g")})
    def both():
        yield fr.Output(1, output_name="a")
        yield fr.Output(2, output_name="b")

    @fr.asset(ins={"b": fr.AssetIn(key=["other", "b"])})
    def total(a, b):
        return a + b

    result = fr.materialize_to_memory([both, total])
    assert result.asset_value("total") == 3
    assert both.get_asset_spec(["other", "b"]).group_name == "g"


def test_each_out_uses_its_own_io_manager():
    stored = {}

    class Recording(fr.IOManager):
        def handle_output(self, context, obj):
            stored[context.asset_key] = obj

        def load_input(self, context):  # pragma: no cover - not loaded here
            raise AssertionError

    @fr.multi_asset(outs={"kept": fr.AssetOut(io_manager_key="rec"), "plain": fr.AssetOut()})
    def two():
        return "k", "p"

    result = fr.materialize([two], resources={"rec": Recording()})
    assert result.success
    assert stored == {fr.AssetKey("kept"): "k"}


def test_an_optional_out_may_be_left_out():
    @fr.multi_asset(outs={"always": fr.AssetOut(), "sometimes": fr.AssetOut(is_required=False)})
    def maybe():
        yield fr.Output(1, output_name="always")

    result = fr.materialize_to_memory([maybe])
    assert result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        fr.AssetKey("always")
    ]


def test_a_missing_required_out_fails_the_step_naming_it():
    @fr.multi_asset(outs={"x": fr.AssetOut(), "y": fr.AssetOut()})
    def half():
        yield fr.Output(1, output_name="x")

    result = fr.materialize_to_memory([half], raise_on_error=False)
    assert not result.success
    assert "did not produce y" in result.failure_message


def test_graph_multi_asset_runs_its_ops_and_stores_each_out():
    @fr.op
    def fetch():
        return [3, 1, 2]

    @fr.op
    def smallest(values):
        return min(values)

    @fr.op
    def largest(values):
        return max(values)

    @fr.graph_multi_asset(outs={"low": fr.AssetOut(), "high": fr.AssetOut()})
    def bounds():
        values = fetch()
        return {"low": smallest(values), "high": largest(values)}

    result = fr.materialize_to_memory([bounds])
    assert result.success
    assert (result.asset_value("low"), result.asset_value("high")) == (1, 3)


def test_graph_multi_asset_must_return_every_out():
    @fr.op
    def one():
        return 1

    with pytest.raises(fr.DefinitionsError, match="one op output per out"):

        @fr.graph_multi_asset(outs={"a": fr.AssetOut(), "b": fr.AssetOut()})
        def partial():
            return {"a": one()}


def test_graph_multi_asset_refuses_two_outs_for_one_asset_key():
    @fr.op
    def one():
        return 1

    @fr.op
    def two():
        return 2

    with pytest.raises(fr.DefinitionsError, match="the same asset key appears twice"):

        @fr.graph_multi_asset(outs={"a": fr.AssetOut(key="x"), "b": fr.AssetOut(key="x")})
        def both():
            return {"a": one(), "b": two()}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"outs": {"a": fr.AssetSpec("a")}}, r"outs\['a'\] is a AssetSpec; use AssetOut"),
        ({"outs": {}}, "outs must be a non-empty dict"),
        ({"outs": {"a": fr.AssetOut()}, "specs": [fr.AssetSpec("a")]}, "either specs= or outs="),
        ({}, "give specs="),
        ({"outs": {"a": fr.AssetOut(key="x", key_prefix="p")}}, "either key= or key_prefix="),
        ({"outs": {"a": fr.AssetOut(io_manager_key=3)}}, "io_manager_key must be a string"),
        ({"outs": {"a": fr.AssetOut(is_required="no")}}, "is_required must be True or False"),
    ],
    ids=["spec-as-out", "empty-outs", "both", "neither", "key-and-prefix", "io-key", "required"],
)
def test_bad_outs_name_the_multi_asset(kwargs, match):
    with pytest.raises(fr.DefinitionsError, match=match) as info:

        @fr.multi_asset(**kwargs)
        def broken():
            return None

    assert "multi_asset 'broken'" in str(info.value)


def test_asset_spec_helpers_return_changed_copies():
    spec = fr.AssetSpec("t", tags={"a": "1"}, kinds={"sql"})
    merged = spec.merge_attributes(tags={"b": "2"}, kinds={"table"}, deps=["up"])
    assert merged.tags == {"a": "1", "b": "2"}
    assert merged.kinds == frozenset({"sql", "table"})
    assert merged.dep_keys == (fr.AssetKey("up"),)
    assert spec.tags == {"a": "1"}
    assert spec.replace_attributes(group_name="g").group_name == "g"
    assert spec.with_io_manager_key("warehouse").io_manager_key == "warehouse"
    with pytest.raises(fr.DefinitionsError, match="with_io_manager_key needs"):
        spec.with_io_manager_key("")


def test_a_spec_io_manager_key_is_used_by_multi_assets_and_external_assets():
    @fr.multi_asset(specs=[fr.AssetSpec("m").with_io_manager_key("lake")])
    def m():
        return 1

    assert m.io_manager_keys == {fr.AssetKey("m"): "lake"}
    defs = fr.Definitions(assets=[fr.AssetSpec("ext").with_io_manager_key("lake")])
    [external] = [a for a in defs.assets if isinstance(a, fr.AssetsDefinition)]
    assert external.io_manager_keys == {fr.AssetKey("ext"): "lake"}


def test_assets_definition_accessors():
    daily = fr.DailyPartitionsDefinition("2024-01-01")

    @fr.asset(partitions_def=daily)
    def one(): ...

    @fr.multi_asset(outs={"x": fr.AssetOut(), "y": fr.AssetOut()}, partitions_def=daily)
    def two(): ...

    assert one.get_asset_spec().key == fr.AssetKey("one")
    assert one.partitions_def is daily
    assert two.partitions_def is daily
    assert two.op.name == "two"
    assert two.get_asset_spec("y").partitions_def is daily
    with pytest.raises(fr.DefinitionsError, match="does not produce 'z'"):
        two.get_asset_spec("z")


def test_assets_definition_names_ported_code_reads():
    @fr.multi_asset(outs={"x": fr.AssetOut(group_name="g"), "y": fr.AssetOut()}, deps=["up"])
    def pair():
        return 1, 2

    assert pair.keys_by_output_name == {"x": fr.AssetKey("x"), "y": fr.AssetKey("y")}
    assert pair.node_def is pair.op
    assert pair.group_names_by_key == {fr.AssetKey("x"): "g", fr.AssetKey("y"): "default"}
    assert pair.dependency_keys == {fr.AssetKey("up")}

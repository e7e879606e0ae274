"""Keyword forms ported code passes: static partitions by `partition_keys=`,
`materialize(assets=...)`, unit-test contexts given op config, resource config, a key range
or run tags, job run tags and partitions, check op tags and pools, graph asset keys,
`Field(config=...)`, `config_mapping(config_fn=...)`, DynamicOutput metadata."""

from __future__ import annotations

import pytest

import freshet as fr


def test_static_partitions_by_partition_keys():
    assert fr.StaticPartitionsDefinition(partition_keys=["a", "b"]) == (
        fr.StaticPartitionsDefinition(["a", "b"])
    )
    with pytest.raises(fr.DefinitionsError, match="takes its keys once"):
        fr.StaticPartitionsDefinition(["a"], partition_keys=["b"])


def test_materialize_takes_assets_by_keyword():
    @fr.asset
    def one():
        return 1

    assert fr.materialize(assets=[one]).success
    assert fr.materialize_to_memory(assets=[one]).asset_value("one") == 1


def test_op_context_with_op_config_run_tags_and_mapping_key():
    context = fr.build_op_context(op_config={"n": 2}, run_tags={"t": "v"}, mapping_key="k")
    assert context.op_config == {"n": 2}
    assert context.get_tag("t") == "v"
    assert context.get_mapping_key() == "k"
    with pytest.raises(fr.FreshetError, match="not both"):
        fr.build_op_context(config={}, op_config={})


def test_unit_test_context_initialises_resource_definitions_with_their_config():
    @fr.resource(config_schema={"url": str})
    def client(init_context):
        return f"client({init_context.resource_config['url']})"

    context = fr.build_op_context(
        resources={"client": client, "plain": 3},
        resources_config={"client": {"config": {"url": "db"}}},
    )
    assert context.resources.client == "client(db)"
    assert context.resources.plain == 3


def test_asset_context_with_a_partition_key_range():
    daily = fr.DailyPartitionsDefinition("2024-01-01")
    context = fr.build_asset_context(
        partition_key_range=fr.PartitionKeyRange("2024-01-02", "2024-01-04"),
        partitions_def=daily,
        asset_config={"x": 1},
    )
    assert context.partition_keys == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert context.op_config == {"x": 1}
    with pytest.raises(fr.FreshetError, match="needs partitions_def"):
        fr.build_asset_context(partition_key_range=fr.PartitionKeyRange("a", "b"))


def test_job_run_tags_and_partitions_def():
    regions = fr.StaticPartitionsDefinition(["eu", "us"])

    @fr.op
    def where(context):
        return (context.get_tag("team"), context.partition_key)

    @fr.job(run_tags={"team": "geo"}, partitions_def=regions, metadata={"doc": "x"})
    def regional():
        where()

    assert regional.partitions_def == regions
    result = regional.execute_in_process(partition_key="us")
    assert result.output_for_node("where") == ("geo", "us")


def test_asset_job_run_tags():
    @fr.asset
    def tagged(context):
        return context.get_tag("owner")

    defs = fr.Definitions(
        assets=[tagged], jobs=[fr.define_asset_job("j", selection="*", run_tags={"owner": "me"})]
    )
    result = defs.get_job_def("j").execute_in_process()
    assert result.output_for_node("tagged") == "me"


def test_check_op_tags_and_pool():
    @fr.asset
    def a():
        return 1

    @fr.asset_check(asset=a, op_tags={"team": "qa"}, pool="db", compute_kind="sql")
    def a_ok():
        return fr.AssetCheckResult(passed=True)

    assert a_ok.op.tags == {"team": "qa", "kind": "sql"}
    assert a_ok.op.pool == "db"


def test_graph_asset_with_an_explicit_key():
    @fr.op
    def make():
        return 5

    @fr.graph_asset(key=["lake", "five"])
    def five():
        return make()

    assert five.key == fr.AssetKey(["lake", "five"])
    assert fr.materialize_to_memory([five]).asset_value(["lake", "five"]) == 5
    with pytest.raises(fr.DefinitionsError, match="either key= or name="):

        @fr.graph_asset(key="k", name="n")
        def both():
            return make()


def test_field_config_and_config_mapping_config_fn():
    field = fr.Field(config=int, default_value=3, is_secret=False)
    assert (field.type, field.default) == (int, 3)

    def mapper(values):
        return {"ops": {}}

    mapping = fr.config_mapping(config_fn=mapper, config_schema={"a": int})
    assert isinstance(mapping, fr.ConfigMapping)
    assert mapping.resolve({"a": 1}) == {"ops": {}}


def test_dynamic_output_carries_metadata():
    output = fr.DynamicOutput(1, mapping_key="k", metadata={"size": 1})
    assert output.metadata == {"size": 1}


def test_compute_kind_is_a_kind_and_non_argument_deps_are_deps():
    @fr.asset(compute_kind="python", non_argument_deps=["raw"])
    def shaped():
        return 1

    @fr.multi_asset(outs={"x": fr.AssetOut(kinds={"table"})}, compute_kind="sql")
    def several():
        return 1

    assert shaped.get_asset_spec().kinds == frozenset({"python"})
    assert shaped.get_asset_spec().dep_keys == (fr.AssetKey("raw"),)
    assert several.get_asset_spec("x").kinds == frozenset({"table", "sql"})

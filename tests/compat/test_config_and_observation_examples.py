"""Programs in the style of the config-schema and definitions guides: dict config schemas
with Dagster's vocabulary, spec mapping, and per-partition config from any partitions
definition."""

import logging


def test_dict_config_schema_with_dagster_vocabulary(compat):
    dg = compat

    @dg.op(
        config_schema={
            "name": dg.String,
            "retries": dg.Field(dg.Int, default_value=2),
            "tags": dg.Array(dg.String),
            "limit": dg.Noneable(dg.Int),
            "target": dg.Shape({"table": dg.String}),
        }
    )
    def configured(context):
        cfg = context.op_config
        return (cfg["name"], cfg["retries"], cfg["tags"], cfg["limit"], cfg["target"]["table"])

    @dg.job
    def configured_job():
        configured()

    run_config = {
        "ops": {
            "configured": {
                "config": {"name": "n", "tags": ["a"], "target": {"table": "t"}},
            }
        }
    }
    result = configured_job.execute_in_process(run_config=run_config)
    assert result.output_for_node("configured") == ("n", 2, ["a"], None, "t")


def test_logger_and_test_instance(compat):
    dg = compat
    logger = dg.get_dagster_logger()
    assert isinstance(logger, logging.Logger)

    @dg.asset
    def logged():
        dg.get_dagster_logger().info("computing")
        return 1

    with dg.instance_for_test() as instance:
        assert dg.materialize([logged], instance=instance).success


def test_map_asset_specs_over_specs_and_assets(dg):
    @dg.asset
    def computed():
        return 1

    mapped = dg.map_asset_specs(
        lambda spec: spec.replace_attributes(group_name="mapped"),
        [computed, dg.AssetSpec("external")],
    )
    groups = [
        (next(iter(item.specs)) if isinstance(item, dg.AssetsDefinition) else item).group_name
        for item in mapped
    ]
    assert groups == ["mapped", "mapped"]


def test_partitioned_config_over_a_partitions_definition(dg):
    regions = dg.StaticPartitionsDefinition(["north", "south"])

    @dg.op(config_schema={"region": str})
    def show(context):
        return context.op_config["region"]

    @dg.partitioned_config(partitions_def=regions)
    def region_config(partition_key: str):
        return {"ops": {"show": {"config": {"region": partition_key}}}}

    @dg.job(config=region_config)
    def by_region():
        show()

    assert by_region.execute_in_process(partition_key="south").output_for_node("show") == "south"

"""@asset and friends: what each option declares."""

import pytest

import freshet as fr
from freshet.core.assets import ExecutionType
from freshet.errors import InvalidDefinitionError


def test_parameters_name_upstream_assets():
    @fr.asset
    def orders(customers, products):
        return None

    assert orders.key == fr.AssetKey("orders")
    assert dict(orders.keys_by_input) == {
        "customers": fr.AssetKey("customers"),
        "products": fr.AssetKey("products"),
    }
    assert orders.specs[0].dep_keys == (fr.AssetKey("customers"), fr.AssetKey("products"))


def test_key_prefix_applies_to_the_asset_and_its_inferred_inputs():
    @fr.asset(key_prefix=["warehouse"])
    def orders(customers):
        return None

    assert orders.key == fr.AssetKey(["warehouse", "orders"])
    assert orders.keys_by_input["customers"] == fr.AssetKey(["warehouse", "customers"])


def test_asset_in_maps_a_parameter_to_any_key():
    @fr.asset(ins={"c": fr.AssetIn(key="raw/customers")})
    def orders(c):
        return None

    assert orders.keys_by_input["c"] == fr.AssetKey(["raw", "customers"])


def test_deps_add_non_input_dependencies():
    @fr.asset
    def upstream():
        return 1

    @fr.asset(deps=[upstream, "other", fr.AssetDep("third")])
    def downstream():
        return 2

    assert set(downstream.specs[0].dep_keys) == {
        fr.AssetKey("upstream"),
        fr.AssetKey("other"),
        fr.AssetKey("third"),
    }
    assert downstream.keys_by_input == {}


def test_options_are_recorded_on_the_spec():
    @fr.asset(
        group_name="sales",
        owners=["ana@example.com", "team:data"],
        tags={"tier": "gold"},
        kinds={"python", "duckdb"},
        code_version="3",
        metadata={"source": "crm"},
    )
    def revenue():
        """Revenue per day."""
        return 1

    spec = revenue.specs[0]
    assert spec.group_name == "sales"
    assert spec.owners == ("ana@example.com", "team:data")
    assert spec.tags == {"tier": "gold"}
    assert spec.kinds == frozenset({"python", "duckdb"})
    assert spec.code_version == "3"
    assert spec.description == "Revenue per day."
    assert spec.metadata == {"source": "crm"}


def test_default_group_is_default():
    @fr.asset
    def a():
        return 1

    assert a.specs[0].group_name == "default"


@pytest.mark.parametrize(
    "owner", ["not an email", "team:", "@x.com"], ids=["text", "empty-team", "no-user"]
)
def test_invalid_owner_is_refused(owner):
    with pytest.raises(InvalidDefinitionError, match="owner"):
        fr.asset(name="x", owners=[owner])(lambda: 1)


def test_context_and_config_and_resources_are_not_inputs():
    class LimitConfig(fr.Config):
        limit: int = 3

    class Warehouse(fr.ConfigurableResource):
        url: str = "mem://"

    @fr.asset
    def table(context: fr.AssetExecutionContext, config: LimitConfig, warehouse: Warehouse, raw):
        return None

    assert list(table.keys_by_input) == ["raw"]
    assert table.op.shape.has_context
    assert table.op.shape.config_param == "config"
    assert "warehouse" in table.required_resource_keys


def test_direct_invocation_calls_the_function():
    @fr.asset
    def doubled(numbers):
        return [n * 2 for n in numbers]

    assert doubled([1, 2]) == [2, 4]


def test_direct_invocation_with_a_built_context():
    @fr.asset
    def partitioned(context):
        return context.partition_key

    assert partitioned(fr.build_asset_context(partition_key="2024-01-01")) == "2024-01-01"


def test_key_and_name_together_are_refused():
    with pytest.raises(InvalidDefinitionError, match="either key"):
        fr.asset(key="a/b", name="c")(lambda: 1)


def test_ins_naming_a_missing_parameter_is_refused():
    with pytest.raises(InvalidDefinitionError, match="no such parameter"):

        @fr.asset(ins={"nope": fr.AssetIn(key="x")})
        def a(y):
            return y


def test_multi_asset_produces_one_output_per_spec():
    @fr.multi_asset(specs=[fr.AssetSpec("a"), fr.AssetSpec("b", deps=["a"])])
    def both():
        yield fr.MaterializeResult(asset_key="a")
        yield fr.MaterializeResult(asset_key="b")

    assert both.keys == (fr.AssetKey("a"), fr.AssetKey("b"))
    assert both.specs[1].dep_keys == (fr.AssetKey("a"),)
    assert not both.can_subset


def test_asset_spec_alone_is_external():
    defs = fr.Definitions(assets=[fr.AssetSpec("lake/events")])
    node = defs.get_asset_graph().node(fr.AssetKey(["lake", "events"]))
    assert node.is_external
    assert not node.is_materializable


def test_source_asset_and_observable_source_asset():
    raw = fr.SourceAsset("raw")

    @fr.observable_source_asset(auto_observe_interval_minutes=5)
    def feed():
        return fr.DataVersion("v1")

    assert raw.execution_type is ExecutionType.UNEXECUTABLE
    assert feed.execution_type is ExecutionType.OBSERVATION
    assert feed.auto_observe_interval_minutes == 5
    assert feed() == fr.DataVersion("v1")


def test_graph_asset_wraps_a_graph():
    @fr.op
    def load():
        return 1

    @fr.op
    def inc(x):
        return x + 1

    @fr.graph_asset
    def counted():
        return inc(load())

    assert counted.key == fr.AssetKey("counted")
    assert set(counted.graph.nodes) == {"load", "inc"}


def test_check_spec_must_target_the_asset():
    with pytest.raises(InvalidDefinitionError, match="does not produce"):
        fr.asset(name="x", check_specs=[fr.AssetCheckSpec("c", asset="other")])(lambda: 1)

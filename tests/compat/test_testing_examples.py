"""Programs in the style of the testing, IO manager and resource guides: the helpers a
test suite calls, run as freshet and through the compatibility module."""

import asyncio
import os
import types
import warnings


def test_multi_asset_spec_helpers_and_definition_accessors(dg):
    daily = dg.DailyPartitionsDefinition(start_date="2024-01-01")

    @dg.multi_asset(
        specs=[dg.AssetSpec("a").with_io_manager_key("special"), dg.AssetSpec("b")],
        partitions_def=daily,
    )
    def both():
        yield dg.MaterializeResult(asset_key="a")
        yield dg.MaterializeResult(asset_key="b")

    assert set(both.keys) == {dg.AssetKey("a"), dg.AssetKey("b")}
    assert both.partitions_def == daily
    assert both.get_asset_spec(dg.AssetKey("b")).key == dg.AssetKey("b")
    assert both.op.name == "both"
    merged = dg.AssetSpec("c").merge_attributes(tags={"tier": "gold"})
    assert merged.tags["tier"] == "gold"


def test_graph_multi_asset(dg):
    @dg.op
    def numbers():
        return [4, 1, 3]

    @dg.op
    def lowest(values):
        return min(values)

    @dg.op
    def highest(values):
        return max(values)

    @dg.graph_multi_asset(outs={"low": dg.AssetOut(), "high": dg.AssetOut()})
    def extremes():
        values = numbers()
        return {"low": lowest(values), "high": highest(values)}

    result = dg.materialize_to_memory([extremes])
    assert result.success
    assert result.asset_value("low") == 1
    assert result.asset_value("high") == 4


def test_op_yields_observation_and_expectation(dg):
    @dg.op
    def inspect_table():
        yield dg.AssetObservation(asset_key="remote_table", metadata={"rows": 3})
        yield dg.ExpectationResult(success=True, label="rows_positive")
        yield dg.Output(3)

    @dg.job
    def inspecting():
        inspect_table()

    result = inspecting.execute_in_process()
    assert result.success
    observed = [e.asset_key for e in result.get_asset_observation_events()]
    assert observed == [dg.AssetKey("remote_table")]


def test_add_output_metadata_from_an_op_context(dg):
    @dg.asset
    def described(context: dg.AssetExecutionContext):
        context.add_output_metadata({"rows": 2})
        return [1, 2]

    result = dg.materialize([described])
    [mat] = result.asset_materializations_for_node("described")
    assert mat.metadata["rows"].value == 2


def test_async_asset(dg):
    @dg.asset
    async def fetched():
        await asyncio.sleep(0)
        return "data"

    result = dg.materialize_to_memory([fetched])
    assert result.success
    assert result.asset_value("fetched") == "data"


def test_materialize_result_with_a_positional_key(dg):
    @dg.multi_asset(specs=[dg.AssetSpec("x"), dg.AssetSpec("y")])
    def pair():
        yield dg.MaterializeResult("x")
        yield dg.MaterializeResult("y")

    assert dg.materialize([pair]).success


def test_io_manager_factory_and_input_manager(dg):
    class Store(dg.IOManager):
        def __init__(self, prefix):
            self.prefix = prefix
            self.values = {}

        def handle_output(self, context, obj):
            self.values[tuple(context.asset_key.path)] = obj

        def load_input(self, context):
            return self.values[tuple(context.asset_key.path)]

    class StoreFactory(dg.ConfigurableIOManagerFactory):
        prefix: str

        def create_io_manager(self, context) -> Store:
            return Store(self.prefix)

    @dg.input_manager
    def fixed_loader(context):
        return [10, 20]

    @dg.op(ins={"values": dg.In(input_manager_key="loader")})
    def total(values):
        return sum(values)

    @dg.job(resource_defs={"loader": fixed_loader})
    def summing():
        total()

    assert summing.execute_in_process().output_for_node("total") == 30

    @dg.asset
    def stored():
        return 1

    result = dg.materialize([stored], resources={"io_manager": StoreFactory(prefix="p")})
    assert result.success


def test_resource_helpers(dg):
    @dg.resource(config_schema={"url": str})
    def client(init_context):
        return f"client for {init_context.resource_config['url']}"

    assert client(dg.build_init_resource_context(config={"url": "db"})) == "client for db"
    mocked = dg.ResourceDefinition.mock_resource()
    configured = client.configured({"url": "prod"})

    @dg.op(required_resource_keys={"client", "mocked"})
    def use(context):
        context.resources.mocked.ping()
        return context.resources.client

    @dg.job(resource_defs={"client": configured, "mocked": mocked})
    def using():
        use()

    assert using.execute_in_process().output_for_node("use") == "client for prod"


def test_unknown_dep_becomes_an_external_asset(dg):
    @dg.asset(deps=["upstream_made_elsewhere"])
    def downstream():
        return 1

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        defs = dg.Definitions(assets=[downstream])
        assert dg.materialize([downstream]).success
    assert defs.get_assets_def("upstream_made_elsewhere") is not None


def test_definitions_decorator_and_file_relative_path(dg, tmp_path):
    @dg.asset
    def thing():
        return 1

    @dg.definitions
    def defs():
        return dg.Definitions(assets=[thing])

    assert defs.load_fn().get_assets_def("thing").key == dg.AssetKey("thing")
    path = dg.file_relative_path(__file__, "data.csv")
    assert path == os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.csv")


def test_load_assets_from_modules(dg):
    module = types.ModuleType("pipeline")

    @dg.asset
    def raw():
        return 1

    @dg.asset
    def clean(raw):
        return raw + 1

    module.raw = raw
    module.clean = clean
    assets = dg.load_assets_from_modules([module])
    defs = dg.Definitions(assets=assets)
    assert dg.materialize(assets).success
    assert sorted(k.to_user_string() for k in defs.resolve_all_asset_keys()) == ["clean", "raw"]


def test_resource_param_plain_object(dg):
    class Client:
        def get(self):
            return "payload"

    @dg.asset
    def fetched(client: dg.ResourceParam[Client]) -> str:
        return client.get()

    result = dg.materialize_to_memory([fetched], resources={"client": Client()})
    assert result.asset_value("fetched") == "payload"


def test_latest_materialization_from_the_instance(dg):
    @dg.asset
    def counted():
        return dg.Output(1, metadata={"rows": 4})

    instance = (
        dg.DagsterInstance.ephemeral()
        if hasattr(dg, "DagsterInstance")
        else dg.Instance.ephemeral()
    )
    dg.materialize([counted], instance=instance)
    event = instance.get_latest_materialization_event(dg.AssetKey("counted"))
    assert event.asset_materialization.metadata["rows"].value == 4


def test_static_partitioned_config(dg):
    @dg.op(config_schema={"region": str})
    def report(context):
        return context.op_config["region"]

    @dg.static_partitioned_config(partition_keys=["eu", "us"])
    def by_region(partition_key: str):
        return {"ops": {"report": {"config": {"region": partition_key}}}}

    @dg.job(config=by_region)
    def regional():
        report()

    assert regional.execute_in_process(partition_key="eu").output_for_node("report") == "eu"

"""Small programs in the style of the assets, multi-asset and testing guides that users
port: each runs with `dg` as freshet itself and as the compatibility module."""


def test_asset_graph_materializes_and_reads_values(dg):
    @dg.asset
    def country_populations() -> dict:
        return {"fr": 68, "de": 84}

    @dg.asset
    def continent_population(country_populations: dict) -> int:
        return sum(country_populations.values())

    result = dg.materialize_to_memory([country_populations, continent_population])
    assert result.success
    assert result.output_for_node("continent_population") == 152


def test_asset_with_deps_and_materialize_result_metadata(dg):
    @dg.asset
    def raw_file() -> None:
        return None

    @dg.asset(deps=[raw_file])
    def cleaned():
        return dg.MaterializeResult(metadata={"num_rows": 3, "preview": dg.MetadataValue.md("x")})

    result = dg.materialize([raw_file, cleaned])
    assert result.success
    [cleaned_mat] = result.asset_materializations_for_node("cleaned")
    assert cleaned_mat.metadata["num_rows"].value == 3


def test_multi_asset_with_outs_returning_a_tuple(dg):
    @dg.multi_asset(outs={"users": dg.AssetOut(), "orders": dg.AssetOut()})
    def extract():
        return ["u1"], ["o1", "o2"]

    @dg.asset
    def order_count(orders):
        return len(orders)

    result = dg.materialize_to_memory([extract, order_count])
    assert result.success
    assert result.output_for_node("order_count") == 2


def test_subsettable_multi_asset_yields_only_selected(dg):
    @dg.multi_asset(
        specs=[dg.AssetSpec("a", skippable=True), dg.AssetSpec("b", skippable=True)],
        can_subset=True,
    )
    def split(context: dg.AssetExecutionContext):
        for key in sorted(context.selected_asset_keys, key=str):
            yield dg.MaterializeResult(asset_key=key)

    result = dg.materialize([split], selection=["b"])
    assert result.success
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [dg.AssetKey("b")]


def test_graph_asset_composes_ops(dg):
    @dg.op
    def fetch():
        return [1, 2, 3]

    @dg.op
    def double(values):
        return [v * 2 for v in values]

    @dg.graph_asset
    def doubled():
        return double(fetch())

    result = dg.materialize_to_memory([doubled])
    assert result.output_for_node("doubled") == [2, 4, 6]


def test_unit_testing_an_asset_with_context_and_config(dg):
    class MyConfig(dg.Config):
        factor: int = 2

    @dg.asset
    def scaled(context: dg.AssetExecutionContext, config: MyConfig) -> int:
        context.log.info("scaling")
        return 21 * config.factor

    assert scaled(dg.build_asset_context(), MyConfig()) == 42
    assert scaled(context=dg.build_asset_context(), config=MyConfig(factor=1)) == 21


def test_unit_testing_an_asset_with_a_resource(dg):
    class Api(dg.ConfigurableResource):
        base: str

        def fetch(self) -> str:
            return f"{self.base}/data"

    @dg.asset
    def payload(api: Api) -> str:
        return api.fetch()

    assert payload(api=Api(base="mock")) == "mock/data"
    result = dg.materialize_to_memory([payload], resources={"api": Api(base="real")})
    assert result.output_for_node("payload") == "real/data"


def test_generator_asset_yields_output_with_metadata(dg):
    @dg.asset
    def streamed():
        yield dg.Output([1, 2], metadata={"n": 2})

    result = dg.materialize_to_memory([streamed])
    assert result.success
    assert result.output_for_node("streamed") == [1, 2]


def test_asset_reporting_an_external_materialization(dg):
    @dg.op
    def copy_table(context: dg.OpExecutionContext):
        context.log_event(dg.AssetMaterialization(asset_key="warehouse_copy", metadata={"rows": 5}))
        return 5

    @dg.job
    def copy_job():
        copy_table()

    result = copy_job.execute_in_process()
    assert result.success
    keys = [m.asset_key for m in result.get_asset_materialization_events()]
    assert keys == [dg.AssetKey("warehouse_copy")]


def test_definitions_with_assets_and_an_asset_job(dg):
    @dg.asset
    def a():
        return 1

    @dg.asset
    def b(a):
        return a + 1

    defs = dg.Definitions(assets=[a, b], jobs=[dg.define_asset_job("all_assets", selection="*")])
    result = defs.get_job_def("all_assets").execute_in_process()
    assert result.success
    assert {m.asset_key for m in result.get_asset_materialization_events()} == {
        dg.AssetKey("a"),
        dg.AssetKey("b"),
    }

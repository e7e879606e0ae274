"""Resources and IO managers as the resources and IO managers guides write them."""

import os


def test_configurable_io_manager_round_trip(dg, tmp_path):
    class TextIOManager(dg.ConfigurableIOManager):
        root: str

        def _path(self, context) -> str:
            return os.path.join(self.root, *context.asset_key.path) + ".txt"

        def handle_output(self, context: dg.OutputContext, obj: str) -> None:
            with open(self._path(context), "w") as handle:
                handle.write(obj)

        def load_input(self, context: dg.InputContext) -> str:
            with open(self._path(context)) as handle:
                return handle.read()

    @dg.asset
    def word() -> str:
        return "ok"

    @dg.asset
    def loud(word: str) -> str:
        return word.upper()

    defs = dg.Definitions(
        assets=[word, loud], resources={"io_manager": TextIOManager(root=str(tmp_path))}
    )
    assert dg.materialize([word, loud], resources=defs.resources).success
    assert (tmp_path / "loud.txt").read_text() == "OK"


def test_io_manager_unit_test_with_built_contexts(dg):
    class Memory(dg.IOManager):
        def __init__(self):
            self.stored = {}

        def handle_output(self, context, obj):
            self.stored[tuple(context.asset_key.path)] = obj

        def load_input(self, context):
            return self.stored[tuple(context.asset_key.path)]

    manager = Memory()
    manager.handle_output(dg.build_output_context(asset_key=dg.AssetKey("t")), 3)
    assert manager.load_input(dg.build_input_context(asset_key=dg.AssetKey("t"))) == 3


def test_function_resources_and_build_resources(dg):
    @dg.resource(config_schema={"prefix": dg.StringSource})
    def prefixer(init_context):
        return lambda text: init_context.resource_config["prefix"] + text

    with dg.build_resources(
        {"prefixer": prefixer}, resource_config={"prefixer": {"config": {"prefix": ">"}}}
    ) as resources:
        assert resources.prefixer("x") == ">x"


def test_resource_with_required_resource_keys_in_an_op(dg):
    @dg.op(required_resource_keys={"store"})
    def save(context):
        context.resources.store.append(1)
        return len(context.resources.store)

    @dg.job(resource_defs={"store": dg.ResourceDefinition.hardcoded_resource([])})
    def saving():
        save()

    assert saving.execute_in_process().output_for_node("save") == 1


def test_mem_io_manager_in_a_job(dg):
    @dg.op
    def produce():
        return {"k": 1}

    @dg.op
    def consume(value):
        return value["k"]

    @dg.job(resource_defs={"io_manager": dg.mem_io_manager})
    def in_memory():
        consume(produce())

    assert in_memory.execute_in_process().output_for_node("consume") == 1


def test_resource_configured_at_launch(dg):
    class Warehouse(dg.ConfigurableResource):
        url: str

        def describe(self) -> str:
            return f"warehouse at {self.url}"

    @dg.asset
    def report(warehouse: Warehouse) -> str:
        return warehouse.describe()

    result = dg.materialize_to_memory(
        [report],
        resources={"warehouse": Warehouse.configure_at_launch()},
        run_config={"resources": {"warehouse": {"config": {"url": "db://prod"}}}},
    )
    assert result.asset_value("report") == "warehouse at db://prod"

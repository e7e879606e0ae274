"""IO manager and resource forms users port from other orchestrators: factories, the
built-in managers as resource definitions, input managers, contexts for unit tests, and
resource definitions that are mocked, hardcoded or configured."""

from __future__ import annotations

import os

import pytest

import freshet as fr
from freshet.storage.records import EventType


class DictStore(fr.IOManager):
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.values: dict[tuple[str, ...], object] = {}

    def handle_output(self, context, obj):
        self.values[tuple(context.get_identifier())] = (self.prefix, obj)

    def load_input(self, context):
        return self.values[tuple(context.get_identifier())][1]


STORES: list[DictStore] = []


class DictStoreFactory(fr.ConfigurableIOManagerFactory):
    prefix: str

    def create_io_manager(self, context):
        store = DictStore(self.prefix)
        STORES.append(store)
        return store


def test_io_manager_factory_builds_the_manager_from_its_config():
    STORES.clear()

    @fr.asset
    def number():
        return 7

    result = fr.materialize([number], resources={"io_manager": DictStoreFactory(prefix="p")})
    assert result.success
    assert STORES[-1].values == {("number",): ("p", 7)}


def test_io_manager_factory_must_return_an_io_manager():
    class Broken(fr.ConfigurableIOManagerFactory):
        def create_io_manager(self, context):
            return "not a manager"

    @fr.asset
    def x():
        return 1

    result = fr.materialize([x], resources={"io_manager": Broken()}, raise_on_error=False)
    assert not result.success
    [run_failure] = result.events_of_type(EventType.RUN_FAILURE)
    assert "Broken.create_io_manager returned a str, not an IOManager" in run_failure.message


def test_fs_io_manager_resource_writes_under_its_base_dir(tmp_path):
    @fr.asset
    def saved():
        return {"a": 1}

    @fr.asset
    def read(saved):
        return saved["a"]

    io = fr.fs_io_manager.configured({"base_dir": str(tmp_path)})
    result = fr.materialize([saved, read], resources={"io_manager": io})
    assert result.success
    assert os.path.exists(tmp_path / "saved")
    assert result.asset_value("read") == 1


def test_mem_io_manager_passes_values_between_ops():
    @fr.op
    def make():
        return [1, 2]

    @fr.op
    def total(values):
        return sum(values)

    @fr.job(resource_defs={"io_manager": fr.mem_io_manager})
    def summing():
        total(make())

    result = summing.execute_in_process()
    assert result.success
    assert result.output_for_node("total") == 3


def test_input_manager_loads_a_root_op_input_and_replaces_an_asset_input():
    @fr.input_manager
    def constant_table(context):
        return f"rows for {context.name}"

    @fr.op(ins={"table": fr.In(input_manager_key="loader")})
    def count(table):
        return len(table)

    @fr.job(resource_defs={"loader": constant_table})
    def counting():
        count()

    assert counting.execute_in_process().output_for_node("count") == len("rows for table")

    @fr.asset
    def upstream():
        return "stored"

    @fr.asset(ins={"upstream": fr.AssetIn(input_manager_key="loader")})
    def downstream(upstream):
        return upstream

    result = fr.materialize_to_memory([upstream, downstream], resources={"loader": constant_table})
    assert result.asset_value("downstream") == "rows for upstream"


def test_input_manager_key_is_a_required_resource():
    @fr.op(ins={"table": fr.In(input_manager_key="loader")})
    def needs(table):
        return table

    assert "loader" in needs.required_resource_keys


def test_build_output_and_input_contexts_drive_an_io_manager_in_a_unit_test():
    store = DictStore("t")
    store.handle_output(fr.build_output_context(asset_key="orders", partition_key="p1"), [1])
    loaded = store.load_input(fr.build_input_context(asset_key="orders", partition_key="p1"))
    assert loaded == [1]
    assert fr.build_output_context(name="out", step_key="s").get_identifier() == [
        "",
        "s",
        "out",
    ]


def test_mocked_hardcoded_and_configured_resources():
    mocked = fr.ResourceDefinition.mock_resource()
    fixed = fr.ResourceDefinition.hardcoded_resource({"k": "v"})

    @fr.resource(config_schema={"url": fr.StringSource, "port": fr.Field(fr.IntSource, default=5)})
    def client(context):
        return (context.resource_config["url"], context.resource_config["port"])

    with fr.build_resources(
        {"m": mocked, "h": fixed, "c": client.configured({"url": "db://x"})}
    ) as resources:
        resources.m.anything(1).works()
        assert resources.h == {"k": "v"}
        assert resources.c == ("db://x", 5)


def test_configured_checks_the_config_now():
    @fr.resource(config_schema={"port": int})
    def server(context):
        return context.resource_config["port"]

    with pytest.raises(fr.ConfigError, match="port"):
        server.configured({"port": "not a number"})


def test_env_sources_read_environment_references(monkeypatch):
    monkeypatch.setenv("FRESHET_TEST_PORT", "6543")

    @fr.resource(config_schema={"port": fr.IntSource})
    def server(context):
        return context.resource_config["port"]

    with fr.build_resources(
        {"s": server}, resource_config={"s": {"config": {"port": {"env": "FRESHET_TEST_PORT"}}}}
    ) as resources:
        assert resources.s == 6543


def test_init_context_for_calling_a_resource_directly():
    @fr.resource(config_schema={"name": str})
    def greeter(context: fr.InitResourceContext):
        return f"hello {context.resource_config['name']}"

    assert greeter(fr.build_init_resource_context(config={"name": "ada"})) == "hello ada"


def test_input_manager_key_must_be_a_resource_key():
    with pytest.raises(fr.DefinitionsError, match="input 'table': input_manager_key must be"):

        @fr.op(ins={"table": fr.In(input_manager_key=5)})
        def reads(table):
            return table


def test_configure_at_launch_takes_every_field_from_run_config():
    class Db(fr.ConfigurableResource):
        url: str

    with pytest.raises(fr.DefinitionsError, match="configure_at_launch"):
        Db.configure_at_launch(url="fixed")

    @fr.asset
    def uses(db: Db):
        return db.url

    with pytest.raises(fr.ConfigError, match=r"resources\.db\.config"):
        fr.materialize_to_memory([uses], resources={"db": Db.configure_at_launch()})

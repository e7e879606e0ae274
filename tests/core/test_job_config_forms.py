"""Job config given as a mapping from a smaller config, or computed per partition; lazily
built Definitions; paths beside a module; direct invocation with a positional Config."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

import freshet as fr


class GreetingConfig(fr.Config):
    greeting: str


@fr.op
def greet(config: GreetingConfig) -> str:
    return config.greeting


def test_config_mapping_with_a_dict_schema():
    @fr.config_mapping(config_schema={"name": str})
    def simplified(values):
        return {"ops": {"greet": {"config": {"greeting": f"hello {values['name']}"}}}}

    @fr.job(config=simplified)
    def greeting_job():
        greet()

    result = greeting_job.execute_in_process(run_config={"name": "ada"})
    assert result.output_for_node("greet") == "hello ada"


def test_config_mapping_with_a_config_class_and_run_config_result():
    class Simple(fr.Config):
        name: str = "world"

    @fr.config_mapping
    def simplified(values: Simple) -> fr.RunConfig:
        return fr.RunConfig(ops={"greet": GreetingConfig(greeting=f"hi {values.name}")})

    @fr.job(config=simplified)
    def greeting_job():
        greet()

    assert greeting_job.execute_in_process().output_for_node("greet") == "hi world"
    with pytest.raises(fr.ConfigError, match="name"):
        greeting_job.execute_in_process(run_config={"name": 3})


def test_daily_partitioned_config_makes_the_job_partitioned():
    @fr.daily_partitioned_config(start_date="2024-01-01")
    def per_day(start: datetime, end: datetime):
        return {"ops": {"greet": {"config": {"greeting": f"{start:%Y-%m-%d}..{end:%d}"}}}}

    @fr.job(config=per_day)
    def daily_job():
        greet()

    assert isinstance(daily_job.partitions_def, fr.DailyPartitionsDefinition)
    result = daily_job.execute_in_process(partition_key="2024-02-03")
    assert result.output_for_node("greet") == "2024-02-03..04"
    with pytest.raises(fr.ConfigError, match="pass partition_key"):
        daily_job.execute_in_process()
    with pytest.raises(fr.PartitionError):
        daily_job.execute_in_process(partition_key="2023-12-31")


def test_static_partitioned_config_maps_each_key():
    @fr.static_partitioned_config(partition_keys=["eu", "us"])
    def per_region(partition_key: str):
        return {"ops": {"greet": {"config": {"greeting": partition_key.upper()}}}}

    @fr.job(config=per_region)
    def regional():
        greet()

    assert regional.execute_in_process(partition_key="us").output_for_node("greet") == "US"
    assert per_region.get_run_config_for_partition_key("eu") == {
        "ops": {"greet": {"config": {"greeting": "EU"}}}
    }


def test_definitions_decorator_builds_on_first_use():
    built = []

    @fr.asset
    def thing():
        return 1

    @fr.definitions
    def defs():
        built.append(True)
        return fr.Definitions(assets=[thing])

    assert built == []
    assert defs.get_assets_def("thing") is thing
    assert isinstance(defs.build(), fr.Definitions)
    assert built == [True]
    # load_fn is the function itself, as a loader calls it: new Definitions each call
    assert defs.load_fn() is not defs.build()
    assert built == [True, True]
    assert defs.resolve_all_asset_keys() == [fr.AssetKey("thing")]


def test_definitions_decorator_refuses_other_values():
    @fr.definitions
    def defs():
        return [1]

    with pytest.raises(fr.DefinitionsError, match="returned a list"):
        defs.build()


def test_lazy_definitions_are_found_by_the_loader(tmp_path):
    from freshet.workspace.loader import load_definitions_at
    from freshet.workspace.project import DefinitionsLocation

    path = tmp_path / "project.py"
    path.write_text(
        "import freshet as fr\n"
        "@fr.asset\ndef a():\n    return 1\n"
        "@fr.definitions\ndef defs():\n    return fr.Definitions(assets=[a])\n"
    )
    defs = load_definitions_at(DefinitionsLocation(python_file=str(path)), tmp_path)
    assert isinstance(defs, fr.Definitions)
    assert [k.to_user_string() for k in defs.get_asset_graph().nodes] == ["a"]


def test_file_relative_path_is_beside_the_module():
    assert fr.file_relative_path(__file__, "data/x.csv") == os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "data/x.csv"
    )


def test_direct_invocation_with_a_positional_config():
    @fr.asset
    def scaled(config: GreetingConfig) -> str:
        return config.greeting * 2

    @fr.op
    def with_context(context, config: GreetingConfig) -> str:
        return config.greeting

    assert scaled(GreetingConfig(greeting="ab")) == "abab"
    assert with_context(fr.build_op_context(), GreetingConfig(greeting="x")) == "x"

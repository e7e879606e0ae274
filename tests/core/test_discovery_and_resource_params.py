"""Collecting assets and checks from modules, plain-object resources annotated with
ResourceParam, and checking a Definitions loads."""

from __future__ import annotations

import types

import pytest

import freshet as fr


def _module_with_definitions() -> types.ModuleType:
    module = types.ModuleType("project_assets")

    @fr.asset
    def first():
        return 1

    @fr.asset(group_name="kept")
    def second(first):
        return first + 1

    @fr.asset_check(asset=first)
    def first_ok():
        return fr.AssetCheckResult(passed=True)

    module.first = first
    module.alias_of_first = first
    module.second = second
    module.first_ok = first_ok
    module.external = fr.AssetSpec("external_table")
    module.not_an_asset = 42
    return module


def test_load_assets_from_modules_finds_each_asset_once():
    module = _module_with_definitions()
    loaded = fr.load_assets_from_modules([module])
    assert len(loaded) == 3
    checks = fr.load_asset_checks_from_modules([module])
    assert [c.node_name for c in checks] == ["first__check__first_ok"]
    defs = fr.Definitions(assets=loaded, asset_checks=checks)
    assert fr.materialize(defs.assets[:2]).success


def test_load_assets_from_modules_with_a_group_name():
    loaded = fr.load_assets_from_modules([_module_with_definitions()], group_name="etl")
    groups = {
        spec.key.to_user_string(): spec.group_name
        for item in loaded
        for spec in (item.specs if isinstance(item, fr.AssetsDefinition) else [item])
    }
    assert groups == {"first": "etl", "second": "etl", "external_table": "etl"}


def test_load_assets_from_modules_refuses_what_it_cannot_do():
    with pytest.raises(fr.DefinitionsError, match="key_prefix is not supported"):
        fr.load_assets_from_modules([_module_with_definitions()], key_prefix="p")
    with pytest.raises(fr.DefinitionsError, match="expected a list of modules"):
        fr.load_assets_from_modules(["not a module"])


class Client:
    def __init__(self, name: str) -> None:
        self.name = name


def test_resource_param_receives_a_plain_object_resource():
    @fr.asset
    def greeting(client: fr.ResourceParam[Client]) -> str:
        return f"hello from {client.name}"

    assert greeting.required_resource_keys >= {"client"}
    result = fr.materialize_to_memory([greeting], resources={"client": Client("api")})
    assert result.output_for_node("greeting") == "hello from api"
    assert greeting(client=Client("test")) == "hello from test"


def test_validate_loadable():
    fr.Definitions.validate_loadable(fr.Definitions(assets=[]))
    with pytest.raises(fr.DefinitionsError, match="expected a Definitions"):
        fr.Definitions.validate_loadable([1])


def test_latest_materialization_event_reads_metadata():
    @fr.asset
    def counted():
        return fr.Output(1, metadata={"rows": 7})

    instance = fr.Instance.ephemeral()
    fr.materialize([counted], instance=instance)
    latest = instance.get_latest_materialization_event("counted")
    assert latest.asset_materialization.metadata["rows"].value == 7
    assert instance.get_latest_materialization_event("never") is None

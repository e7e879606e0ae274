"""A manifest becomes one multi-asset: keys, deps, metadata, checks and external sources —
and bad manifests or projects are clear errors. No dbt process runs here."""

from __future__ import annotations

import json

import pytest
from dbt_test_manifests import manifest

import freshet as fr
from freshet.integrations.dbt import DbtProject, DbtTranslator, dbt_assets


def _assets(**kwargs):
    @dbt_assets(manifest=kwargs.pop("manifest", manifest()), **kwargs)
    def shop_dbt(context):
        yield from ()

    return shop_dbt


def _spec(assets_def, name):
    return next(s for s in assets_def.specs if s.key == fr.AssetKey(name))


def test_one_asset_per_model_and_seed_with_deps_from_refs_and_sources():
    shop = _assets()
    assert {k.to_user_string() for k in shop.keys} == {
        "countries",
        "stg_orders",
        "stg_customers",
        "revenue",
    }
    deps = {s.key.to_user_string(): {d.to_user_string() for d in s.dep_keys} for s in shop.specs}
    assert deps["revenue"] == {"stg_orders", "stg_customers"}
    assert deps["stg_customers"] == {"app/customers", "countries"}
    assert deps["countries"] == set()


def test_attributes_come_from_the_manifest():
    revenue, orders = _spec(_assets(), "revenue"), _spec(_assets(), "stg_orders")
    assert revenue.group_name == "finance"
    assert revenue.owners == ("fin@example.com",)
    assert revenue.metadata["dbt/materialized"] == "table"
    assert orders.description == "Orders, cleaned."
    assert orders.owners == ("ana@example.com",)
    assert orders.tags == {"staging": "", "daily": ""}
    assert "dbt" in orders.kinds and "duckdb" in orders.kinds


def test_code_version_follows_the_raw_sql():
    changed = manifest()
    changed["nodes"]["model.shop.revenue"]["raw_code"] = "select 2"
    before, after = _spec(_assets(), "revenue"), _spec(_assets(manifest=changed), "revenue")
    assert before.code_version and after.code_version
    assert before.code_version != after.code_version
    assert (
        _spec(_assets(), "stg_orders").code_version
        == _spec(_assets(manifest=changed), "stg_orders").code_version
    )


def test_tests_become_checks_with_their_severity():
    shop = _assets()
    checks = {(c.asset_key.to_user_string(), c.name) for c in shop.check_specs}
    assert checks == {("revenue", "unique_revenue_day"), ("stg_orders", "not_null_stg_orders_id")}
    from freshet.integrations.dbt.assets import dbt_assets_info

    info = dbt_assets_info(shop)
    assert info.check_by_test_id["test.shop.not_null_stg_orders_id.2"][2] == "WARN"


def test_sources_come_along_as_external_assets():
    defs = fr.Definitions(assets=[_assets()])
    orders = defs.get_assets_def(fr.AssetKey(["app", "orders"]))
    assert not orders.is_executable
    assert orders.specs[0].description == "The app's orders table."
    assert defs.get_assets_def(fr.AssetKey(["app", "customers"])).specs[0].kinds >= {"dbt"}


def test_a_source_mapped_onto_a_freshet_asset_uses_that_asset():
    class Translator(DbtTranslator):
        def get_asset_key(self, node):
            if node.resource_type == "source" and node.name == "orders":
                return fr.AssetKey(["raw_orders"])
            return super().get_asset_key(node)

    @fr.asset
    def raw_orders():
        return 1

    shop = _assets(translator=Translator())
    assert fr.AssetKey("raw_orders") in _spec(shop, "stg_orders").dep_keys
    defs = fr.Definitions(assets=[shop, raw_orders])
    assert defs.get_assets_def(fr.AssetKey("raw_orders")) is raw_orders


def test_selection_picks_the_assets_and_their_checks():
    shop = _assets(select="tag:staging", exclude="stg_customers")
    assert [k.to_user_string() for k in shop.keys] == ["stg_orders"]
    assert [c.name for c in shop.check_specs] == ["not_null_stg_orders_id"]


def test_a_selection_matching_nothing_is_an_error_naming_it():
    with pytest.raises(fr.SelectionError, match=r"select='tag:nope'.*matches no model"):
        _assets(select="tag:nope")


def test_an_unsupported_manifest_version_is_refused(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest(version=7)))
    with pytest.raises(fr.DefinitionsError, match=r"manifest.json has schema .*v7.json.*1\.4\.0"):
        _assets(manifest=str(path))


def test_a_missing_manifest_says_how_to_make_it(tmp_path):
    with pytest.raises(fr.DefinitionsError, match="does not exist: run `dbt parse`"):
        _assets(manifest=str(tmp_path / "target" / "manifest.json"))


def test_a_project_directory_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(
        fr.DefinitionsError, match=r"dbt project directory .*nowhere does not exist"
    ):
        DbtProject(tmp_path / "nowhere")
    with pytest.raises(fr.DefinitionsError, match=r"has no dbt_project\.yml"):
        DbtProject(tmp_path)


def test_keys_of_models_and_sources_can_be_looked_up_by_dbt_name():
    from freshet.integrations.dbt import get_asset_key_for_model, get_asset_key_for_source

    shop = _assets()
    assert get_asset_key_for_model([shop], "revenue") == fr.AssetKey("revenue")
    assert get_asset_key_for_source([shop], "app", "orders") == fr.AssetKey(["app", "orders"])
    with pytest.raises(fr.DefinitionsError, match="several tables"):
        get_asset_key_for_source([shop], "app")
    with pytest.raises(fr.DefinitionsError, match="no dbt model named 'nope'"):
        get_asset_key_for_model([shop], "nope")


def test_cli_with_the_context_of_an_asset_that_is_not_dbt_is_refused():
    from pathlib import Path

    from freshet.integrations.dbt import DbtCliResource

    @fr.asset
    def not_dbt(context: fr.AssetExecutionContext, dbt: DbtCliResource):
        dbt.cli(["build"], context=context)

    project = Path(__file__).parent / "project"
    result = fr.materialize(
        [not_dbt],
        resources={"dbt": DbtCliResource(project_dir=str(project))},
        raise_on_error=False,
    )
    assert "is for steps of a @dbt_assets definition; 'not_dbt' is not one" in (
        result.failure_message
    )


def test_a_key_given_in_the_nodes_meta_is_used():
    changed = manifest()
    changed["nodes"]["model.shop.stg_orders"]["config"]["meta"]["freshet"] = {
        "asset_key": ["staging", "orders"]
    }
    shop = _assets(manifest=changed)
    assert fr.AssetKey(["staging", "orders"]) in shop.keys
    assert fr.AssetKey(["staging", "orders"]) in _spec(shop, "revenue").dep_keys

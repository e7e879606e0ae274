"""Loading assets from the calling module and from a package's submodules, and observation
functions that return an ObserveResult."""

from __future__ import annotations

import sys
import textwrap

import pytest

import freshet as fr


@pytest.fixture
def package(tmp_path, monkeypatch):
    root = tmp_path / "pipeline_pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "raw.py").write_text(
        textwrap.dedent(
            """
            import freshet as fr

            @fr.asset
            def raw():
                return 1

            @fr.asset_check(asset=raw)
            def raw_ok():
                return fr.AssetCheckResult(passed=True)
            """
        )
    )
    (root / "sub" / "clean.py").write_text(
        textwrap.dedent(
            """
            import freshet as fr

            @fr.asset
            def clean(raw):
                return raw + 1

            here = fr.load_assets_from_current_module()
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "pipeline_pkg"
    for name in [n for n in sys.modules if n.startswith("pipeline_pkg")]:
        del sys.modules[name]


def test_assets_from_a_package_and_its_submodules(package):
    import importlib

    module = importlib.import_module(package)
    assets = fr.load_assets_from_package_module(module, group_name="pkg")
    keys = sorted(a.key.to_user_string() for a in assets)
    assert keys == ["clean", "raw"]
    assert {a.specs[0].group_name for a in assets} == {"pkg"}
    checks = fr.load_asset_checks_from_package_module(module)
    assert [c.node_name for c in checks] == ["raw__check__raw_ok"]
    assert fr.materialize(assets).success
    clean_module = sys.modules[f"{package}.sub.clean"]
    assert [a.key.to_user_string() for a in clean_module.here] == ["clean"]


def test_package_loading_refuses_a_plain_module():
    with pytest.raises(fr.DefinitionsError, match="expected a package"):
        fr.load_assets_from_package_module(textwrap)


def test_observation_returning_an_observe_result_records_version_and_metadata():
    @fr.observable_source_asset
    def feed():
        return fr.ObserveResult(data_version="v9", metadata={"size": 12})

    result = fr.observe([feed])
    [event] = result.get_asset_observation_events()
    assert event.data["data_version"] == "v9"
    assert event.data["metadata"]["size"]["value"] == 12


def test_observe_result_without_a_version_fails_clearly():
    @fr.observable_source_asset
    def feed():
        return fr.ObserveResult(metadata={"size": 1})

    result = fr.observe([feed], raise_on_error=False)
    assert not result.success
    assert "without data_version" in result.failure_message


def test_map_asset_specs_must_keep_keys():
    with pytest.raises(fr.DefinitionsError, match="same key"):
        fr.map_asset_specs(lambda spec: fr.AssetSpec("other"), [fr.AssetSpec("mine")])


def test_partitioned_config_needs_a_partitions_definition():
    with pytest.raises(fr.DefinitionsError, match="partitions_def must be"):
        fr.partitioned_config(partitions_def="daily")

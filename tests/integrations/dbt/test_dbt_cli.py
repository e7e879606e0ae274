"""dbt projects run by freshet against real dbt-core and dbt-duckdb: building every node,
subsets, failures and a profile that cannot connect. Slow (each test runs dbt)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import freshet as fr
from freshet.integrations.dbt import DbtCliResource, DbtProject, dbt_assets

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).parent / "project"
MODELS = {"stg_listens", "track_plays", "fragile", "after_fragile", "tracks", "tracks_snapshot"}


def _copy_project(folder: Path, database: str) -> Path:
    shutil.copytree(PROJECT, folder, ignore=shutil.ignore_patterns("target", "*.duckdb", "logs"))
    (folder / "profiles.yml").write_text(
        "freshet_test_project:\n  target: dev\n  outputs:\n    dev:\n"
        f"      type: duckdb\n      path: '{database}'\n      threads: 1\n"
    )
    return folder


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> DbtProject:
    root = tmp_path_factory.mktemp("dbt")
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as conn:
        conn.execute("CREATE SCHEMA raw")
        conn.execute(
            "CREATE TABLE raw.listens AS SELECT * FROM (VALUES ('u1', 1, 30), ('u2', 2, 200), "
            "('u1', 3, 95)) t(user_id, track_id, seconds)"
        )
    dbt_project = DbtProject(_copy_project(root / "project", str(database)))
    dbt_project.prepare_if_missing()
    return dbt_project


def _defs(project: DbtProject, vars_: str | None = None) -> fr.Definitions:
    extra = ["--vars", vars_] if vars_ else []

    @dbt_assets(manifest=project.manifest_path)
    def music_dbt(context: fr.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build", *extra], context=context).stream()

    return fr.Definitions(
        assets=[music_dbt], resources={"dbt": DbtCliResource(project_dir=str(project.project_dir))}
    )


def test_build_materializes_each_node_and_reports_each_test_as_a_check(project):
    result = fr.materialize(_defs(project), instance=fr.Instance.ephemeral())
    mats = {m.asset_key.to_user_string(): m for m in result.get_asset_materialization_events()}
    assert set(mats) == MODELS
    assert mats["tracks"].metadata["rows_affected"].value == 3
    assert mats["track_plays"].metadata["execution_time_s"].value > 0
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == {
        "not_null_stg_listens_user_id",
        "not_null_stg_listens_seconds",
        "unique_track_plays_track_id",
    }
    assert all(c.passed for c in checks.values())
    assert checks["not_null_stg_listens_seconds"].severity == "WARN"
    assert checks["not_null_stg_listens_user_id"].severity == "ERROR"


def test_a_subset_run_builds_only_the_selected_models(project):
    instance = fr.Instance.ephemeral()
    result = fr.materialize(_defs(project), selection="track_plays", instance=instance)
    assert [m.asset_key.to_user_string() for m in result.get_asset_materialization_events()] == [
        "track_plays"
    ]
    assert [c.check_name for c in result.get_asset_check_evaluations()] == [
        "unique_track_plays_track_id"
    ]


def test_a_failing_model_fails_skips_its_downstream_and_keeps_the_rest(project):
    result = fr.materialize(
        _defs(project, "{break_fragile: true}"),
        instance=fr.Instance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    built = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert built == MODELS - {"fragile", "after_fragile"}
    assert len(result.get_asset_check_evaluations()) == 3
    message = result.failure_message
    assert "model.freshet_test_project.fragile: error" in message
    assert "no_such_column" in message
    assert "skipped because of the failures: model.freshet_test_project.after_fragile" in message


def test_a_profile_that_cannot_connect_fails_with_dbts_reason(project, tmp_path):
    broken = _copy_project(tmp_path / "broken", "/nonexistent/folder/warehouse.duckdb")
    shutil.copytree(project.project_dir / "target", broken / "target")
    result = fr.materialize(
        _defs(DbtProject(broken)),
        selection="tracks",
        raise_on_error=False,
        instance=fr.Instance.ephemeral(),
    )
    assert not result.success
    assert "dbt build --select" in result.failure_message
    assert "/nonexistent/folder/warehouse.duckdb" in result.failure_message


def test_a_command_without_a_context_runs_and_reports_its_nodes(project):
    dbt = DbtCliResource(project_dir=str(project.project_dir))
    invocation = dbt.cli(["seed"], raise_on_error=False)
    assert invocation.is_successful()
    assert [(r.unique_id, r.status, r.rows_affected) for r in invocation.results] == [
        ("seed.freshet_test_project.tracks", "success", 3)
    ]
    assert invocation.get_artifact("run_results.json")["results"][0]["status"] == "success"

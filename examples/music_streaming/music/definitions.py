"""The project's definitions: raw events, the dbt project, features, model and report."""

from __future__ import annotations

import freshet as fr
from freshet.integrations.dbt import DbtCliResource, DbtProject, DbtTranslator, dbt_assets
from freshet.integrations.duckdb import DuckDBPandasIOManager, DuckDBResource
from freshet.integrations.pandas import PandasParquetIOManager
from music import ml, raw
from music.paths import DATA_DIR, DATABASE, DBT_PROJECT_DIR

dbt_project = DbtProject(DBT_PROJECT_DIR)


class MusicTranslator(DbtTranslator):
    """dbt's source ``raw.listens`` is the freshet asset ``raw/listens``; marts must be at
    most a day old."""

    def get_asset_key(self, node):
        if node.resource_type == "source":
            return fr.AssetKey([node.source_name, node.name])
        return super().get_asset_key(node)

    def get_group_name(self, node):
        return "marts" if "marts" in node.fqn else "staging"

    def get_freshness_policy(self, node):
        if "marts" in node.fqn:
            return fr.FreshnessPolicy(maximum_lag_minutes=24 * 60)
        return None


@dbt_assets(manifest=dbt_project, translator=MusicTranslator(), io_manager_key="marts")
def music_dbt(context: fr.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


defs = fr.Definitions(
    assets=[raw.listens, music_dbt, ml.user_features, ml.plan_model, ml.weekly_report],
    asset_checks=[
        raw.listen_durations_are_plausible,
        ml.features_are_complete,
        ml.model_beats_the_baseline,
    ],
    resources={
        "warehouse": DuckDBPandasIOManager(database=DATABASE),
        "marts": DuckDBPandasIOManager(database=DATABASE, schema="main"),
        "parquet": PandasParquetIOManager(base_path=str(DATA_DIR / "parquet")),
        "duckdb": DuckDBResource(database=DATABASE),
        "dbt": DbtCliResource(project_dir=str(DBT_PROJECT_DIR)),
    },
)

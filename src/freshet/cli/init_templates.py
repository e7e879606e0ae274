"""The files `freshet init` writes, per example: relative path -> text. ``{name}`` is the
project name and ``{package}`` its Python package; other braces are doubled."""

from __future__ import annotations

PYPROJECT = """[project]
name = "{name}"
version = "0.1.0"
description = "A freshet project."
requires-python = ">=3.11"
dependencies = [{dependencies}]

[project.optional-dependencies]
dev = ["pytest"]

[tool.freshet]
module = "{package}.definitions"

[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
"""

GITIGNORE = """.freshet/
__pycache__/
*.duckdb
*.duckdb.wal
target/
logs/
"""

TEST = '''"""The project's definitions load, and every asset materializes."""

import freshet as fr

from {package}.definitions import defs


def test_every_asset_materializes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the assets write go to a scratch folder
    result = fr.materialize(defs, instance=fr.Instance.ephemeral())
    assert result.success
    assert result.get_asset_materialization_events()
'''

README = """# {name}

A freshet project{what}.

```sh
pip install -e '.[dev]'
freshet materialize --select '*'   # materialize every asset
freshet assets list                # what exists, and whether it is stale
pytest                             # the project's tests
```

The definitions are in `{package}/definitions.py`; `[tool.freshet]` in `pyproject.toml`
points freshet at them.
"""

BASIC_DEFS = '''"""The assets of {name}: a small pipeline to start from."""

import freshet as fr


@fr.asset(group_name="{package}")
def numbers() -> list[int]:
    """Some numbers (replace with data read from a file, an API or a database)."""
    return [3, 1, 4, 1, 5, 9, 2, 6]


@fr.asset(group_name="{package}")
def total(numbers: list[int]) -> int:
    """The sum of the numbers: the parameter name is the upstream asset."""
    return sum(numbers)


@fr.asset_check(asset=numbers, description="Every number is positive.")
def numbers_are_positive(numbers: list[int]) -> fr.AssetCheckResult:
    return fr.AssetCheckResult(passed=all(n > 0 for n in numbers))


defs = fr.Definitions(assets=[numbers, total], asset_checks=[numbers_are_positive])
'''

CEREAL_CSV = """name,mfr,calories,sugars,cups
100% Bran,N,70,6,0.33
All-Bran,K,70,5,0.33
Apple Jacks,K,110,14,1
Cap'n'Crunch,Q,120,12,0.75
Cheerios,G,110,1,1.25
Cocoa Puffs,G,110,13,1
Corn Flakes,K,100,2,1
Froot Loops,K,110,13,1
Golden Grahams,G,110,9,0.75
Honey Smacks,K,110,15,0.75
Raisin Bran,K,120,12,0.75
Rice Krispies,K,110,3,1.1
Shredded Wheat,N,80,0,1
Wheaties,G,100,3,1
"""

CEREAL_DEFS = '''"""Which breakfast cereals have the most sugar per cup? Reads cereal.csv beside this file."""

import csv
import statistics
from pathlib import Path
from typing import Any

import freshet as fr

CSV_PATH = Path(__file__).with_name("cereal.csv")
Rows = list[dict[str, Any]]


@fr.asset(group_name="cereal", kinds={{"python", "csv"}})
def cereals() -> Rows:
    """Every cereal of cereal.csv."""
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        return [
            {{"name": row["name"], "sugars": float(row["sugars"]), "cups": float(row["cups"])}}
            for row in csv.DictReader(handle)
        ]


@fr.asset(group_name="cereal")
def sugar_per_cup(cereals: Rows) -> Rows:
    """Grams of sugar in one cup of each cereal."""
    return [
        {{"name": row["name"], "sugar_per_cup": round(row["sugars"] / row["cups"], 2)}}
        for row in cereals
        if row["cups"] > 0
    ]


@fr.asset(group_name="cereal")
def sugariest_cereals(sugar_per_cup: Rows) -> Rows:
    """The cereals above the 75th percentile of sugar per cup, sugariest first."""
    cutoff = statistics.quantiles([r["sugar_per_cup"] for r in sugar_per_cup], n=4)[2]
    top = [r for r in sugar_per_cup if r["sugar_per_cup"] > cutoff]
    return sorted(top, key=lambda r: -r["sugar_per_cup"])


@fr.asset_check(asset=sugar_per_cup, description="No cereal has negative sugar.")
def no_negative_sugar(sugar_per_cup: Rows) -> fr.AssetCheckResult:
    return fr.AssetCheckResult(passed=all(r["sugar_per_cup"] >= 0 for r in sugar_per_cup))


defs = fr.Definitions(
    assets=[cereals, sugar_per_cup, sugariest_cereals], asset_checks=[no_negative_sugar]
)
'''

DBT_DEFS = '''"""A DuckDB warehouse fed by Python and transformed by dbt: raw orders (pandas, stored
as a DuckDB table), dbt staging and mart models, and a pandas summary of the mart."""

import os
from pathlib import Path

import pandas as pd

import freshet as fr
from freshet.integrations.dbt import DbtCliResource, DbtProject, DbtTranslator, dbt_assets
from freshet.integrations.duckdb import DuckDBPandasIOManager, DuckDBResource

HERE = Path(__file__).parent
# One warehouse file for freshet and dbt: dbt's profile reads the same variable.
DATABASE = os.environ.setdefault("{upper}_DATABASE", str(HERE.parent / "warehouse.duckdb"))
dbt_project = DbtProject(HERE / "dbt_project")


@fr.asset(key_prefix=["raw"], group_name="raw", io_manager_key="warehouse")
def orders() -> pd.DataFrame:
    """Orders as the shop's app exports them (replace with your extract)."""
    return pd.DataFrame(
        {{
            "order_id": [1, 2, 3, 4, 5],
            "customer": ["ada", "bo", "ada", "cy", "bo"],
            "amount": [12.5, 8.0, 30.0, 4.25, 19.0],
        }}
    )


class Translator(DbtTranslator):
    def get_asset_key(self, node):
        if node.resource_type == "source":  # dbt's sources are the raw assets above
            return fr.AssetKey(["raw", node.name])
        return super().get_asset_key(node)


@dbt_assets(manifest=dbt_project, translator=Translator())
def warehouse_models(context: fr.AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()


@fr.asset(deps=["customer_revenue"], group_name="reports")
def top_customer(duckdb: DuckDBResource) -> str:
    """The customer with the most revenue, read from the dbt mart."""
    with duckdb.get_connection() as conn:
        frame = conn.execute("SELECT * FROM customer_revenue ORDER BY revenue DESC").df()
    return str(frame.iloc[0]["customer"])


defs = fr.Definitions(
    assets=[orders, warehouse_models, top_customer],
    resources={{
        "warehouse": DuckDBPandasIOManager(database=DATABASE),
        "duckdb": DuckDBResource(database=DATABASE),
        "dbt": DbtCliResource(project_dir=str(dbt_project.project_dir)),
    }},
)
'''

DBT_PROJECT_YML = """name: {package}
version: "1.0"
config-version: 2
profile: {package}
model-paths: ["models"]
"""

DBT_PROFILES = """{package}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{{{ env_var('{upper}_DATABASE', 'warehouse.duckdb') }}}}"
      threads: 1
"""

DBT_SOURCES = """version: 2
sources:
  - name: raw
    schema: raw
    tables:
      - name: orders
models:
  - name: stg_orders
    description: Orders with clean types.
    columns:
      - name: order_id
        data_tests: [unique, not_null]
  - name: customer_revenue
    description: Revenue per customer.
    columns:
      - name: customer
        data_tests: [unique]
"""

DBT_STG = """select order_id, customer, cast(amount as double) as amount
from {{{{ source('raw', 'orders') }}}}
"""

DBT_MART = """select customer, sum(amount) as revenue, count(*) as orders
from {{{{ ref('stg_orders') }}}}
group by customer
"""

DBT_TEST = '''"""The project's definitions load, and every asset materializes into a scratch warehouse."""

import freshet as fr


def test_every_asset_materializes(tmp_path, monkeypatch):
    monkeypatch.setenv("{upper}_DATABASE", str(tmp_path / "warehouse.duckdb"))
    from {package}.definitions import defs

    result = fr.materialize(defs, instance=fr.Instance.ephemeral())
    assert result.success
    assert result.asset_value("top_customer") == "ada"
'''

EXAMPLES: dict[str, dict[str, str]] = {
    "basic": {
        "{package}/__init__.py": "",
        "{package}/definitions.py": BASIC_DEFS,
        "tests/test_definitions.py": TEST,
    },
    "cereal": {
        "{package}/__init__.py": "",
        "{package}/definitions.py": CEREAL_DEFS,
        "{package}/cereal.csv": CEREAL_CSV,
        "tests/test_definitions.py": TEST,
    },
    "dbt_duckdb": {
        "{package}/__init__.py": "",
        "{package}/definitions.py": DBT_DEFS,
        "{package}/dbt_project/dbt_project.yml": DBT_PROJECT_YML,
        "{package}/dbt_project/profiles.yml": DBT_PROFILES,
        "{package}/dbt_project/models/schema.yml": DBT_SOURCES,
        "{package}/dbt_project/models/stg_orders.sql": DBT_STG,
        "{package}/dbt_project/models/customer_revenue.sql": DBT_MART,
        "tests/test_definitions.py": DBT_TEST,
    },
}

DEPENDENCIES = {
    "basic": '"freshet"',
    "cereal": '"freshet"',
    "dbt_duckdb": '"freshet[pandas,duckdb,dbt]"',
}

DESCRIPTIONS = {
    "basic": "",
    "cereal": ": which breakfast cereals have the most sugar per cup",
    "dbt_duckdb": ": a DuckDB warehouse fed by Python and transformed by dbt",
}

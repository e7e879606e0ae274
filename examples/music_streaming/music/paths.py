"""Where the example keeps its files: ``$MUSIC_DATA_DIR``, else ``data/`` beside the project."""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("MUSIC_DATA_DIR", PROJECT_DIR / "data")).resolve()
DATABASE = str(DATA_DIR / "warehouse.duckdb")
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"

# dbt's profile reads the warehouse path from this variable: freshet and dbt share one file.
os.environ["MUSIC_WAREHOUSE"] = DATABASE

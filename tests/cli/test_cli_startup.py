"""Commands that need no database load no storage library: a new project's first `check`,
`--help` and `assets list` stay fast. `materialize` of a plain asset loads only what its run
uses: no config validation (pydantic), migration tool, YAML, selection grammar, partitions
or PostgreSQL dialect."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
from freshet.cli.main import cli
code = cli.main(sys.argv[1:], prog_name="freshet", standalone_mode=False)
loaded = sorted(m for m in ("sqlalchemy", "alembic") if m in sys.modules)
print(json.dumps({"code": code, "loaded": loaded}))
"""

DEFS = """
import freshet as fr

@fr.asset
def one():
    return 1

defs = fr.Definitions(assets=[one])
"""


@pytest.mark.parametrize(
    "args",
    [("check",), ("--help",), ("assets", "list")],
    ids=["check", "help", "assets-list"],
)
def test_commands_without_a_database_import_no_storage_library(project, args):
    (project / "defs.py").write_text(DEFS)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "-f", "defs.py", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    assert not (project.parent / "home").exists()  # nothing created either


MATERIALIZE_PROBE = """
import json, sys
from freshet.cli.main import cli
code = cli.main(sys.argv[1:], prog_name="freshet", standalone_mode=False)
names = (
    "pydantic",
    "alembic",
    "yaml",
    "croniter",
    "freshet.lineage.selection",
    "freshet.core.partitions",
    "sqlalchemy.dialects.postgresql",
)
print(json.dumps({"code": code, "loaded": sorted(m for m in names if m in sys.modules)}))
"""


def test_materialize_of_a_plain_asset_loads_no_validation_migration_yaml_or_selection(project):
    (project / "defs.py").write_text(DEFS)
    for _ in range(2):  # the first run creates the database, the second opens it
        out = subprocess.run(
            [sys.executable, "-c", MATERIALIZE_PROBE, "-f", "defs.py", "materialize"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result == {"code": 0, "loaded": []}

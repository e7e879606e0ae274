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
names = sys.argv[1].split(",")
code = cli.main(sys.argv[2:], prog_name="freshet", standalone_mode=False)
print(json.dumps({"code": code, "loaded": sorted(m for m in names if m in sys.modules)}))
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
    result = run_probe(project, ("sqlalchemy", "alembic"), args)
    assert result["loaded"] == []
    assert not (project.parent / "home").exists()  # nothing created either


def run_probe(project, modules, args):
    """Run `freshet -f defs.py ARGS` in a fresh interpreter: its exit code and which of
    `modules` it loaded."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(modules), "-f", "defs.py", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


MATERIALIZE_AVOIDS = (
    "pydantic",
    "alembic",
    "yaml",
    "croniter",
    "freshet.lineage.selection",
    "freshet.core.partitions",
    "sqlalchemy.dialects.postgresql",
    # a home without freshet.yaml takes every default without loading the config parser
    "freshet.instance.config",
    "freshet.instance.queue_config",
    # a run stores no daemon state
    "freshet.storage.state_records",
)


def test_materialize_of_a_plain_asset_loads_no_validation_migration_yaml_or_selection(project):
    (project / "defs.py").write_text(DEFS)
    for _ in range(2):  # the first run creates the database, the second opens it
        result = run_probe(project, MATERIALIZE_AVOIDS, ["materialize"])
        assert result == {"code": 0, "loaded": []}

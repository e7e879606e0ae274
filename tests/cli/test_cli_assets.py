"""`freshet assets list`: keys, groups, kinds and last materialization."""

from __future__ import annotations

import json

import pytest

DEFS = """
import freshet as fr

source = fr.AssetSpec("upstream_table", group_name="ingest")

@fr.asset(group_name="ingest", kinds={"python", "duckdb"}, deps=[source])
def events():
    return 1

@fr.asset(group_name="report")
def summary(events):
    return events

defs = fr.Definitions(assets=[source, events, summary])
"""


@pytest.fixture
def defs_file(write):
    return write("defs.py", DEFS)


def _rows(stdout: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split() for line in stdout.splitlines()[1:]}


def test_lists_every_asset_with_group_and_kinds(invoke, defs_file):
    result = invoke("-f", "defs.py", "assets", "list")
    assert result.exit_code == 0
    rows = _rows(result.stdout)
    assert rows["events"][1:3] == ["ingest", "duckdb,python"]
    assert rows["summary"][1:] == ["report", "-", "never"]
    assert rows["upstream_table"][-1] == "(source)"


def test_shows_when_an_asset_was_last_materialized(invoke, defs_file):
    invoke("-f", "defs.py", "materialize", "--select", "events")
    rows = _rows(invoke("-f", "defs.py", "assets", "list").stdout)
    assert rows["events"][3].count("-") == 2  # a YYYY-MM-DD date
    assert rows["summary"][-1] == "never"


def test_select_and_json(invoke, defs_file):
    materialized = invoke("-f", "defs.py", "materialize", "--select", "events")
    run_id = materialized.stdout.splitlines()[-1].split()[1]
    result = invoke("-f", "defs.py", "assets", "list", "--select", "group:ingest", "--json")
    listed = {row["key"]: row for row in json.loads(result.stdout)}
    assert set(listed) == {"events", "upstream_table"}
    assert listed["upstream_table"]["materializable"] is False
    assert listed["events"]["last_run_id"] == run_id
    assert listed["events"]["last_materialized_at"].endswith("+00:00")


def test_unknown_asset_in_select_exits_2(invoke, defs_file):
    result = invoke("-f", "defs.py", "assets", "list", "--select", "nope")
    assert result.exit_code == 2
    assert "'nope'" in result.stderr

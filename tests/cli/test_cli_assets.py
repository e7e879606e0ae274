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
    assert rows["summary"][1:] == ["report", "-", "-", "never"]  # no kinds, no checks
    assert rows["upstream_table"][-1] == "(source)"


def test_shows_when_an_asset_was_last_materialized(invoke, defs_file):
    invoke("-f", "defs.py", "materialize", "--select", "events")
    rows = _rows(invoke("-f", "defs.py", "assets", "list").stdout)
    assert rows["events"][4].count("-") == 2  # a YYYY-MM-DD date
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


CHECKED = """
import freshet as fr

@fr.asset
def orders():
    return [1, -2]

@fr.asset_check(asset=orders)
def all_positive(orders):
    bad = [o for o in orders if o <= 0]
    return fr.AssetCheckResult(passed=not bad, metadata={"bad_rows": len(bad)})

@fr.asset
def customers():
    return ["a"]

defs = fr.Definitions(assets=[orders, customers], asset_checks=[all_positive])
"""


def test_a_failed_check_shows_in_assets_list_and_status(invoke, write):
    write("defs.py", CHECKED)
    invoke("-f", "defs.py", "materialize")
    rows = _rows(invoke("-f", "defs.py", "assets", "list").stdout)
    assert rows["orders"][3:6] == ["1", "failed", "(ERROR)"]
    status = invoke("-f", "defs.py", "assets", "status").stdout
    orders_line = next(line for line in status.splitlines() if line.startswith("orders"))
    assert "1 failed (ERROR)" in orders_line
    listed = json.loads(invoke("-f", "defs.py", "assets", "list", "--json").stdout)
    [check] = next(row for row in listed if row["key"] == "orders")["checks"]
    assert check["state"] == "failed"
    assert check["metadata"]["bad_rows"]["value"] == 1
    assert check["evaluated_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ("status:checks_failing", {"orders"}),
        ("status:up_to_date", {"orders", "customers"}),
        ("status:missing", set()),
        ("status:failed", set()),
    ],
    ids=["checks-failing", "up-to-date", "missing", "failed"],
)
def test_status_terms_work_in_assets_list(invoke, write, selection, expected):
    write("defs.py", CHECKED)
    invoke("-f", "defs.py", "materialize")
    result = invoke("-f", "defs.py", "assets", "list", "--select", selection, "--json")
    assert result.exit_code == 0, result.output
    assert {row["key"] for row in json.loads(result.stdout)} == expected


def test_status_failed_selects_the_asset_whose_latest_run_failed(invoke, write, monkeypatch):
    write(
        "defs.py",
        """
        import os
        import freshet as fr

        @fr.asset
        def flaky():
            if os.environ.get("BREAK"):
                raise ValueError("broken")
            return 1

        @fr.asset
        def steady():
            return 2

        defs = fr.Definitions(assets=[flaky, steady])
        """,
    )
    invoke("-f", "defs.py", "materialize")
    monkeypatch.setenv("BREAK", "1")
    invoke("-f", "defs.py", "materialize", "--select", "flaky")
    monkeypatch.delenv("BREAK")
    for command in (("assets", "list"), ("assets", "status")):
        result = invoke("-f", "defs.py", *command, "--select", "status:failed", "--json")
        assert [row["key"] for row in json.loads(result.stdout)] == ["flaky"], command
    rerun = invoke("-f", "defs.py", "materialize", "--select", "status:failed")
    assert rerun.exit_code == 0 and "1 materialized" in rerun.stdout


def test_assets_partitions_lists_compact_ranges_per_status(invoke, write):
    write(
        "defs.py",
        """
        import freshet as fr

        HOURLY = fr.HourlyPartitionsDefinition(start_date="2024-01-01-00:00", end_date="2024-03-01-00:00")

        @fr.asset(partitions_def=HOURLY)
        def ticks(context):
            if context.partition_key.endswith("13:00"):
                raise ValueError("no data at 13:00")
            return 1

        defs = fr.Definitions(assets=[ticks])
        """,
    )
    invoke(
        "-f",
        "defs.py",
        "backfill",
        "--select",
        "ticks",
        "--from",
        "2024-01-02-10:00",
        "--to",
        "2024-01-02-15:00",
    )
    result = invoke("-f", "defs.py", "assets", "partitions", "ticks", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["total"] == 60 * 24
    assert listed["materialized"] == [
        "2024-01-02-10:00...2024-01-02-12:00",
        "2024-01-02-14:00...2024-01-02-15:00",
    ]
    assert listed["failed"] == ["2024-01-02-13:00"]
    assert listed["missing"] == [
        "2024-01-01-00:00...2024-01-02-09:00",
        "2024-01-02-16:00...2024-02-29-23:00",
    ]
    failed_only = invoke("-f", "defs.py", "assets", "partitions", "ticks", "--status", "failed")
    assert failed_only.stdout.splitlines()[1:] == ["failed (1): 2024-01-02-13:00"]
    status = invoke("-f", "defs.py", "assets", "status").stdout
    ticks_line = next(line for line in status.splitlines() if line.startswith("ticks"))
    assert "5/1,440 materialized, 1 failed, 1,434 missing" in ticks_line
    assert ticks_line.split()[1] == "missing"


SHOWN = """
import freshet as fr

@fr.asset(group_name="ingest", code_version="3", description="raw orders", owners=["team:data"])
def orders(context):
    context.add_output_metadata({"rows": 2})
    return [1, 2]

@fr.asset_check(asset=orders)
def has_rows(orders):
    return fr.AssetCheckResult(passed=bool(orders))

@fr.asset
def report(orders):
    return sum(orders)

defs = fr.Definitions(assets=[orders, report], asset_checks=[has_rows])
"""


def test_assets_show_gives_definition_materializations_metadata_and_checks(invoke, write):
    write("defs.py", SHOWN)
    assert invoke("-f", "defs.py", "assets", "show", "orders").stdout.count("never") == 1
    for _ in range(3):
        invoke("-f", "defs.py", "materialize")
    result = invoke("-f", "defs.py", "assets", "show", "orders", "--limit", "2", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["group"], shown["code_version"], shown["description"]) == (
        "ingest",
        "3",
        "raw orders",
    )
    assert shown["downstream"] == ["report"] and shown["upstream"] == []
    assert len(shown["materializations"]) == 2
    latest = shown["materializations"][0]
    assert latest["metadata"]["rows"]["value"] == 2
    assert latest["code_version"] == "3" and latest["data_version"]
    assert latest["timestamp"].endswith("+00:00")
    assert [c["state"] for c in shown["checks"]] == ["passed"]
    text = invoke("-f", "defs.py", "assets", "show", "orders").stdout
    assert "latest materialization:" in text and "  rows: 2" in text


def test_assets_show_of_an_unknown_key_suggests_the_closest(invoke, write):
    write("defs.py", SHOWN)
    result = invoke("-f", "defs.py", "assets", "show", "order")
    assert result.exit_code == 2
    assert "did you mean 'orders'" in result.stderr

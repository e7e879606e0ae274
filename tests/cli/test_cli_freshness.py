"""Freshness on the command line: a FRESHNESS column beside staleness in `assets status`, the
freshness object in its JSON, and `status:late` in every --select."""

from __future__ import annotations

import json

DEFS = """
import freshet as fr

@fr.asset(freshness_policy=fr.FreshnessPolicy(maximum_lag_minutes=0))
def always_behind():
    return 1

@fr.asset(freshness_policy=fr.FreshnessPolicy(maximum_lag_minutes=600))
def relaxed(always_behind):
    return always_behind

@fr.asset
def no_policy():
    return 2

defs = fr.Definitions(assets=[always_behind, relaxed, no_policy])
"""


def test_assets_status_shows_freshness_beside_staleness(write, invoke):
    write("defs.py", DEFS)
    assert invoke("-f", "defs.py", "materialize").exit_code == 0
    result = invoke("-f", "defs.py", "assets", "status")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:] if line.strip()}
    assert "FRESHNESS" in result.output.splitlines()[0]
    assert "up_to_date  late 0 min" in lines["always_behind"]
    assert "up_to_date  on time" in lines["relaxed"]
    assert lines["no_policy"].split()[2] == "-"
    listed = json.loads(invoke("-f", "defs.py", "assets", "status", "--json").output)
    by_key = {item["key"]: item for item in listed}
    assert by_key["always_behind"]["freshness"]["status"] == "late"
    assert by_key["no_policy"]["freshness"] is None


def test_status_late_selects_late_assets(write, invoke):
    write("defs.py", DEFS)
    invoke("-f", "defs.py", "materialize")
    result = invoke("-f", "defs.py", "assets", "list", "--select", "status:late", "--json")
    assert result.exit_code == 0, result.output
    assert [item["key"] for item in json.loads(result.output)] == ["always_behind"]

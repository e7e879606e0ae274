"""`freshet checks list`: asset checks with their latest results."""

from __future__ import annotations

import json

DEFS = """
import freshet as fr

@fr.asset
def orders():
    return [1, -2]

@fr.asset_check(asset=orders)
def all_positive(orders):
    bad = [o for o in orders if o <= 0]
    return fr.AssetCheckResult(passed=not bad, metadata={"bad_rows": len(bad)})

@fr.asset_check(asset=orders)
def not_empty(orders):
    return fr.AssetCheckResult(passed=bool(orders))

@fr.asset
def customers():
    return ["a"]

@fr.asset_check(asset=customers, description="some rows")
def has_rows(customers):
    return fr.AssetCheckResult(passed=True)

defs = fr.Definitions(assets=[orders, customers], asset_checks=[all_positive, not_empty, has_rows])
"""


def _listed(invoke, *args):
    result = invoke("-f", "defs.py", "checks", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return {row["check"]: row for row in json.loads(result.stdout)}


def test_checks_list_shows_every_check_with_its_latest_result(invoke, write):
    write("defs.py", DEFS)
    assert {r["state"] for r in _listed(invoke).values()} == {"not evaluated"}
    invoke("-f", "defs.py", "materialize")
    listed = _listed(invoke)
    assert {name: row["state"] for name, row in listed.items()} == {
        "orders:all_positive": "failed",
        "orders:not_empty": "passed",
        "customers:has_rows": "passed",
    }
    assert listed["orders:all_positive"]["metadata"]["bad_rows"]["value"] == 1
    table = invoke("-f", "defs.py", "checks", "list").stdout
    assert "orders:all_positive  failed  ERROR" in table


def test_checks_list_failed_and_select(invoke, write):
    write("defs.py", DEFS)
    invoke("-f", "defs.py", "materialize")
    assert set(_listed(invoke, "--failed")) == {"orders:all_positive"}
    assert set(_listed(invoke, "--select", "customers")) == {"customers:has_rows"}
    assert set(_listed(invoke, "--select", "status:checks_failing")) == {
        "orders:all_positive",
        "orders:not_empty",
    }

"""`freshet assets status`, `freshet observe` and `materialize --select status:...`."""

import json

DEFS = """
import freshet as fr

@fr.observable_source_asset
def raw():
    return fr.DataVersion("{source}")

@fr.asset(deps=[raw], code_version="{code}")
def clean():
    return 1

@fr.asset
def report(clean):
    return clean + 1

defs = fr.Definitions(assets=[raw, clean, report])
"""


def _defs(write, code="1", source="1"):
    write("defs.py", DEFS.format(code=code, source=source))


def _status(invoke):
    result = invoke("-f", "defs.py", "assets", "status", "--json")
    assert result.exit_code == 0, result.output
    return {row["key"]: row for row in json.loads(result.output)}


def test_status_lists_missing_assets(write, invoke):
    _defs(write)
    result = invoke("-f", "defs.py", "assets", "status")
    assert result.exit_code == 0
    assert "clean" in result.output and "missing" in result.output
    assert "2 missing" in result.output


def test_status_explains_a_code_change_and_materialize_stale_fixes_it(write, invoke):
    _defs(write)
    assert invoke("-f", "defs.py", "observe").exit_code == 0
    assert invoke("-f", "defs.py", "materialize").exit_code == 0
    assert {row["status"] for row in _status(invoke).values()} == {"up_to_date"}
    _defs(write, code="2")
    rows = _status(invoke)
    assert rows["clean"]["causes"][0]["message"] == "code version changed from 1 to 2"
    assert rows["report"]["causes"][0]["category"] == "DEPENDENCY"
    result = invoke("-f", "defs.py", "materialize", "--select", "status:stale or status:missing")
    assert result.exit_code == 0, result.output
    assert "2 materialized" in result.output
    assert {row["status"] for row in _status(invoke).values()} == {"up_to_date"}


def test_new_observation_makes_downstream_stale(write, invoke):
    _defs(write)
    invoke("-f", "defs.py", "observe")
    invoke("-f", "defs.py", "materialize")
    _defs(write, source="2")
    result = invoke("-f", "defs.py", "observe", "--select", "raw")
    assert result.exit_code == 0
    assert "1 observed" in result.output
    cause = _status(invoke)["clean"]["causes"][0]
    assert cause["category"] == "DATA"
    assert "upstream raw has a new data version (1 -> 2)" in cause["message"]


def test_materialize_with_nothing_stale_says_so(write, invoke):
    _defs(write)
    invoke("-f", "defs.py", "materialize")
    result = invoke("-f", "defs.py", "materialize", "--select", "status:stale")
    assert result.exit_code == 0
    assert "nothing to materialize" in result.output


def test_unknown_status_value_lists_the_valid_ones(write, invoke):
    _defs(write)
    result = invoke("-f", "defs.py", "assets", "status", "--select", "status:fresh")
    assert result.exit_code == 2
    assert "missing, stale, up_to_date" in result.output
    assert "Traceback" not in result.output

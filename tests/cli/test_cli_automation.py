"""`freshet automation tick [--dry-run] [--at] [--json]`, `explain`, `ticks`, `on`/`off`."""

import json

DEFS = """
import freshet as fr

AC = fr.AutomationCondition

@fr.asset(automation_condition=AC.eager())
def raw():
    return 1

@fr.asset(deps=[raw], automation_condition=AC.eager())
def clean():
    return 1

daily = fr.DailyPartitionsDefinition(start_date="2024-04-01")

@fr.asset(deps=[clean], partitions_def=daily, automation_condition=AC.eager())
def by_day():
    return 1

defs = fr.Definitions(assets=[raw, clean, by_day])
"""


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_dry_run_prints_what_would_be_requested_and_changes_nothing(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "automation", "tick", "--dry-run", "--at", "2024-05-01 09:00")
    assert result.exit_code == 0, result.output
    assert "dry run at 2024-05-01 09:00" in result.output
    assert "would request 3 asset partition(s) in 2 run(s)" in result.output
    assert "run 1: raw, clean" in result.output
    assert "run 2 [2024-04-30]: by_day" in result.output
    assert "raw: because changed since last handled, newly_missing" in result.output
    doc = _json(
        invoke(
            "-f", "defs.py", "automation", "tick", "--dry-run", "--json", "--at", "2024-05-01 09:00"
        )
    )
    assert doc["total_requested"] == 3 and doc["tick_id"] is None
    ticks = _json(invoke("automation", "ticks", "--json"))
    assert ticks == {"enabled": True, "ticks": []}


def test_tick_records_runs_what_it_requests_and_explains_it(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "automation", "tick")
    assert result.exit_code == 0, result.output
    assert "requested 3 asset partition(s)" in result.output
    status = _json(invoke("-f", "defs.py", "assets", "status", "--json"))
    assert {row["key"]: row["status"] for row in status}["clean"] == "up_to_date"
    # the next tick requests nothing: everything was just built
    again = invoke("-f", "defs.py", "automation", "tick")
    assert "requested 0 asset partition(s)" in again.output
    ticks = _json(invoke("automation", "ticks", "--json"))["ticks"]
    assert [(t["requested"], t["runs"]) for t in ticks] == [(0, 0), (3, 2)]
    first = ticks[1]["tick_id"]
    explained = invoke("automation", "explain", "clean", "--tick", str(first))
    assert explained.exit_code == 0, explained.output
    assert f"clean: requested (evaluation stored by tick {first})" in explained.output
    assert "true  newly_missing - missing now and not at the previous tick" in explained.output
    latest = _json(invoke("automation", "explain", "clean", "--json"))
    assert latest["requested"] == 0
    assert latest["tree"]["label"] == "eager"


def test_explain_a_partition(write, invoke):
    write("defs.py", DEFS)
    invoke("-f", "defs.py", "automation", "tick", "--at", "2024-05-01 09:00")
    result = invoke("automation", "explain", "by_day", "--partition", "2024-04-30")
    assert result.exit_code == 0, result.output
    assert "by_day [2024-04-30]: requested" in result.output
    other = invoke("automation", "explain", "by_day", "--partition", "2024-04-01")
    assert "by_day [2024-04-01]: not requested" in other.output


def test_explain_unknown_key_or_tick_is_a_clear_message(write, invoke):
    write("defs.py", DEFS)
    result = invoke("automation", "explain", "nope")
    assert result.exit_code == 2
    assert "asset 'nope' has no automation evaluation" in result.output
    invoke("-f", "defs.py", "automation", "tick", "--dry-run")
    missing_tick = invoke("automation", "explain", "raw", "--tick", "99")
    assert missing_tick.exit_code == 2
    assert "automation tick 99 never ran" in missing_tick.output


def test_off_stops_ticks_until_on(write, invoke):
    write("defs.py", DEFS)
    assert invoke("automation", "off").output.strip() == "automation is off"
    result = invoke("-f", "defs.py", "automation", "tick")
    assert "tick skipped: automation is off" in result.output
    assert _json(invoke("automation", "ticks", "--json")) == {"enabled": False, "ticks": []}
    invoke("automation", "on")
    assert "requested 3" in invoke("-f", "defs.py", "automation", "tick").output


def test_bad_time_is_a_usage_error(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "automation", "tick", "--dry-run", "--at", "tomorrow")
    assert result.exit_code == 2
    assert "'tomorrow' is not a time" in result.output

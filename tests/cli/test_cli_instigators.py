"""`freshet schedules ...` and `freshet sensors ...`: listing with state, on/off stored in the
instance, previews in the schedule's timezone, and a sensor evaluated once."""

from __future__ import annotations

import json

DEFS = """
import freshet as fr

@fr.asset
def table():
    return 1

job = fr.define_asset_job("load", selection="table")

nightly = fr.ScheduleDefinition(
    name="nightly", job=job, cron_schedule="0 2 * * *", execution_timezone="Europe/Berlin"
)

@fr.sensor(job=job, minimum_interval_seconds=10)
def new_files(context):
    n = int(context.cursor or 0) + 1
    context.update_cursor(str(n))
    return fr.RunRequest(run_key=f"file-{n}")

defs = fr.Definitions(assets=[table], jobs=[job], schedules=[nightly], sensors=[new_files])
"""


def test_schedules_list_on_off_and_preview(write, invoke):
    write("defs.py", DEFS)
    listed = invoke("-f", "defs.py", "schedules", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.output)
    assert (row["name"], row["status"], row["cron_schedule"]) == ("nightly", "STOPPED", "0 2 * * *")
    assert row["target"] == "load"
    assert invoke("-f", "defs.py", "schedules", "on", "nightly").exit_code == 0
    [row] = json.loads(invoke("-f", "defs.py", "schedules", "list", "--json").output)
    assert row["status"] == "RUNNING"
    preview = invoke("-f", "defs.py", "schedules", "preview", "nightly", "--count", "3")
    lines = preview.output.splitlines()
    assert len(lines) == 3 and all(line.endswith(("+01:00", "+02:00")) for line in lines)
    assert all("T02:00:00" in line for line in lines)


def test_an_unknown_name_exits_2_with_a_suggestion(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "schedules", "on", "nightlly")
    assert result.exit_code == 2
    assert "no schedule named 'nightlly'" in result.output
    assert "did you mean 'nightly'?" in result.output


def test_sensor_tick_dry_run_then_for_real(write, invoke):
    write("defs.py", DEFS)
    dry = invoke("-f", "defs.py", "sensors", "tick", "new_files", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    answer = json.loads(dry.output)
    assert [r["run_key"] for r in answer["requests"]] == ["file-1"]
    assert json.loads(invoke("runs", "list", "--json").output) == []
    real = invoke("-f", "defs.py", "sensors", "tick", "new_files")
    assert real.exit_code == 0, real.output
    assert "1 run(s) queued" in real.output
    [run] = json.loads(invoke("runs", "list", "--json").output)
    assert run["status"] == "QUEUED"
    ticks = json.loads(invoke("sensors", "ticks", "new_files", "--json").output)
    assert ticks[0]["status"] == "SUCCESS" and ticks[0]["cursor"] == "1"
    again = json.loads(invoke("-f", "defs.py", "sensors", "tick", "new_files", "--json").output)
    assert again["cursor"] == "2"


def test_check_reports_schedules_and_sensors_with_their_targets(write, invoke):
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "check")
    assert result.exit_code == 0, result.output
    assert (
        "schedule nightly: '0 2 * * *' (Europe/Berlin) -> job load, default STOPPED" in result.output
    )
    assert "sensor new_files: standard, at most every 10 s -> job load" in result.output
    assert result.output.splitlines()[-1] == "1 asset, 0 checks, 1 job, 1 schedule, 1 sensor: OK"

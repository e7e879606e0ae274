"""`freshet runs list|show|logs`: reading back what runs recorded."""

from __future__ import annotations

import json

import pytest

DEFS = """
import sys
import freshet as fr

@fr.asset
def loud():
    print("hello stdout")
    print("hello stderr", file=sys.stderr)
    return 1

@fr.asset
def broken(loud):
    raise RuntimeError("kaput")

@fr.asset
def downstream(broken):
    return broken

defs = fr.Definitions(assets=[loud, broken, downstream])
"""


@pytest.fixture
def run_id(write, invoke) -> str:
    write("defs.py", DEFS)
    result = invoke("-f", "defs.py", "materialize")
    assert result.exit_code == 1
    return result.stdout.splitlines()[-2].split()[1]


def test_list_shows_the_run_with_its_status(invoke, run_id):
    result = invoke("runs", "list")
    assert result.exit_code == 0
    header, row = result.stdout.splitlines()
    assert header.split()[:3] == ["RUN", "ID", "STATUS"]
    assert row.startswith(run_id) and "FAILURE" in row


def test_list_json_and_status_filter(invoke, run_id):
    failed = json.loads(invoke("runs", "list", "--json", "--status", "failure").stdout)
    succeeded = json.loads(invoke("runs", "list", "--json", "--status", "SUCCESS").stdout)
    assert [run["run_id"] for run in failed] == [run_id]
    assert failed[0]["asset_selection"] == ["broken", "downstream", "loud"]
    assert succeeded == []


def test_list_without_runs_says_how_to_start_one(invoke):
    result = invoke("runs", "list")
    assert result.exit_code == 0
    assert "freshet materialize" in result.stdout


def test_list_rejects_unknown_status(invoke):
    result = invoke("runs", "list", "--status", "happy")
    assert result.exit_code == 2
    assert "'happy'" in result.stderr


def test_show_summarizes_each_step(invoke, run_id):
    result = invoke("runs", "show", run_id)
    assert result.exit_code == 0
    steps = {line.split()[0]: line for line in result.stdout.split("\n\n")[1].splitlines()[1:]}
    assert "SUCCESS" in steps["loud"]
    assert "FAILURE" in steps["broken"] and "RuntimeError: kaput" in steps["broken"]
    assert "SKIPPED" in steps["downstream"]


def test_show_json_includes_steps(invoke, run_id):
    shown = json.loads(invoke("runs", "show", run_id, "--json").stdout)
    assert shown["status"] == "FAILURE"
    assert [(s["step_key"], s["status"]) for s in shown["steps"]] == [
        ("loud", "SUCCESS"),
        ("broken", "FAILURE"),
        ("downstream", "SKIPPED"),
    ]


def test_logs_print_events_with_level_step_and_the_users_traceback(invoke, run_id):
    result = invoke("runs", "logs", run_id)
    assert result.exit_code == 0
    failure = next(line for line in result.stdout.splitlines() if "STEP_FAILURE" in line)
    assert "ERROR" in failure and " broken " in failure and "kaput" in failure
    assert 'defs.py", line 12, in broken' in result.stdout


def test_logs_filter_by_step(invoke, run_id):
    result = invoke("runs", "logs", run_id, "--step", "loud")
    steps = {line.split()[3] for line in result.stdout.splitlines()}
    assert steps == {"loud"}


@pytest.mark.parametrize(
    ("flag", "expected"),
    [("--stdout", "hello stdout"), ("--stderr", "hello stderr")],
    ids=["stdout", "stderr"],
)
def test_logs_print_compute_logs_of_a_step(invoke, run_id, flag, expected):
    result = invoke("runs", "logs", run_id, "--step", "loud", flag)
    assert result.exit_code == 0
    assert result.stdout.strip() == expected


def test_logs_without_step_print_every_steps_compute_log(invoke, run_id):
    result = invoke("runs", "logs", run_id, "--stdout")
    assert "== loud (stdout) ==\nhello stdout" in result.stdout


@pytest.mark.parametrize("command", ["show", "logs"], ids=["show", "logs"])
def test_unknown_run_exits_2(invoke, command):
    result = invoke("runs", command, "no-such-run")
    assert result.exit_code == 2
    assert "no run 'no-such-run'" in result.stderr and "freshet runs list" in result.stderr


@pytest.mark.parametrize("command", ["show", "logs"], ids=["show", "logs"])
def test_an_eight_character_prefix_names_the_run(invoke, run_id, command):
    result = invoke("runs", command, run_id[:8])
    assert result.exit_code == 0, result.output
    if command == "show":
        assert f"run        {run_id}" in result.stdout


def test_logs_of_an_unknown_step_list_the_steps(invoke, run_id):
    result = invoke("runs", "logs", run_id, "--step", "nope")
    assert result.exit_code == 2
    assert "has no step 'nope'" in result.stderr
    assert "its steps: loud, broken, downstream" in result.stderr


def test_stdout_and_stderr_together_print_both_labelled(invoke, run_id):
    result = invoke("runs", "logs", run_id, "--step", "loud", "--stdout", "--stderr")
    assert result.exit_code == 0
    assert result.stdout == (
        "== loud (stdout) ==\nhello stdout\n== loud (stderr) ==\nhello stderr\n"
    )


CHECKED = """
import freshet as fr

@fr.asset
def orders():
    return [1, -2]

@fr.asset_check(asset=orders)
def all_positive(orders):
    bad = [o for o in orders if o <= 0]
    return fr.AssetCheckResult(passed=not bad, metadata={"bad_rows": len(bad)})

defs = fr.Definitions(assets=[orders], asset_checks=[all_positive])
"""


def test_a_failed_check_is_visible_in_progress_and_in_runs_show(invoke, write):
    write("defs.py", CHECKED)
    materialized = invoke("-f", "defs.py", "materialize")
    check_line = next(line for line in materialized.stdout.splitlines() if "check" in line)
    assert "✗" in check_line and "check failed: orders:all_positive (ERROR)" in check_line
    run_id = materialized.stdout.splitlines()[-1].split()[1]
    shown = invoke("runs", "show", run_id)
    assert "orders:all_positive  FAILED  ERROR     bad_rows=1" in shown.stdout
    assert "1 of 1 check(s) failed" in shown.stdout
    as_json = json.loads(invoke("runs", "show", run_id, "--json").stdout)
    [check] = as_json["checks"]
    assert (check["check"], check["passed"], check["severity"]) == (
        "orders:all_positive",
        False,
        "ERROR",
    )
    assert check["metadata"]["bad_rows"]["value"] == 1


def test_show_names_what_a_re_execution_re_runs_and_reuses(invoke, project):
    from freshet.instance.instance import Instance
    from freshet.storage.records import RunRecord, RunStatus

    root, parent, child = "a" * 32, "b" * 32, "c" * 32
    with Instance.from_home() as instance:
        for run_id, parent_id in ((root, None), (parent, root), (child, parent)):
            instance.storage.add_run(
                RunRecord(
                    run_id=run_id,
                    job_name="etl",
                    status=RunStatus.FAILURE,
                    parent_run_id=parent_id,
                    root_run_id=None if parent_id is None else root,
                    op_selection=None if parent_id is None else ("transform", "load"),
                    reused_outputs=(() if parent_id is None else (("extract", "result", root),)),
                )
            )

    shown = dict(
        line.split(maxsplit=1)
        for line in invoke("runs", "show", child).stdout.splitlines()[:14]
        if line.strip()
    )
    assert shown["re-runs"] == f"{parent} (root {root})"
    assert shown["ops"] == "transform, load"
    assert shown["reused"] == f"extract.result from {root[:8]}"
    first = dict(
        line.split(maxsplit=1)
        for line in invoke("runs", "show", parent).stdout.splitlines()[:14]
        if line.strip()
    )
    assert first["re-runs"] == root  # the parent is the root: named once
    assert "re-runs" not in invoke("runs", "show", root).stdout

    data = json.loads(invoke("runs", "show", child, "--json").stdout)
    assert data["op_selection"] == ["transform", "load"]
    assert data["reused_outputs"] == [{"node": "extract", "output": "result", "run_id": root}]
    assert json.loads(invoke("runs", "show", root, "--json").stdout)["op_selection"] is None

"""`freshet backfill`: a progress counter, a summary naming failed partitions, exit codes,
bad input refused with exit 2, and the list/show/cancel/resume subcommands."""

from __future__ import annotations

import io
import json

import pytest

from freshet.cli.backfill import ProgressCounter
from freshet.core.keys import AssetKey
from freshet.instance.backfill import BackfillProgress, PartitionOutcome

DEFS = """
import os
import freshet as fr

DAILY = fr.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-01-11")

@fr.asset(partitions_def=DAILY)
def raw(context: fr.AssetExecutionContext):
    if os.path.exists("interrupt-" + context.partition_key):
        os.remove("interrupt-" + context.partition_key)
        raise KeyboardInterrupt
    return context.partition_key

@fr.asset(partitions_def=DAILY)
def clean(context: fr.AssetExecutionContext, raw):
    if os.path.exists("fail-" + context.partition_key):
        raise ValueError("bad rows on " + context.partition_key)
    return raw

@fr.asset(partitions_def=DAILY)
def report(clean):
    return clean

@fr.asset
def summary(report):
    return len(report)

defs = fr.Definitions(assets=[raw, clean, report, summary])
"""

SELECT = "raw or clean or report"


@pytest.fixture
def defs_file(write):
    return write("defs.py", DEFS)


def _start(invoke, *args: str):
    return invoke("-f", "defs.py", "backfill", "--select", SELECT, *args)


def _backfill_ids(invoke) -> list[str]:
    result = invoke("backfill", "list", "--json")
    assert result.exit_code == 0, result.output
    return [b["backfill_id"] for b in json.loads(result.stdout)]


def test_success_counts_partitions_and_exits_0(invoke, defs_file):
    result = _start(invoke, "--from", "2024-01-01", "--to", "2024-01-03")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": 3 run(s)")
    assert lines[1:4] == ["[1/3] 2024-01-01 ✓", "[2/3] 2024-01-02 ✓", "[3/3] 2024-01-03 ✓"]
    assert "COMPLETED: 9 materialized, 0 failed, 0 skipped in" in lines[-1]


def test_failed_partition_exits_1_and_the_summary_lists_it(invoke, defs_file, project):
    (project / "fail-2024-01-02").touch()
    result = _start(invoke, "--from", "2024-01-01", "--to", "2024-01-03")
    assert result.exit_code == 1
    out = result.stdout
    assert "[2/3] 2024-01-02 ✗  failed: clean (run " in out
    assert "skipped: report (upstream failed)" in out
    assert "FAILED: 7 materialized, 1 failed, 1 skipped" in out
    assert "failed partitions:\n  clean  2024-01-02\n" in out
    assert "skipped (an upstream partition failed):\n  report  2024-01-02\n" in out
    assert "clean failed: ValueError: bad rows on 2024-01-02" in out
    assert "details: freshet runs logs " in out
    assert (
        "retry the failed partitions: freshet backfill --select 'raw or clean or report' "
        "--from 2024-01-01 --to 2024-01-03 --failed"
    ) in out
    assert "Traceback" not in result.output


def test_failed_flag_reruns_only_the_failed_partition_and_its_downstream(
    invoke, defs_file, project
):
    (project / "fail-2024-01-02").touch()
    _start(invoke, "--from", "2024-01-01", "--to", "2024-01-03")
    (project / "fail-2024-01-02").unlink()
    result = _start(invoke, "--from", "2024-01-01", "--to", "2024-01-03", "--failed")
    assert result.exit_code == 0, result.output
    assert "[1/1] 2024-01-02 ✓" in result.stdout
    assert "COMPLETED: 2 materialized" in result.stdout


def test_missing_without_a_range_runs_every_missing_partition(invoke, defs_file):
    _start(invoke, "--partitions", "2024-01-02,2024-01-05")
    result = _start(invoke, "--missing")
    assert result.exit_code == 0, result.output
    assert ": 8 run(s)" in result.stdout
    assert "2024-01-02 ✓" not in result.stdout


def test_partitions_option_runs_the_listed_keys(invoke, defs_file):
    result = _start(invoke, "--partitions", "2024-01-04, 2024-01-02")
    assert result.exit_code == 0, result.output
    assert "[1/2] 2024-01-02 ✓" in result.stdout
    assert "[2/2] 2024-01-04 ✓" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--from", "2024-01-05", "--to", "2024-01-02"), "backwards"),
        (("--from", "2024-01-01", "--to", "2024-01-32"), "'2024-01-32'"),
        (("--from", "2024-01-01"), "give both --from and --to"),
        ((), "say which partitions"),
        (("--all", "--partitions", "2024-01-01"), "give one of"),
        (("--all", "--missing", "--failed"), "give one of --missing, --failed or --stale"),
        (("--partitions", " , "), "no partition key"),
    ],
    ids=[
        "start-after-end",
        "unknown-key",
        "from-without-to",
        "no-partitions",
        "all-and-partitions",
        "missing-and-failed",
        "empty-partitions",
    ],
)
def test_bad_input_exits_2_and_writes_nothing(invoke, defs_file, args, fragment):
    result = _start(invoke, *args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.output
    assert _backfill_ids(invoke) == []


def test_unpartitioned_asset_in_the_selection_is_refused(invoke, defs_file):
    result = invoke("-f", "defs.py", "backfill", "--select", "*", "--all")
    assert result.exit_code == 2
    assert "cannot backfill unpartitioned assets summary" in result.stderr


def test_missing_select_is_a_usage_error(invoke, defs_file):
    result = invoke("-f", "defs.py", "backfill", "--all")
    assert result.exit_code == 2
    assert "--select EXPR is required" in result.stderr


def test_start_options_with_a_subcommand_are_refused(invoke, defs_file):
    result = invoke("backfill", "--select", "raw", "list")
    assert result.exit_code == 2
    assert "do not go with `backfill list`" in result.stderr


def test_list_and_show_read_the_stored_backfill(invoke, defs_file, project):
    (project / "fail-2024-01-03").touch()
    _start(invoke, "--from", "2024-01-02", "--to", "2024-01-04")
    [backfill_id] = _backfill_ids(invoke)
    listed = invoke("backfill", "list")
    assert listed.exit_code == 0
    row = listed.stdout.splitlines()[1]
    assert row.startswith(f"{backfill_id}  FAILED")
    assert "9/9, 1 failed" in row and "2024-01-02...2024-01-04" in row
    shown = invoke("backfill", "show", backfill_id)
    assert shown.exit_code == 0
    assert "status     FAILED" in shown.stdout
    assert "assets     raw, clean, report" in shown.stdout
    assert "  clean  2024-01-03" in shown.stdout


def test_show_of_an_unknown_backfill_exits_2(invoke, defs_file):
    result = invoke("backfill", "show", "nope")
    assert result.exit_code == 2
    assert "no backfill 'nope'" in result.stderr


def test_list_without_backfills_says_how_to_start_one(invoke, defs_file):
    result = invoke("backfill", "list")
    assert result.exit_code == 0
    assert "no backfills yet" in result.stdout


def test_ctrl_c_exits_130_and_resume_finishes_the_rest(invoke, defs_file, project):
    (project / "interrupt-2024-01-02").touch()
    result = _start(invoke, "--from", "2024-01-01", "--to", "2024-01-03")
    assert result.exit_code == 130
    [backfill_id] = _backfill_ids(invoke)
    assert (
        f"backfill {backfill_id} INTERRUPTED: 3 materialized, 0 failed, 0 skipped, 6 pending"
        in (result.stdout)
    )
    assert f"continue with: freshet backfill resume {backfill_id}" in result.stdout
    resumed = invoke("-f", "defs.py", "backfill", "resume", backfill_id)
    assert resumed.exit_code == 0, resumed.output
    assert "[1/2] 2024-01-02 ✓" in resumed.stdout
    assert f"backfill {backfill_id} COMPLETED: 9 materialized" in resumed.stdout


def test_cancel_makes_an_interrupted_backfill_unresumable(invoke, defs_file, project):
    (project / "interrupt-2024-01-01").touch()
    _start(invoke, "--from", "2024-01-01", "--to", "2024-01-02")
    [backfill_id] = _backfill_ids(invoke)
    canceled = invoke("backfill", "cancel", backfill_id)
    assert canceled.exit_code == 0
    assert f"backfill {backfill_id} canceled" in canceled.stdout
    assert "CANCELED" in invoke("backfill", "list").stdout
    resumed = invoke("-f", "defs.py", "backfill", "resume", backfill_id)
    assert resumed.exit_code == 2
    assert "was canceled" in resumed.stderr


class FakeTerminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_successful_runs_share_one_line_and_failures_stay():
    out = FakeTerminal()
    counter = ProgressCounter(out)
    counter(BackfillProgress(backfill_id="b1", done=0, total=3))
    for done, key in ((1, "2024-01-01"), (2, "2024-01-02")):
        counter(
            BackfillProgress(
                backfill_id="b1",
                done=done,
                total=3,
                label=key,
                outcome=PartitionOutcome.MATERIALIZED,
            )
        )
    counter(
        BackfillProgress(
            backfill_id="b1",
            done=3,
            total=3,
            label="2024-01-03",
            outcome=PartitionOutcome.FAILED,
            run_id="r3",
            failed_assets=(AssetKey("clean"),),
        )
    )
    counter.close()
    assert out.getvalue() == (
        "backfill b1: 3 run(s)\n"
        "\r[1/3] 2024-01-01 ✓\x1b[K"
        "\r[2/3] 2024-01-02 ✓\x1b[K\n"
        "[3/3] 2024-01-03 ✗  failed: clean (run r3)\n"
    )


def test_backfill_commands_accept_an_id_prefix(invoke, defs_file, project):
    (project / "interrupt-2024-01-01").touch()
    _start(invoke, "--from", "2024-01-01", "--to", "2024-01-02")
    [backfill_id] = _backfill_ids(invoke)
    shown = invoke("backfill", "show", backfill_id[:5])
    assert shown.exit_code == 0, shown.output
    assert f"backfill   {backfill_id}" in shown.stdout
    canceled = invoke("backfill", "cancel", backfill_id[:5])
    assert f"backfill {backfill_id} canceled" in canceled.stdout

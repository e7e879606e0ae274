"""Fuzzing the `freshet` command line through click's test runner: any argument list ends in
exit 0, 1 (a run failed) or 2 (usage, definitions, selection or config error) with a message,
never an internal error or a traceback, and a refused command leaves no run behind.
Example counts come from the hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freshet.cli.main import cli
from freshet.instance import Instance

DEFS = """
import freshet as fr

class Scale(fr.Config):
    factor: int = 2

@fr.asset
def raw():
    return [1, 2, 3]

@fr.asset
def scaled(config: Scale, raw):
    return [x * config.factor for x in raw]

@fr.asset(partitions_def=fr.DailyPartitionsDefinition("2024-01-01", end_date="2024-01-05"))
def daily(context):
    return context.partition_key

defs = fr.Definitions(assets=[raw, scaled, daily])
"""
CONFIG_FILES = {
    "good.yaml": "ops:\n  scaled:\n    config:\n      factor: 3\n",
    "wrong.yaml": "ops:\n  scaled:\n    config:\n      factor: ten\n",
    "list.yaml": "- 1\n- 2\n",
    "broken.yaml": "ops: [\n",
    "bomb.yaml": "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n"
        for p, n in zip("abcdef", "bcdefg", strict=True)
    ),
}
COMMANDS = [
    ["runs", "list"],
    ["runs", "show"],
    ["runs", "logs"],
    ["runs", "cancel"],
    ["backfill"],
    ["backfill", "list"],
    ["backfill", "show"],
    ["backfill", "cancel"],
    ["backfill", "resume"],
    ["instance", "info"],
    ["instance", "prune"],
    ["assets", "list"],
    ["assets", "status"],
    ["materialize"],
    ["check"],
    ["observe"],
]
OPTIONS = [
    "--limit",
    "--status",
    "--json",
    "--select",
    "--partition",
    "--partition-range",
    "--from",
    "--to",
    "--partitions",
    "--all",
    "--missing",
    "--config",
    "--tag",
    "--older-than",
    "--step",
    "--stdout",
    "--stderr",
    "--yes",
    "-h",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "raw",
            "scaled",
            "daily",
            "raw or scaled",
            "*",
            "nope",
            "2+scaled",
            "1" * 4400 + "+raw",
            "2024-01-02",
            "2024-01-02...2024-01-04",
            "2024-01-04...2024-01-02",
            "9999-12-31",
            "2024-01-01+99:99",
            "0",
            "-1",
            "20",
            "99999999999999999999999",
            "10000000000000d",
            "30d",
            "1.5h",
            "nan",
            "success",
            "FAILURE",
            "team=data",
            "=",
            "good.yaml",
            "wrong.yaml",
            "list.yaml",
            "broken.yaml",
            "bomb.yaml",
            "absent.yaml",
            "deadbeef",
            "",
            "\x00",
            "é",
            "--",
            "-",
        ]
    ),
    st.text(max_size=16),
    st.integers().map(str),
)
arguments = st.builds(
    lambda command, rest: [*command, *rest],
    st.sampled_from(COMMANDS),
    st.lists(st.one_of(st.sampled_from(OPTIONS), VALUES), max_size=6),
)


def run_count(home: Path) -> int:
    if not (home / "freshet.db").exists():
        return 0
    with Instance.from_home(home, read_only=True) as instance:
        return len(instance.get_runs(limit=1_000_000))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(args=arguments)
def test_any_argument_list_ends_in_a_clear_outcome(project, write, args):
    write("defs.py", DEFS)
    for name, text in CONFIG_FILES.items():
        write(name, text)
    home = Path(os.environ["FRESHET_HOME"])
    before = run_count(home)
    result = CliRunner().invoke(cli, ["-f", "defs.py", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1, 2, 130), (args, result.output)
    assert "internal error" not in result.stderr, (args, result.stderr)
    assert "Traceback" not in result.output, (args, result.output)
    if result.exit_code == 2:
        assert result.stderr.startswith("error:") or "Usage:" in result.output
        assert run_count(home) == before, (args, "a refused command stored a run")

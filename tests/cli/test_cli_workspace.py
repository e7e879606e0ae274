"""`-w workspace.yaml`: several code locations side by side, each in its own process for the
commands that only read definitions (`check`, `locations list`), and one of them in process
for the commands that run user code (`materialize -l NAME`)."""

from __future__ import annotations

import json
import sys

ASSETS = """
import freshet as fr

@fr.asset
def {name}_table():
    return 1

defs = fr.Definitions(assets=[{name}_table])
"""

WORKSPACE = """
load_from:
  - python_file: {{relative_path: a/cli_ws_a.py, location_name: team_a}}
  - python_file: {{relative_path: b/cli_ws_b.py, location_name: team_b}}
"""


def _two_locations(write, *, broken_b: bool = False) -> None:
    write("a/cli_ws_a.py", ASSETS.format(name="a"))
    write(
        "b/cli_ws_b.py",
        "raise RuntimeError('b is broken')\n" if broken_b else ASSETS.format(name="b"),
    )
    write("workspace.yaml", WORKSPACE.format())


def test_check_lists_each_location_with_counts_and_load_time(write, invoke):
    _two_locations(write)
    result = invoke("-w", "workspace.yaml", "check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["LOCATION", "STATUS", "ASSETS"]
    assert lines[1].split()[:3] == ["team_a", "loaded", "1"]
    assert lines[2].split()[:3] == ["team_b", "loaded", "1"]
    assert "2 code locations: OK" in result.output
    assert "cli_ws_a" not in sys.modules


def test_check_reports_every_failed_location_then_exits_2(write, invoke):
    _two_locations(write, broken_b=True)
    result = invoke("-w", "workspace.yaml", "check")
    assert result.exit_code == 2
    assert "team_a    loaded" in result.output
    assert "team_b    failed" in result.output
    assert "code location 'team_b' failed to load" in result.output
    assert "RuntimeError: b is broken" in result.output


def test_locations_list_json(write, invoke):
    _two_locations(write)
    result = invoke("-w", "workspace.yaml", "locations", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [loc["name"] for loc in listed["locations"]] == ["team_a", "team_b"]
    first = listed["locations"][0]
    assert first["status"] == "loaded"
    assert first["counts"]["assets"] == 1
    assert first["origin"]["python_file"].endswith("cli_ws_a.py")
    assert len(first["snapshot_fingerprint"]) >= 16
    assert listed["problems"] == []


def test_commands_that_run_code_use_the_location_named_by_l(write, invoke):
    _two_locations(write)
    result = invoke("-w", "workspace.yaml", "-l", "team_b", "materialize")
    assert result.exit_code == 0, result.output
    assert "b_table" in result.output
    assert "a_table" not in result.output


def test_a_command_needing_one_location_asks_which(write, invoke):
    _two_locations(write)
    result = invoke("-w", "workspace.yaml", "materialize")
    assert result.exit_code == 2
    assert "lists 2 code locations (team_a, team_b); choose one with -l/--location" in result.output


def test_an_unknown_location_suggests_a_close_name(write, invoke):
    _two_locations(write)
    result = invoke("-w", "workspace.yaml", "-l", "team_ax", "materialize")
    assert result.exit_code == 2
    assert "no code location named 'team_ax'" in result.output
    assert "did you mean 'team_a'?" in result.output


def test_workspace_and_file_are_exclusive(write, invoke):
    _two_locations(write)
    result = invoke("-w", "workspace.yaml", "-f", "a/cli_ws_a.py", "check")
    assert result.exit_code == 2
    assert "give -w/--workspace or -f/-m, not both" in result.output


def test_assets_list_json_names_each_assets_code_location(write, invoke):
    _two_locations(write)
    result = invoke("-w", "workspace.yaml", "assets", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = {item["key"]: item["location"] for item in json.loads(result.output)}
    assert listed == {"a_table": "team_a", "b_table": "team_b"}
    assert "cli_ws_a" not in sys.modules
    table = invoke("-w", "workspace.yaml", "assets", "list")
    assert table.output.splitlines()[0].split()[:2] == ["KEY", "LOCATION"]
    single = invoke("-f", "a/cli_ws_a.py", "assets", "list", "--json")
    assert [item["location"] for item in json.loads(single.output)] == ["cli_ws_a"]

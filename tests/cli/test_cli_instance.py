"""`freshet instance info` and where the instance home is."""

from __future__ import annotations

import json
import time


def test_info_reports_backend_and_home(invoke, tmp_path):
    result = invoke("instance", "info", "--json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["home"] == str(tmp_path / "home")
    assert info["backend"] == "sqlite"


def test_home_option_overrides_environment(invoke, tmp_path):
    result = invoke("--home", str(tmp_path / "elsewhere"), "instance", "info")
    assert result.exit_code == 0
    assert "home:" in result.stdout and str(tmp_path / "elsewhere") in result.stdout


def test_default_home_is_beside_the_project(invoke, write, project, monkeypatch):
    monkeypatch.delenv("FRESHET_HOME")
    write("pyproject.toml", '[tool.freshet]\npython_file = "defs.py"\n')
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    info = json.loads(invoke("instance", "info", "--json").stdout)
    assert info["home"] == str(project / ".freshet")


def test_info_lists_the_logs_folder(invoke, tmp_path):
    info = json.loads(invoke("instance", "info", "--json").stdout)
    assert info["logs_dir"] == str(tmp_path / "home" / "logs")


ONE = """
import freshet as fr

@fr.asset
def one():
    return 1

defs = fr.Definitions(assets=[one])
"""


def _old_run(invoke, write, tmp_path):
    """One finished run (made older than `--older-than 1s` by waiting a second)."""
    write("defs.py", ONE)
    assert invoke("-f", "defs.py", "materialize").exit_code == 0


def test_prune_dry_run_counts_and_deletes_nothing(invoke, write, tmp_path):
    _old_run(invoke, write, tmp_path)
    result = invoke("instance", "prune", "--older-than", "1s", "--dry-run")
    assert result.exit_code == 0
    assert "would delete: 0 run(s)" in result.stdout
    time.sleep(1.1)
    result = invoke("instance", "prune", "--older-than", "1s", "--dry-run")
    assert "would delete: 1 run(s)" in result.stdout
    assert json.loads(invoke("runs", "list", "--json").stdout) != []


def test_prune_without_a_terminal_refuses_unless_yes(invoke, write, tmp_path):
    _old_run(invoke, write, tmp_path)
    time.sleep(1.1)
    refused = invoke("instance", "prune", "--older-than", "1s")
    assert refused.exit_code == 2
    assert "will delete: 1 run(s)" in refused.stdout
    assert "add --yes" in refused.stderr
    assert len(json.loads(invoke("runs", "list", "--json").stdout)) == 1
    done = invoke("instance", "prune", "--older-than", "1s", "--yes")
    assert done.exit_code == 0
    assert "deleted 1 run(s)" in done.stdout
    assert json.loads(invoke("runs", "list", "--json").stdout) == []

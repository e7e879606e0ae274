"""`freshet instance info` and where the instance home is."""

from __future__ import annotations

import json


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

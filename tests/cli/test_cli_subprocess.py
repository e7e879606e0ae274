"""The real `freshet` process on the cereal example: exit codes and output as a user sees them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cereal"


@pytest.fixture
def cereal(tmp_path: Path) -> Path:
    folder = tmp_path / "cereal"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".freshet", "__pycache__"))
    return folder


def freshet(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRESHET_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "freshet.cli.main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_cereal_materializes_and_the_run_is_listed(cereal: Path, tmp_path: Path):
    home = tmp_path / "home"
    done = freshet(cereal, home, "materialize", "--select", "*")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for step in ("cereals", "sugar_per_cup", "sugar_cutoff", "sugariest_cereals"):
        assert any(line.startswith(f"  ✓ {step} ") for line in lines), done.stdout
    summary = lines[-1]
    assert "succeeded: 4 materialized, 0 failed" in summary
    run_id = summary.split()[1]

    listed = freshet(cereal, home, "runs", "list")
    assert listed.returncode == 0, listed.stderr
    assert any(line.startswith(run_id) and "SUCCESS" in line for line in listed.stdout.splitlines())


def test_failing_asset_exits_1(cereal: Path, tmp_path: Path):
    defs = cereal / "cereal_defs.py"
    defs.write_text(
        defs.read_text(encoding="utf-8").replace(
            '    values = [row["sugar_per_cup"] for row in sugar_per_cup]\n',
            '    raise ValueError("no cutoff today")\n',
        ),
        encoding="utf-8",
    )
    done = freshet(cereal, tmp_path / "home", "materialize")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "✗ sugar_cutoff" in done.stdout and "ValueError: no cutoff today" in done.stdout
    assert "skipped (upstream step 'sugar_cutoff' failed)" in done.stdout


def test_unknown_selection_exits_2_without_traceback(cereal: Path, tmp_path: Path):
    done = freshet(cereal, tmp_path / "home", "materialize", "--select", "sugar")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "'sugar'" in done.stderr
    assert "Traceback" not in done.stderr


def test_import_error_exits_2_showing_the_users_file_and_line(cereal: Path, tmp_path: Path):
    defs = cereal / "cereal_defs.py"
    defs.write_text("import freshet as fr\nimport cereal_helpers_that_do_not_exist\n")
    done = freshet(cereal, tmp_path / "home", "check")
    assert done.returncode == 2
    assert f'File "{defs}", line 2, in <module>' in done.stderr
    assert "ModuleNotFoundError" in done.stderr
    assert "Traceback" not in done.stderr

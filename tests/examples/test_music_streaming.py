"""The music-streaming example runs end to end with the README's command: daily events into
DuckDB, the dbt project, features, model and report. Slow (runs dbt)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "music_streaming"


@pytest.mark.slow
def test_the_readme_command_materializes_the_whole_week(tmp_path):
    project = tmp_path / "music_streaming"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("data", "target", "logs"))
    env = {**os.environ, "FRESHET_HOME": str(tmp_path / "home")}
    env.pop("MUSIC_DATA_DIR", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "freshet.cli.main",
            "materialize",
            "--partition-range",
            "2024-06-01...2024-06-07",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # 7 daily partitions + 7 dbt nodes (2 seeds, 3 staging, 2 marts) + features, model, report
    assert "succeeded: 17 materialized, 0 failed" in output
    report = (project / "data" / "report.md").read_text()
    assert report.startswith("# Listening report (7 days)")
    assert "Plan model accuracy" in report
    assert sorted(p.name for p in (project / "data" / "listens").iterdir())[0] == "2024-06-01.csv"

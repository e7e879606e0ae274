"""Running the dbt command line: finding the executable, the environment it runs with, and
running a command to completion with a clear error when it fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import freshet as fr


def dbt_executable() -> str:
    """The ``dbt`` next to this Python (a virtualenv's), else the one on PATH."""
    beside = Path(sys.executable).parent / ("dbt.exe" if os.name == "nt" else "dbt")
    if beside.is_file():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise fr.FreshetError(
            "the dbt command line is not installed: pip install 'freshet[dbt]' (dbt-core and "
            "an adapter such as dbt-duckdb)"
        )
    return found


def dbt_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    # dbt would otherwise try to reach its tracking endpoint on every command.
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def error_lines(output: str, limit: int = 12) -> list[str]:
    """The error messages in dbt's output (JSON log lines or plain text)."""
    lines: list[str] = []
    for raw in output.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            event = json.loads(raw)
        except ValueError:
            lines.append(raw)
            continue
        info = event.get("info", {}) if isinstance(event, dict) else {}
        if info.get("level") == "error":
            lines.append(str(info.get("msg", "")).strip())
    return [line for line in lines if line][-limit:]


def run_dbt_to_completion(args: Sequence[str], *, cwd: Path, what: str) -> str:
    """Run ``dbt <args>`` and return its output; a failure raises with dbt's messages."""
    command = [dbt_executable(), *args]
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=dbt_environment(),
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise fr.ExecutionError(f"{what} did not finish within {exc.timeout:g}s") from None
    output = done.stdout + done.stderr
    if done.returncode != 0:
        details = "\n  ".join(error_lines(output)) or "(no output)"
        raise fr.ExecutionError(f"{what} failed (exit code {done.returncode}):\n  {details}")
    return output

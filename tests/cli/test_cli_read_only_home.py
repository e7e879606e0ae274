"""A home folder the user cannot write to: commands that only read (runs, backfills, assets,
instance info) open the database read-only and work; commands that write say that the home
is not writable. Nothing in the home changes."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

DEFS = """
import freshet as fr

@fr.asset
def numbers():
    return [1, 2, 3]

defs = fr.Definitions(assets=[numbers])
"""


def _snapshot(home: Path) -> dict[str, int]:
    return {str(p.relative_to(home)): p.stat().st_size for p in sorted(home.rglob("*"))}


@pytest.fixture
def read_only_home(project: Path, write, invoke) -> Iterator[Path]:
    """A home with one run, then made unwritable: by permissions for a normal user, by the
    immutable attribute for root (whom permissions do not stop)."""
    write("defs.py", DEFS)
    assert invoke("-f", "defs.py", "materialize").exit_code == 0
    home = Path(os.environ["FRESHET_HOME"])
    assert not (home / "freshet.db-wal").exists()  # closed cleanly: everything in the main file
    targets = [home, home / "freshet.db", home / "storage", home / "logs"]
    if os.geteuid() != 0:
        modes = {path: path.stat().st_mode for path in targets}
        for path in targets:
            path.chmod(modes[path] & ~0o222)
        undo = lambda: [path.chmod(mode) for path, mode in modes.items()]  # noqa: E731
    else:
        chattr = shutil.which("chattr")
        if chattr is None:
            pytest.skip("running as root without chattr: cannot make a folder read-only")
        done = subprocess.run([chattr, "+i", *map(str, targets)], capture_output=True, timeout=30)
        if done.returncode != 0:
            pytest.skip(f"chattr +i is not permitted here: {done.stderr.decode().strip()}")
        undo = lambda: subprocess.run([chattr, "-i", *map(str, targets)], timeout=30)  # noqa: E731
    try:
        yield home
    finally:
        undo()


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "list"),
        ("runs", "list", "--json"),
        ("backfill", "list"),
        ("instance", "info"),
        ("-f", "defs.py", "assets", "status"),
    ],
    ids=["runs-list", "runs-list-json", "backfill-list", "instance-info", "assets-status"],
)
def test_reading_commands_work_in_a_read_only_home(read_only_home, invoke, args):
    before = _snapshot(read_only_home)
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert _snapshot(read_only_home) == before


def test_runs_list_shows_the_run_of_a_read_only_home(read_only_home, invoke):
    result = invoke("runs", "list")
    assert "SUCCESS" in result.stdout


def test_writing_command_says_the_home_is_not_writable(read_only_home, invoke):
    before = _snapshot(read_only_home)
    result = invoke("-f", "defs.py", "materialize")
    assert result.exit_code == 2, result.output
    assert "not writable" in result.stderr
    assert str(read_only_home) in result.stderr
    assert "internal error" not in result.stderr
    assert _snapshot(read_only_home) == before

"""workspace.yaml lists code locations in the shape users of software-defined assets know;
every mistake names the file, the entry and the key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from freshet.workspace.workspace_file import WorkspaceFileError, load_workspace_file


def _write(folder: Path, text: str) -> Path:
    path = folder / "workspace.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_locations_of_every_kind_resolve_relative_to_the_file(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "defs.py").write_text("")
    (tmp_path / "b").mkdir()
    path = _write(
        tmp_path,
        """
        load_from:
          - python_file: a/defs.py
          - python_file:
              relative_path: a/defs.py
              location_name: team_a
              attribute: defs
          - python_module: {module_name: team_b.defs, working_directory: b}
          - python_package: {package_name: team_c, location_name: c}
        """,
    )
    first, second, third, fourth = load_workspace_file(path)
    assert first.location_name == "defs"
    assert first.python_file == tmp_path / "a" / "defs.py"
    assert first.working_directory == tmp_path / "a"
    assert (second.location_name, second.attribute) == ("team_a", "defs")
    assert (third.module, third.working_directory) == ("team_b.defs", tmp_path / "b")
    assert (fourth.package, fourth.location_name, fourth.working_directory) == (
        "team_c",
        "c",
        tmp_path,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("load_from: [\n", "not valid YAML"),
        ("locations: []\n", "unknown key(s) locations"),
        ("load_from: []\n", "non-empty list"),
        ("load_from:\n  - python_file: missing.py\n", "no such file"),
        ("load_from:\n  - python_script: x.py\n", "unknown location kind 'python_script'"),
        (
            "load_from:\n  - python_module: {module_name: m, colour: red}\n",
            "unknown key(s) colour",
        ),
        (
            "load_from:\n  - python_module: {module_name: m, location_name: x}\n"
            "  - python_module: {module_name: n, location_name: x}\n",
            "two locations are named 'x'",
        ),
        ("load_from:\n  - python_module: {location_name: x}\n", "missing module_name"),
    ],
    ids=[
        "not-yaml",
        "unknown-key",
        "empty",
        "missing-file",
        "unknown-kind",
        "unknown-field",
        "duplicate-name",
        "missing-module",
    ],
)
def test_bad_workspace_files_name_what_and_where(tmp_path: Path, text: str, message: str):
    path = _write(tmp_path, text)
    with pytest.raises(WorkspaceFileError) as caught:
        load_workspace_file(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_workspace_file(tmp_path: Path):
    with pytest.raises(WorkspaceFileError, match="no such workspace file"):
        load_workspace_file(tmp_path / "nope.yaml")

"""`freshet init`: the generated project runs with `freshet materialize` and `pytest` as is;
bad names and existing folders are refused without writing anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(cwd: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FRESHET_HOME": str(home)}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _freshet(*args: str) -> list[str]:
    return ["-m", "freshet.cli.main", *args]


@pytest.mark.parametrize("example", ["basic", "cereal"], ids=["basic", "cereal"])
def test_generated_project_materializes_and_its_tests_pass(project, invoke, example):
    result = invoke("init", "my-pipeline", "--example", example)
    assert result.exit_code == 0, result.output
    root = project / "my-pipeline"
    assert (root / "my_pipeline" / "definitions.py").is_file()
    assert 'module = "my_pipeline.definitions"' in (root / "pyproject.toml").read_text()
    home = project.parent / "home"
    materialized = _run(root, *_freshet("materialize", "--select", "*"), home=home)
    assert materialized.returncode == 0, materialized.stdout + materialized.stderr
    assert "succeeded" in materialized.stdout
    tested = _run(root, "-m", "pytest", "-q", "-p", "no:cacheprovider", home=home)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout


def test_an_existing_folder_is_left_alone(project, invoke):
    (project / "taken").mkdir()
    (project / "taken" / "keep.txt").write_text("mine")
    result = invoke("init", "taken")
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert [p.name for p in (project / "taken").iterdir()] == ["keep.txt"]


@pytest.mark.parametrize(
    "name",
    ["1st", "has space", "class", "../escape"],
    ids=["digit-first", "space", "keyword", "path"],
)
def test_a_name_that_cannot_be_a_package_is_refused(project, invoke, name):
    result = invoke("init", name)
    assert result.exit_code == 2
    assert f"project name {name!r} is not usable" in result.output
    assert list(project.iterdir()) == []


def test_an_unknown_example_lists_the_known_ones(project, invoke):
    result = invoke("init", "x", "--example", "spark")
    assert result.exit_code == 2
    assert "'spark' is not one of" in result.output
    assert "dbt_duckdb" in result.output
    assert list(project.iterdir()) == []


@pytest.mark.slow
def test_generated_dbt_duckdb_project_runs_its_test(project, invoke):
    assert invoke("init", "shop", "--example", "dbt_duckdb").exit_code == 0
    root = project / "shop"
    tested = _run(
        root, "-m", "pytest", "-q", "-p", "no:cacheprovider", home=project.parent / "home"
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout

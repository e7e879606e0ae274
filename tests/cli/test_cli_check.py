"""`freshet check`: validates definitions; exit 2 with the problem otherwise."""

from __future__ import annotations

import pytest

VALID = """
import freshet as fr

@fr.asset
def rows():
    return [1]

@fr.asset_check(asset=rows)
def not_empty(rows):
    return fr.AssetCheckResult(passed=bool(rows))

job = fr.define_asset_job("everything", selection="*")

defs = fr.Definitions(assets=[rows], asset_checks=[not_empty], jobs=[job])
"""

UNKNOWN_DEP = """
import freshet as fr

@fr.asset
def report(missing_table):
    return missing_table

defs = fr.Definitions(assets=[report])
"""

CYCLE = """
import freshet as fr

@fr.asset
def a(b):
    return b

@fr.asset
def b(a):
    return a

defs = fr.Definitions(assets=[a, b])
"""


def test_valid_definitions_are_counted(invoke, write):
    write("defs.py", VALID)
    result = invoke("-f", "defs.py", "check")
    assert result.exit_code == 0
    assert result.stdout == "1 asset, 1 check, 1 job: OK\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (UNKNOWN_DEP, "missing_table"),
        (CYCLE, "cycle: a -> b -> a"),
        ("import freshet as fr\n", "no Definitions found"),
        ("import freshet as fr\nimport not_a_module_anywhere\n", "ModuleNotFoundError"),
    ],
    ids=["unknown-dep", "cycle", "no-definitions", "import-error"],
)
def test_invalid_definitions_exit_2_with_the_problem(invoke, write, source, expected):
    write("defs.py", source)
    result = invoke("-f", "defs.py", "check")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_debug_adds_the_traceback(invoke, write):
    write("defs.py", CYCLE)
    result = invoke("--debug", "-f", "defs.py", "check")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert "CycleError" in result.stderr


def test_pyproject_locates_the_definitions(invoke, write, project):
    write("src_defs.py", VALID)
    write("pyproject.toml", '[tool.freshet]\npython_file = "src_defs.py"\n')
    (project / "subfolder").mkdir()
    result = invoke("check")
    assert result.exit_code == 0, result.output


def test_every_accepted_option_is_acted_on_so_check_warns_about_none(invoke, write):
    write(
        "defs.py",
        """
        import freshet as fr

        @fr.asset(
            automation_condition=fr.AutomationCondition.eager(),
            freshness_policy=fr.FreshnessPolicy(60),
        )
        def eager(): ...

        defs = fr.Definitions(assets=[eager], executor=fr.multiprocess_executor)
        """,
    )
    result = invoke("-f", "defs.py", "check")
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert result.stdout.endswith(": OK\n")


def test_an_executor_freshet_does_not_know_is_an_error_naming_the_known_ones(invoke, write):
    write(
        "defs.py",
        """
        import freshet as fr

        class Remote:
            name = "remote"

        defs = fr.Definitions(assets=[], executor=Remote())
        """,
    )
    result = invoke("-f", "defs.py", "check")
    assert result.exit_code == 2
    assert "is not an executor (known: fr.in_process_executor" in result.stderr

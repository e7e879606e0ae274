"""`freshet materialize`: progress lines, summary, exit codes, selection and config errors."""

from __future__ import annotations

import pytest

from freshet.cli.progress import Symbols
from freshet.cli.run_inputs import load_run_config, parse_tags
from freshet.errors import ConfigError

DEFS = """
import freshet as fr

@fr.asset
def raw():
    return [1, 2, 3]

@fr.asset
def total(raw):
    return sum(raw)

@fr.asset
def broken(raw):
    raise ValueError("boom")

@fr.asset
def after_broken(broken):
    return broken

class ScaleConfig(fr.Config):
    factor: int = 2

@fr.asset
def scaled(config: ScaleConfig, raw):
    return [x * config.factor for x in raw]

defs = fr.Definitions(assets=[raw, total, broken, after_broken, scaled])
"""


@pytest.fixture
def defs_file(write):
    return write("defs.py", DEFS)


def test_success_prints_a_line_per_step_and_a_summary(invoke, defs_file):
    result = invoke("-f", "defs.py", "materialize", "--select", "raw or total")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("  ✓ raw ") and line.endswith(" ms") for line in lines)
    assert any(line.startswith("  ✓ total") for line in lines)
    assert "succeeded: 2 materialized, 0 failed in" in lines[-1]


def test_failed_step_exits_1_and_shows_error_and_skipped_downstream(invoke, defs_file):
    result = invoke("-f", "defs.py", "materialize", "--select", "raw or broken*")
    assert result.exit_code == 1
    assert "✗ broken        ValueError: boom" in result.stdout
    assert "- after_broken  skipped (upstream step 'broken' failed)" in result.stdout
    assert "FAILED: 1 materialized, 1 failed, 1 skipped" in result.stdout
    assert "Traceback" not in result.output


def test_debug_shows_the_users_traceback_under_a_failed_step(invoke, defs_file):
    result = invoke("--debug", "-f", "defs.py", "materialize", "--select", "raw or broken")
    assert result.exit_code == 1
    assert 'defs.py", line 13, in broken' in result.stdout


def test_file_option_is_accepted_after_the_command_name(invoke, defs_file):
    result = invoke("materialize", "-f", "defs.py", "--select", "raw")
    assert result.exit_code == 0, result.output
    assert "1 materialized" in result.stdout


def test_default_selection_materializes_everything(invoke, defs_file):
    result = invoke("-f", "defs.py", "materialize")
    assert result.exit_code == 1  # `broken` is part of everything
    assert "3 materialized, 1 failed, 1 skipped" in result.stdout


def test_unknown_asset_exits_2_with_a_suggestion(invoke, defs_file):
    result = invoke("-f", "defs.py", "materialize", "--select", "totl")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "'totl'" in result.stderr and "total" in result.stderr
    assert "Traceback" not in result.output


def test_selection_syntax_error_shows_the_position(invoke, defs_file):
    result = invoke("-f", "defs.py", "materialize", "--select", "raw and (")
    assert result.exit_code == 2
    assert "position 9" in result.stderr
    assert "  raw and (\n           ^" in result.stderr


def test_wrong_config_type_exits_2_naming_the_path(invoke, defs_file, write):
    write("run.yaml", "ops:\n  scaled:\n    config:\n      factor: ten\n")
    result = invoke(
        "-f", "defs.py", "materialize", "--select", "raw or scaled", "--config", "run.yaml"
    )
    assert result.exit_code == 2
    assert "ops.scaled.config.factor" in result.stderr
    assert "run " not in result.stdout  # nothing ran


def test_config_file_is_applied(invoke, defs_file, write):
    write("run.yaml", "ops:\n  scaled:\n    config:\n      factor: 10\n")
    result = invoke(
        "-f", "defs.py", "materialize", "--select", "raw or scaled", "--config", "run.yaml"
    )
    assert result.exit_code == 0, result.output


def test_tags_are_recorded_on_the_run(invoke, defs_file):
    result = invoke("-f", "defs.py", "materialize", "--select", "raw", "--tag", "team=data")
    assert result.exit_code == 0
    listed = invoke("runs", "show", _run_id(result.stdout))
    assert "team=data" in listed.stdout


def test_tag_without_equals_is_a_usage_error(invoke, defs_file):
    result = invoke("-f", "defs.py", "materialize", "--tag", "team")
    assert result.exit_code == 2
    assert "'team' is not KEY=VALUE" in result.stderr


def test_missing_config_file_is_a_usage_error(invoke, defs_file):
    result = invoke("-f", "defs.py", "materialize", "--config", "absent.yaml")
    assert result.exit_code == 2
    assert "absent.yaml" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ops:\n  a: [\n", "run.yaml:3:1: invalid YAML"),
        ("- just\n- a list\n", "the top level must be a mapping"),
    ],
    ids=["syntax", "not-a-mapping"],
)
def test_bad_config_file_names_file_and_line(tmp_path, text, expected):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_run_config(path)
    assert expected in str(info.value)


def test_empty_config_file_is_empty_config(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("# nothing yet\n")
    assert load_run_config(path) == {}


def test_tags_parse_value_with_equals_signs():
    assert parse_tags(["a=1", "url=x=y"]) == {"a": "1", "url": "x=y"}


@pytest.mark.parametrize(
    ("encoding", "success"),
    [("utf-8", "✓"), ("ascii", "ok"), (None, "ok")],
    ids=["utf-8", "ascii", "unknown"],
)
def test_symbols_fall_back_to_ascii(encoding, success):
    assert Symbols.for_stream(encoding).success == success


def _run_id(stdout: str) -> str:
    return stdout.splitlines()[-1].split()[1]


def test_failed_check_is_shown_and_counted(invoke, write):
    write(
        "checked.py",
        """
        import freshet as fr

        @fr.asset
        def rows():
            return [1, -2]

        @fr.asset_check(asset=rows)
        def no_negatives(rows):
            return fr.AssetCheckResult(passed=all(r >= 0 for r in rows))

        defs = fr.Definitions(assets=[rows], asset_checks=[no_negatives])
        """,
    )
    result = invoke("-f", "checked.py", "materialize")
    assert result.exit_code == 0  # a non-blocking check does not fail the run
    check_line = next(line for line in result.stdout.splitlines() if "rows__check" in line)
    assert "✗" in check_line and "check failed: rows:no_negatives (ERROR)" in check_line
    assert "1 materialized, 0 failed, 1 check(s) failed" in result.stdout
    # printed while the check step's output was captured, yet not part of its compute log
    logs = invoke("runs", "logs", _run_id(result.stdout), "--stdout")
    assert "check failed" not in logs.stdout

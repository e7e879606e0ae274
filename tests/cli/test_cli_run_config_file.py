"""`--config FILE` is read with bounds: YAML aliases that expand without limit, documents nested
too deep and aliases that contain themselves are refused before validation and before anything
is stored, naming the file and where in it."""

from __future__ import annotations

import pytest

from freshet.cli.materialize import load_run_config
from freshet.cli.yaml_documents import MAX_ALIAS_EXPANSION, MAX_YAML_DEPTH
from freshet.errors import ConfigError

DEFS = """
import freshet as fr

class Settings(fr.Config):
    anything: object = None

@fr.asset
def a(config: Settings):
    return 1

defs = fr.Definitions(assets=[a])
"""


def laughs(levels: int) -> str:
    """The 'billion laughs' document: each level lists the previous one 9 times."""
    lines = ['        l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        items = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"        l{level}: &l{level} [{items}]")
    return "ops:\n  a:\n    config:\n      anything:\n" + "\n".join(lines) + "\n"


def deep_yaml(depth: int) -> str:
    lines = ["ops:", "  a:", "    config:", "      anything:"]
    lines += [" " * (8 + 2 * level) + "k:" for level in range(depth)]
    return "\n".join(lines) + " x\n"


@pytest.fixture
def defs_file(write):
    return write("defs.py", DEFS)


def test_alias_bomb_is_refused_before_anything_is_stored(invoke, defs_file, write):
    path = write("run.yaml", laughs(8))
    assert path.stat().st_size < 1000
    result = invoke("-f", "defs.py", "materialize", "--config", "run.yaml")
    assert result.exit_code == 2, result.output
    assert "run.yaml" in result.stderr and "aliases" in result.stderr
    assert f"{MAX_ALIAS_EXPANSION:,}" in result.stderr
    assert "no runs yet" in invoke("runs", "list").stdout


def test_yaml_nested_too_deep_names_file_and_line(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(deep_yaml(500))
    with pytest.raises(ConfigError) as caught:
        load_run_config(path)
    message = str(caught.value)
    # collection n of this document starts on line n: the first one too deep is refused
    assert f"run.yaml:{MAX_YAML_DEPTH + 1}:" in message
    assert f"more than {MAX_YAML_DEPTH} levels" in message


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: [1, *a]}\n"], ids=["list", "mapping"])
def test_alias_inside_its_own_anchor_is_refused(tmp_path, text):
    path = tmp_path / "run.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match="refers to a value that contains it"):
        load_run_config(path)


def test_aliases_within_the_bound_are_expanded(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("defaults: &d {retries: 2}\nops:\n  a: {config: *d}\n  b: {config: *d}\n")
    assert load_run_config(path)["ops"] == {
        "a": {"config": {"retries": 2}},
        "b": {"config": {"retries": 2}},
    }

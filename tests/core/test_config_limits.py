"""Run config shape limits: nesting depth, self-reference and total size are clear
`ConfigError`s naming the path, checked before validation and before anything is stored."""

from __future__ import annotations

import pytest

import freshet as fr
from freshet.core.config import redact_run_config, validate_run_config
from freshet.core.config_limits import MAX_CONFIG_DEPTH, MAX_CONFIG_VALUES
from freshet.errors import ConfigError


def nested(depth: int) -> dict:
    value: object = "x"
    for _ in range(depth):
        value = {"k": value}
    return value  # type: ignore[return-value]


def run_config_with(anything: object) -> dict:
    return {"ops": {"a": {"config": {"anything": anything}}}}


class Settings(fr.Config):
    anything: object = None


@fr.asset
def a(config: Settings):
    return 1


@pytest.mark.parametrize(
    "check", [validate_run_config, redact_run_config], ids=["validate", "redact"]
)
def test_config_nested_too_deep_names_the_path_where_it_stopped(check):
    run_config = run_config_with(nested(500))
    with pytest.raises(ConfigError) as caught:
        if check is validate_run_config:
            check(run_config, ops={}, resources={})
        else:
            check(run_config)
    message = str(caught.value)
    assert f"more than {MAX_CONFIG_DEPTH} levels" in message
    assert "ops.a.config.anything.k.k" in message


def test_config_that_contains_itself_is_refused():
    loop: dict = {}
    loop["again"] = [loop]
    with pytest.raises(
        ConfigError, match=r"ops\.a\.config\.anything\.again\[0\]: .*contains itself"
    ):
        validate_run_config(run_config_with(loop), ops={}, resources={})


def test_config_shared_to_an_exponential_size_is_refused_quickly():
    value: object = ["lol"] * 9
    for _ in range(9):
        value = [value] * 9
    with pytest.raises(ConfigError, match=f"more than {MAX_CONFIG_VALUES:,} values"):
        validate_run_config(run_config_with(value), ops={}, resources={})


def test_config_at_the_depth_limit_is_accepted():
    run_config = run_config_with(nested(MAX_CONFIG_DEPTH - 5))
    assert redact_run_config(run_config) == run_config


def test_materialize_with_too_deep_config_stores_no_run():
    instance = fr.Instance.ephemeral()
    with pytest.raises(ConfigError, match="levels"):
        fr.materialize([a], run_config=run_config_with(nested(500)), instance=instance)
    assert instance.get_runs() == []

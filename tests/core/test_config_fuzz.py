"""Fuzzing run config against nested Config classes, through validation and through
`materialize`: every input is accepted or refused with a `ConfigError` listing problems, and a
refused config leaves no run behind. Example counts come from the hypothesis profile."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import freshet as fr
from freshet.core.config import config_schema_from, redact_run_config, validate_run_config
from freshet.errors import ConfigError, FreshetError


class Leaf(fr.Config):
    n: int = 0
    name: str = ""
    ratio: float = 1.0
    flag: bool = False
    items: list[int] = []


class Middle(fr.Config):
    leaf: Leaf = Leaf()
    leaves: list[Leaf] = []
    counts: dict[str, int] = {}


class Top(fr.Config):
    middle: Middle
    label: str = "x"
    limit: int | None = None


@fr.asset
def top(config: Top) -> int:
    return config.middle.leaf.n


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**400),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["3", "1e999", "nan", "true", "", "0x10", "\x00", "é"]),
    st.builds(fr.EnvVar, st.sampled_from(["FRESHET_FUZZ_UNSET", "PATH"])),
)
keys = st.one_of(
    st.sampled_from(
        [
            "n",
            "name",
            "ratio",
            "flag",
            "items",
            "leaf",
            "leaves",
            "counts",
            "middle",
            "label",
            "limit",
            "config",
            "env",
        ]
    ),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=40,
)
# shaped like the Config classes, with fuzzed values in the right places most of the time
leaf = st.fixed_dictionaries(
    {}, optional={"n": values, "name": values, "ratio": values, "flag": values, "items": values}
)
middle = st.fixed_dictionaries(
    {},
    optional={
        "leaf": st.one_of(leaf, values),
        "leaves": st.one_of(st.lists(leaf, max_size=3), values),
        "counts": st.one_of(st.dictionaries(st.text(max_size=5), values, max_size=3), values),
    },
)
top_config = st.fixed_dictionaries(
    {}, optional={"middle": st.one_of(middle, values), "label": values, "limit": values}
)
entries = st.one_of(st.fixed_dictionaries({"config": st.one_of(top_config, values)}), values)
run_configs = st.one_of(
    st.fixed_dictionaries({"ops": st.fixed_dictionaries({"top": entries})}),
    st.dictionaries(keys, values, max_size=3),
    values,
)


def assert_problems_listed(error: ConfigError) -> None:
    assert error.problems and all(problem.strip() for problem in error.problems)


@given(run_config=run_configs)
def test_validation_accepts_or_lists_problems(run_config):
    try:
        resolved = validate_run_config(
            run_config, ops={"top": config_schema_from(Top, "asset top")}, resources={}
        )
    except ConfigError as error:
        assert_problems_listed(error)
        return
    assert isinstance(resolved.ops["top"], Top)
    redact_run_config(run_config)


@given(run_config=run_configs)
def test_materialize_runs_or_refuses_without_storing_a_run(run_config):
    instance = fr.Instance.ephemeral()
    try:
        result = fr.materialize([top], run_config=run_config, instance=instance)
    except FreshetError as error:
        assert str(error).strip()
        assert instance.get_runs() == []
        return
    finally:
        instance.close()
    assert result.success


def test_an_env_reference_without_a_name_is_a_config_problem():
    run_config = {"ops": {"top": {"config": {"middle": {}, "limit": {"env": ""}}}}}
    with pytest.raises(ConfigError) as caught:
        validate_run_config(
            run_config, ops={"top": config_schema_from(Top, "asset top")}, resources={}
        )
    assert any(
        "ops.top.config.limit" in problem and "names no environment variable" in problem
        for problem in caught.value.problems
    )

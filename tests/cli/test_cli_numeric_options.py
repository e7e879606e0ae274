"""Numeric CLI options are checked at the edge: out-of-range values are usage errors (exit 2)
naming the option, never an overflow inside storage."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("runs", "list", "--limit", HUGE), "--limit"),
        (("runs", "list", "--limit", "0"), "--limit"),
        (("backfill", "list", "--limit", HUGE), "--limit"),
        (("instance", "prune", "--older-than", "10000000000000d"), "--older-than"),
        (("instance", "prune", "--older-than", f"{HUGE}w"), "--older-than"),
        (("instance", "prune", "--older-than", "0d"), "--older-than"),
        (("instance", "prune", "--older-than", "soon"), "--older-than"),
        (("pools", "set", "db", HUGE), "LIMIT"),
    ],
    ids=[
        "runs-limit-huge",
        "runs-limit-zero",
        "backfill-limit-huge",
        "prune-age-huge",
        "prune-age-huge-weeks",
        "prune-age-zero",
        "prune-age-not-an-age",
        "pool-limit-huge",
    ],
)
def test_out_of_range_number_is_a_usage_error_naming_the_option(invoke, args, option):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert option in result.stderr
    assert "internal error" not in result.stderr


def test_limits_at_the_edge_of_the_range_are_accepted(invoke):
    assert invoke("runs", "list", "--limit", "1000000").exit_code == 0
    assert invoke("backfill", "list", "--limit", "1000000").exit_code == 0

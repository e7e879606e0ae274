"""Generator assets with bad input (issue 13, item 7): a yielded value that is no result, a
function returning a generator, and an error after yielding all end the step with a failure
that names the asset; every started step is closed, and none is an internal error."""

from __future__ import annotations

import pytest

import freshet as fr
from freshet.storage.records import EventType


@fr.asset
def yields_a_plain_value():
    yield 5


@fr.asset
def returns_a_generator():
    return (x for x in range(3))


@fr.asset
def raises_after_yielding():
    yield fr.Output(1)
    raise RuntimeError("late")


@pytest.mark.parametrize(
    "asset",
    [yields_a_plain_value, returns_a_generator, raises_after_yielding],
    ids=["plain-value", "returned-generator", "error-after-yield"],
)
def test_generator_asset_failure_closes_its_step_naming_the_asset(asset):
    result = fr.materialize([asset], raise_on_error=False)
    assert not result.success
    started = result.events_of_type(EventType.STEP_START)
    [failure] = result.get_step_failure_events()
    assert len(started) == 1
    assert asset.key.to_user_string() in failure.message
    assert "internal error" not in failure.message.lower()

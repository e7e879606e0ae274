"""The compatibility module: freshet's names, Dagster's aliases, and clear errors for
what freshet does not support."""

from __future__ import annotations

import pytest

import freshet
import freshet.compat.dagster as dg


def test_every_public_freshet_name_is_reexported_unchanged():
    for name in freshet.__all__:
        assert getattr(dg, name) is getattr(freshet, name), name
        assert name in dg.__all__


@pytest.mark.parametrize(
    ("alias", "target"),
    [
        ("DagsterInstance", "Instance"),
        ("DagsterEventType", "EventType"),
        ("DagsterRunStatus", "RunStatus"),
        ("ExecuteInProcessResult", "RunResult"),
        ("DagsterInvariantViolationError", "FreshetError"),
        ("DagsterInvalidDefinitionError", "DefinitionsError"),
    ],
    ids=lambda value: value,
)
def test_dagster_names_alias_freshet_ones(alias, target):
    assert getattr(dg, alias) is getattr(freshet, target)


def test_unsupported_names_are_not_freshet_names():
    assert not set(dg.UNSUPPORTED) & set(freshet.__all__)


def test_aliases_stay_out_of_freshets_own_namespace():
    assert not hasattr(freshet, "DagsterInstance")
    assert "DagsterInstance" not in freshet.__all__


@pytest.mark.parametrize("name", sorted(set(dg.UNSUPPORTED) - set(freshet.__all__)))
def test_an_unsupported_name_says_so_and_what_to_use(name):
    with pytest.raises(dg.UnsupportedFeatureError, match=f"freshet does not support {name}; use"):
        getattr(dg, name)


def test_an_unsupported_name_in_a_from_import_keeps_the_message():
    with pytest.raises(freshet.FreshetError, match="does not support with_resources"):
        from freshet.compat.dagster import with_resources  # noqa: F401


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        dg.no_such_thing  # noqa: B018


def test_dagster_type_accepts_a_check_taking_context_and_value():
    even = dg.DagsterType(type_check_fn=lambda _context, value: value % 2 == 0, name="Even")

    @dg.op(out=dg.Out(even))
    def two():
        return 2

    @dg.op(out=dg.Out(even))
    def three():
        return 3

    @dg.job
    def evens():
        two()
        three()

    result = evens.execute_in_process(raise_on_error=False)
    assert result.is_node_success("two")
    assert result.is_node_failed("three")


def test_step_events_filter_by_the_event_type_enum():
    @dg.asset
    def one():
        return 1

    result = dg.materialize([one])
    types = [e.event_type for e in result.all_events]
    assert dg.DagsterEventType.STEP_SUCCESS in types
    assert dg.DagsterEventType.ASSET_MATERIALIZATION in types


def test_executors_are_named_the_way_definitions_take_them():
    @dg.asset
    def one():
        return 1

    defs = dg.Definitions(assets=[one], executor=dg.in_process_executor)
    assert defs.executor.name == "in_process"
    configured = dg.multiprocess_executor.configured({"max_concurrent": 2})
    assert (configured.name, configured.config) == ("multiprocess", {"max_concurrent": 2})

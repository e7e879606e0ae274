"""Automation conditions round-trip through a definitions snapshot under stable type names."""

from __future__ import annotations

import json

import pytest

import freshet as fr
from freshet.core.automation.conditions import CONDITION_FIELDS
from freshet.errors import SnapshotVersionError
from freshet.snapshot import DefinitionsSnapshot
from freshet.snapshot.conditions import CONDITION_TYPE_NAMES, condition_from_json, condition_to_json

AC = fr.AutomationCondition

EVERY_NODE = {
    "missing": AC.missing(),
    "newly_missing": AC.newly_missing(),
    "in_progress": AC.in_progress(),
    "execution_failed": AC.execution_failed(),
    "newly_updated": AC.newly_updated(),
    "newly_requested": AC.newly_requested(),
    "code_version_changed": AC.code_version_changed(),
    "data_version_changed": AC.data_version_changed(),
    "cron_tick_passed": AC.cron_tick_passed("0 6 * * 1-5", "Europe/Berlin"),
    "in_latest_time_window": AC.in_latest_time_window(90),
    "will_be_requested": AC.will_be_requested(),
    "any_deps_updated": AC.any_deps_updated(),
    "any_deps_missing": AC.any_deps_missing(),
    "any_deps_in_progress": AC.any_deps_in_progress(),
    "all_deps_updated_since_cron": AC.all_deps_updated_since_cron("@daily", "UTC"),
    "all_deps_blocking_checks_passed": AC.all_deps_blocking_checks_passed(),
    "stale": AC.stale(),
    "late": AC.late(),
    "needed_for_freshness": AC.needed_for_freshness(),
    "and": AC.missing() & AC.stale(),
    "or": AC.missing() | AC.stale(),
    "not": ~AC.missing(),
    "since": AC.missing().since(AC.newly_requested()),
    "newly_true": AC.stale().newly_true(),
    "any_deps_match": AC.any_deps_match(AC.missing()).allow("a or b").ignore("b"),
    "all_deps_match": AC.all_deps_match(AC.newly_updated()).ignore("group:raw"),
    "with_label": AC.missing().with_label("never built"),
    "eager": AC.eager(),
    "on_cron": AC.on_cron("0 9 * * *", "America/New_York"),
    "on_missing": AC.on_missing(),
    "lazy": AC.lazy(),
}


@pytest.mark.parametrize("condition", EVERY_NODE.values(), ids=EVERY_NODE.keys())
def test_condition_round_trips_through_json(condition):
    text = json.dumps(condition_to_json(condition))
    assert condition_from_json(json.loads(text)) == condition


def test_every_condition_class_has_a_stable_type_name():
    assert set(CONDITION_TYPE_NAMES) == set(CONDITION_FIELDS)
    used = {type(node) for c in EVERY_NODE.values() for node in c.walk()}
    assert used == set(CONDITION_TYPE_NAMES)
    assert condition_to_json(AC.missing()) == {"type": "condition.missing"}
    assert condition_to_json(~AC.in_progress()) == {
        "type": "condition.not",
        "operand": {"type": "condition.in_progress"},
    }


def test_stored_type_names_never_change():
    assert sorted(CONDITION_TYPE_NAMES.values()) == sorted(
        f"condition.{name}"
        for name in (
            "missing",
            "newly_missing",
            "in_progress",
            "execution_failed",
            "newly_updated",
            "newly_requested",
            "code_version_changed",
            "data_version_changed",
            "cron_tick_passed",
            "updated_since_cron",
            "in_latest_time_window",
            "will_be_requested",
            "stale",
            "late",
            "needed_for_freshness",
            "all_deps_blocking_checks_passed",
            "and",
            "or",
            "not",
            "since",
            "newly_true",
            "any_deps_match",
            "all_deps_match",
        )
    )


def test_unknown_condition_type_asks_to_upgrade():
    with pytest.raises(SnapshotVersionError, match="upgrade freshet"):
        condition_from_json({"type": "condition.from_the_future"})


def test_snapshot_holds_each_assets_condition_tree():
    @fr.asset(automation_condition=AC.eager())
    def up() -> int:
        return 1

    @fr.asset(deps=[up], automation_condition=AC.on_cron("0 9 * * *") | AC.late())
    def down() -> int:
        return 1

    snapshot = DefinitionsSnapshot.from_definitions(fr.Definitions(assets=[up, down]))
    read = DefinitionsSnapshot.from_json(snapshot.to_json())
    conditions = {n.key.to_user_string(): n.automation_condition for n in read.assets}
    assert conditions == {"up": AC.eager(), "down": AC.on_cron("0 9 * * *") | AC.late()}
    assert read.fingerprint == snapshot.fingerprint

"""Built-in partitions definitions and mappings come back from a snapshot as equal, working
objects; a user-defined mapping is marked as such and answered only by its code location."""

from __future__ import annotations

from datetime import datetime

import pytest

import freshet as fr
from freshet.core.partitions import PartitionMapping
from freshet.errors import SnapshotError, UserCodeRequiredError
from freshet.snapshot import DefinitionsSnapshot, UserDefinedPartitionMapping

NOW = datetime(2024, 3, 1, 12)

DEFINITIONS = {
    "daily": fr.DailyPartitionsDefinition("2024-01-01", hour_offset=3, timezone="Europe/Berlin"),
    "hourly": fr.HourlyPartitionsDefinition("2024-02-28-00:00", end_offset=1),
    "weekly": fr.WeeklyPartitionsDefinition("2024-01-01", day_offset=1),
    "monthly": fr.MonthlyPartitionsDefinition("2023-01-01", end_date="2024-01-01"),
    "cron": fr.TimeWindowPartitionsDefinition(
        "0 */6 * * *", "2024-02-01", fmt="%Y%m%d%H", timezone="America/New_York"
    ),
    "static": fr.StaticPartitionsDefinition(["eu", "us", "apac"]),
    "dynamic": fr.DynamicPartitionsDefinition("customers"),
    "multi": fr.MultiPartitionsDefinition(
        {
            "date": fr.DailyPartitionsDefinition("2024-02-20"),
            "region": fr.StaticPartitionsDefinition(["eu", "us"]),
        }
    ),
}


def _read_back(defs: fr.Definitions) -> DefinitionsSnapshot:
    return DefinitionsSnapshot.from_json(DefinitionsSnapshot.from_definitions(defs).to_json())


@pytest.mark.parametrize("name", list(DEFINITIONS), ids=list(DEFINITIONS))
def test_partitions_definition_comes_back_equal_and_working(name):
    definition = DEFINITIONS[name]
    asset = fr.asset(name="x", partitions_def=definition)(lambda: 1)
    read = _read_back(fr.Definitions(assets=[asset]))
    back = read.get_asset_graph().node(fr.AssetKey("x")).partitions_def
    assert back == definition and type(back) is type(definition)
    assert hash(back) == hash(definition)
    if name == "dynamic":
        return  # its keys live in the instance
    keys = list(definition.get_partition_keys(NOW))
    assert list(back.get_partition_keys(NOW)) == keys
    assert back.subset_for_keys(keys[:2], NOW) == definition.subset_for_keys(keys[:2], NOW)


MAPPINGS = {
    "identity": (fr.IdentityPartitionMapping(), "daily", "daily"),
    "all": (fr.AllPartitionMapping(), "static", "daily"),
    "last": (fr.LastPartitionMapping(), "daily", "static"),
    "time_window": (
        fr.TimeWindowPartitionMapping(start_offset=-2, end_offset=-1),
        "hourly",
        "daily",
    ),
    "static": (fr.StaticPartitionMapping({"eu": ["eu", "apac"], "us": "us"}), "static", "static"),
    "specific": (fr.SpecificPartitionsPartitionMapping(["eu"]), "static", "daily"),
    "multi_to_single": (
        fr.MultiToSingleDimensionPartitionMapping(partition_dimension_name="region"),
        "multi",
        "static2",
    ),
}


def _definition(name: str):
    if name == "static2":
        return fr.StaticPartitionsDefinition(["eu", "us"])
    return DEFINITIONS[name]


@pytest.mark.parametrize("name", list(MAPPINGS), ids=list(MAPPINGS))
def test_partition_mapping_comes_back_equal_and_working(name):
    mapping, up_name, down_name = MAPPINGS[name]
    up_def, down_def = _definition(up_name), _definition(down_name)
    up = fr.asset(name="up", partitions_def=up_def)(lambda: 1)
    down = fr.asset(
        name="down",
        partitions_def=down_def,
        deps=[fr.AssetDep("up", partition_mapping=mapping)],
    )(lambda: 1)
    read = _read_back(fr.Definitions(assets=[up, down]))
    back = read.get_asset_graph().node(fr.AssetKey("down")).partition_mapping_for(fr.AssetKey("up"))
    assert back == mapping and type(back) is type(mapping)
    first = down_def.get_partition_keys(NOW)[0]
    subset = down_def.subset_for_keys([first], NOW)
    assert back.upstream_partitions_for(
        subset, up_def, down_def, current_time=NOW
    ) == mapping.upstream_partitions_for(subset, up_def, down_def, current_time=NOW)


class EvenDaysMapping(PartitionMapping):
    """A user's own mapping: evaluating it needs this code."""

    def problem_with(self, upstream_def, downstream_def):
        return None

    def _upstream(self, subset, up, down, ctx):
        return subset

    def _downstream(self, subset, up, down, ctx):
        return subset

    def __repr__(self):
        return "EvenDaysMapping()"


def _user_mapped_defs() -> fr.Definitions:
    daily = fr.DailyPartitionsDefinition("2024-01-01")
    up = fr.asset(name="up", partitions_def=daily)(lambda: 1)
    down = fr.asset(
        name="down",
        partitions_def=daily,
        deps=[fr.AssetDep("up", partition_mapping=EvenDaysMapping())],
    )(lambda: 1)
    return fr.Definitions(assets=[up, down])


def test_user_defined_mapping_is_marked_and_refuses_to_guess():
    read = _read_back(_user_mapped_defs())
    mapping = (
        read.get_asset_graph().node(fr.AssetKey("down")).partition_mapping_for(fr.AssetKey("up"))
    )
    assert isinstance(mapping, UserDefinedPartitionMapping)
    assert mapping.python_type.endswith("EvenDaysMapping")
    assert (mapping.asset_key, mapping.dependency_key) == ("down", "up")
    daily = fr.DailyPartitionsDefinition("2024-01-01")
    subset = daily.subset_for_keys(["2024-01-02"])
    with pytest.raises(
        UserCodeRequiredError, match=r"'down' on 'up' is user-defined.*code location"
    ):
        mapping.upstream_partitions_for(subset, daily, daily)
    with pytest.raises(UserCodeRequiredError):
        mapping.downstream_partitions_for(subset, daily, daily)


def test_user_defined_mapping_is_answered_by_the_given_evaluator():
    asked = []

    class CodeLocation:
        def upstream_partitions_for(
            self, mapping, subset, up, down, *, current_time, dynamic_store
        ):
            asked.append(("up", mapping.asset_key, mapping.dependency_key))
            return subset

        def downstream_partitions_for(
            self, mapping, subset, up, down, *, current_time, dynamic_store
        ):
            asked.append(("down", mapping.asset_key, mapping.dependency_key))
            return subset

    snapshot = _read_back(_user_mapped_defs())
    graph = snapshot.asset_graph_with(CodeLocation())
    mapping = graph.node(fr.AssetKey("down")).partition_mapping_for(fr.AssetKey("up"))
    daily = fr.DailyPartitionsDefinition("2024-01-01")
    subset = daily.subset_for_keys(["2024-01-02"])
    assert mapping.upstream_partitions_for(subset, daily, daily) == subset
    assert mapping.downstream_partitions_for(subset, daily, daily) == subset
    assert asked == [("up", "down", "up"), ("down", "down", "up")]


def test_subclass_of_a_builtin_mapping_is_user_defined():
    class ShiftedIdentity(fr.IdentityPartitionMapping):
        pass

    daily = fr.DailyPartitionsDefinition("2024-01-01")
    up = fr.asset(name="up", partitions_def=daily)(lambda: 1)
    down = fr.asset(
        name="down",
        partitions_def=daily,
        deps=[fr.AssetDep("up", partition_mapping=ShiftedIdentity())],
    )(lambda: 1)
    read = _read_back(fr.Definitions(assets=[up, down]))
    mapping = (
        read.get_asset_graph().node(fr.AssetKey("down")).partition_mapping_for(fr.AssetKey("up"))
    )
    assert isinstance(mapping, UserDefinedPartitionMapping)


def test_user_defined_partitions_definition_is_refused_with_what_to_use():
    class Custom(fr.StaticPartitionsDefinition):
        __slots__ = ()

    asset = fr.asset(name="x", partitions_def=Custom(["a"]))(lambda: 1)
    with pytest.raises(SnapshotError, match=r"asset 'x'.*not one of freshet's built-in"):
        DefinitionsSnapshot.from_definitions(fr.Definitions(assets=[asset]))

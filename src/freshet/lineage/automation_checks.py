"""What `Definitions` checks of each asset's automation condition: that it is one, that its
cron schedules and timezones are usable, that `.allow()`/`.ignore()` selections name assets,
and that an `on_cron` fires at least once per time partition. Problems name the asset."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from freshet.core.automation.conditions import (
    AutomationCondition,
    CronTickPassedCondition,
    DepsCondition,
)
from freshet.core.keys import AssetKey
from freshet.core.partitions import TimeWindowPartitionsDefinition
from freshet.errors import FreshetError
from freshet.lineage.asset_graph import AssetGraph
from freshet.lineage.selection import select_assets

#: ticks sampled when comparing a cron schedule with a partitions definition's
_SAMPLE_TICKS = 64
_SAMPLE_FROM = datetime(2024, 1, 1, tzinfo=UTC).timestamp()


def automation_problems(graph: AssetGraph) -> list[str]:
    """Every problem once, in asset order (a preset may hold the same cron twice)."""
    return list(dict.fromkeys(_problems(graph)))


def _problems(graph: AssetGraph) -> Iterator[str]:
    # one resolution per selection text: a preset repeats the same text on every asset
    selected: dict[str, set[AssetKey] | FreshetError] = {}
    for key, node in graph.nodes.items():
        condition = node.automation_condition
        if condition is None:
            continue
        where = f"asset {key.to_user_string()!r}: automation_condition"
        if not isinstance(condition, AutomationCondition):
            yield (
                f"{where} must be an AutomationCondition (e.g. AutomationCondition.eager()), "
                f"got {type(condition).__name__}"
            )
            continue
        for part in condition.walk():
            problem = part.problem()
            if problem is not None:
                yield f"{where}: {problem}"
            elif isinstance(part, DepsCondition):
                yield from _selection_problems(graph, part, where, selected)
            elif isinstance(part, CronTickPassedCondition):
                yield from _cron_partition_problems(part, node.partitions_def, key, where)


def _selection_problems(
    graph: AssetGraph,
    part: DepsCondition,
    where: str,
    selected: dict[str, set[AssetKey] | FreshetError],
) -> Iterator[str]:
    for method, text in (("allow", part.allow_selection), ("ignore", part.ignore_selection)):
        if text is None:
            continue
        keys = selected.get(text)
        if keys is None:
            try:
                keys = select_assets(graph, text)
            except FreshetError as error:
                keys = error
            selected[text] = keys
        if isinstance(keys, FreshetError):
            yield f"{where}: {part.name}().{method}({text!r}): {keys}"
            continue
        if not keys:
            yield f"{where}: {part.name}().{method}({text!r}) names no asset"


def _cron_partition_problems(
    part: CronTickPassedCondition, partitions_def: object, key: AssetKey, where: str
) -> Iterator[str]:
    """A time-partitioned asset whose cron fires less often than its partitions would leave
    partitions behind that the condition never requests."""
    if not isinstance(partitions_def, TimeWindowPartitionsDefinition):
        return
    cron_gap = _largest_gap(part.cron_schedule, part.cron_timezone)
    window = _smallest_gap(partitions_def.cron_schedule, partitions_def.timezone)
    if cron_gap > window + 3601:  # an hour of slack for DST shifts between zones
        yield (
            f"{where}: cron '{part.cron_schedule}' ({part.cron_timezone}) fires less often than "
            f"the asset's partitions ('{partitions_def.cron_schedule}'), so some partitions "
            "would never be requested; use a cron that fires at least once per partition"
        )


def _gaps(cron_schedule: str, timezone: str) -> list[float]:
    # Imported here for start-up time: croniter costs ~25 ms; most projects have no cron.
    from freshet.core.cron import CronCadence

    cadence = CronCadence(cron_schedule, ZoneInfo(timezone), _SAMPLE_FROM)
    ticks = [cadence.tick_timestamp(n) for n in range(_SAMPLE_TICKS)]
    return [b - a for a, b in itertools.pairwise(ticks)]


def _largest_gap(cron_schedule: str, timezone: str) -> float:
    return max(_gaps(cron_schedule, timezone))


def _smallest_gap(cron_schedule: str, timezone: str) -> float:
    return min(_gaps(cron_schedule, timezone))

"""`AutomationCondition`: when the automation loop should request an asset partition, as a
tree of frozen values (leaves, operators, presets) that a snapshot stores and the evaluator in
`freshet.automation` reads. Nothing here looks at storage or the clock.

A condition is evaluated per asset partition at each tick; every node yields the subset of
partitions for which it holds. Conditions that compare with "the previous tick" (newly_*,
since, newly_true, *_changed, cron_tick_passed) keep what they need in the tick's cursor.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from freshet.core.keys import AssetKey
from freshet.errors import InvalidDefinitionError


@dataclass(frozen=True, slots=True, kw_only=True)
class AutomationCondition:
    """The base of every condition node. Combine with `&`, `|`, `~`, `.since(reset)`,
    `.newly_true()`; name a subtree with `.with_label(text)` (shown by `explain`)."""

    label: str | None = None

    #: what `explain` calls this node when it has no label
    name: ClassVar[str] = "condition"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return ()

    def describe(self) -> str:
        """One line saying what this node means."""
        return self.name

    def title(self) -> str:
        return self.label or self.name

    # -- operators ------------------------------------------------------------------------
    def __and__(self, other: AutomationCondition) -> AutomationCondition:
        other = _check(other, "&")
        left = self.operands if isinstance(self, AndCondition) and not self.label else (self,)
        right = other.operands if isinstance(other, AndCondition) and not other.label else (other,)
        return AndCondition(operands=(*left, *right))

    def __or__(self, other: AutomationCondition) -> AutomationCondition:
        other = _check(other, "|")
        left = self.operands if isinstance(self, OrCondition) and not self.label else (self,)
        right = other.operands if isinstance(other, OrCondition) and not other.label else (other,)
        return OrCondition(operands=(*left, *right))

    def __invert__(self) -> AutomationCondition:
        return NotCondition(operand=self)

    def since(self, reset: AutomationCondition) -> AutomationCondition:
        """True from a tick where this condition held until a tick where `reset` holds."""
        return SinceCondition(trigger=self, reset=_check(reset, "since()"))

    def newly_true(self) -> AutomationCondition:
        """True at a tick where this condition holds and did not at the previous tick."""
        return NewlyTrueCondition(operand=self)

    def with_label(self, label: str | None) -> AutomationCondition:
        if label is not None and not isinstance(label, str):
            raise InvalidDefinitionError(f"with_label() takes a string, got {label!r}")
        return replace(self, label=label)

    def problem(self) -> str | None:
        """What is wrong with this node alone (checked by `Definitions`); None when fine."""
        return None

    def walk(self) -> Iterable[AutomationCondition]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    # -- leaves ---------------------------------------------------------------------------
    @staticmethod
    def missing() -> AutomationCondition:
        return MissingCondition()

    @staticmethod
    def newly_missing() -> AutomationCondition:
        return NewlyMissingCondition()

    @staticmethod
    def in_progress() -> AutomationCondition:
        return InProgressCondition()

    @staticmethod
    def execution_failed() -> AutomationCondition:
        return ExecutionFailedCondition()

    @staticmethod
    def newly_updated() -> AutomationCondition:
        return NewlyUpdatedCondition()

    @staticmethod
    def newly_requested() -> AutomationCondition:
        return NewlyRequestedCondition()

    @staticmethod
    def code_version_changed() -> AutomationCondition:
        return CodeVersionChangedCondition()

    @staticmethod
    def data_version_changed() -> AutomationCondition:
        return DataVersionChangedCondition()

    @staticmethod
    def cron_tick_passed(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        return CronTickPassedCondition(cron_schedule=cron_schedule, cron_timezone=cron_timezone)

    @staticmethod
    def in_latest_time_window(lookback_delta: Any = None) -> AutomationCondition:
        """The latest time partition (or, with `lookback_delta` — a `timedelta` or minutes —
        every partition whose window ends within that long of the latest one's end). True for
        every partition of an asset that is not time-partitioned."""
        return InLatestTimeWindowCondition(lookback_minutes=_minutes(lookback_delta))

    @staticmethod
    def will_be_requested() -> AutomationCondition:
        return WillBeRequestedCondition()

    @staticmethod
    def stale() -> AutomationCondition:
        return StaleCondition()

    @staticmethod
    def late() -> AutomationCondition:
        return LateCondition()

    @staticmethod
    def needed_for_freshness() -> AutomationCondition:
        """A refresh of this asset would make it, or an asset downstream of it, meet a
        freshness deadline it would otherwise miss (the building block of `lazy()`)."""
        return NeededForFreshnessCondition()

    @staticmethod
    def all_deps_blocking_checks_passed() -> AutomationCondition:
        return AllDepsBlockingChecksPassedCondition()

    @staticmethod
    def any_deps_match(condition: AutomationCondition) -> DepsCondition:
        return AnyDepsCondition(operand=_check(condition, "any_deps_match()"))

    @staticmethod
    def all_deps_match(condition: AutomationCondition) -> DepsCondition:
        return AllDepsCondition(operand=_check(condition, "all_deps_match()"))

    # leaves defined as small trees of the above
    @staticmethod
    def any_deps_updated() -> AutomationCondition:
        """A dependency has a new materialization (or observation) since the previous tick,
        or will be requested in this one; whatever its data version."""
        return AnyDepsCondition(
            operand=NewlyUpdatedCondition() | WillBeRequestedCondition()
        ).with_label("any_deps_updated")

    @staticmethod
    def any_deps_missing() -> AutomationCondition:
        """A dependency partition is missing and is not requested in this tick."""
        return AnyDepsCondition(
            operand=MissingCondition() & ~WillBeRequestedCondition()
        ).with_label("any_deps_missing")

    @staticmethod
    def any_deps_in_progress() -> AutomationCondition:
        return AnyDepsCondition(operand=InProgressCondition()).with_label("any_deps_in_progress")

    @staticmethod
    def all_deps_updated_since_cron(
        cron_schedule: str, cron_timezone: str = "UTC"
    ) -> AutomationCondition:
        """Every dependency was updated after the latest tick of the cron schedule (or is
        requested in this tick)."""
        return AllDepsCondition(
            operand=UpdatedSinceCronCondition(
                cron_schedule=cron_schedule, cron_timezone=cron_timezone
            )
            | WillBeRequestedCondition()
        ).with_label("all_deps_updated_since_cron")

    # -- presets --------------------------------------------------------------------------
    @staticmethod
    def eager() -> AutomationCondition:
        """Request the latest time partition when it is missing, when its code version
        changed, or when a dependency has a new data version — once per such change — but
        not while a dependency is missing or in progress, nor while it is in progress itself.

        Tree: in_latest_time_window()
              & (newly_missing() | code_version_changed()
                 | any_deps_match(data_version_changed()))
                .since(newly_requested() | newly_updated())
              & ~any_deps_missing() & ~any_deps_in_progress() & ~in_progress()
        """
        changed = (
            AutomationCondition.newly_missing()
            | AutomationCondition.code_version_changed()
            | AutomationCondition.any_deps_match(
                AutomationCondition.data_version_changed()
            ).with_label("any_deps_data_version_changed")
        )
        handled = AutomationCondition.newly_requested() | AutomationCondition.newly_updated()
        return (
            AutomationCondition.in_latest_time_window()
            & changed.since(handled).with_label("changed since last handled")
            & ~AutomationCondition.any_deps_missing()
            & ~AutomationCondition.any_deps_in_progress()
            & ~AutomationCondition.in_progress()
        ).with_label("eager")

    @staticmethod
    def on_cron(cron_schedule: str, cron_timezone: str = "UTC") -> AutomationCondition:
        """Request the latest time partition once per tick of the cron schedule, as soon as
        every dependency has been updated since that tick.

        Tree: in_latest_time_window()
              & cron_tick_passed(cron, tz).since(newly_requested())
              & all_deps_updated_since_cron(cron, tz)
        """
        return (
            AutomationCondition.in_latest_time_window()
            & AutomationCondition.cron_tick_passed(cron_schedule, cron_timezone)
            .since(AutomationCondition.newly_requested())
            .with_label("cron tick passed since last request")
            & AutomationCondition.all_deps_updated_since_cron(cron_schedule, cron_timezone)
        ).with_label(f"on_cron({cron_schedule}, {cron_timezone})")

    @staticmethod
    def on_missing() -> AutomationCondition:
        """Request the latest time partition once when it goes missing, when no dependency
        is missing.

        Tree: in_latest_time_window()
              & newly_missing().since(newly_requested() | newly_updated())
              & ~any_deps_missing() & ~in_progress()
        """
        return (
            AutomationCondition.in_latest_time_window()
            & AutomationCondition.newly_missing()
            .since(AutomationCondition.newly_requested() | AutomationCondition.newly_updated())
            .with_label("missing since last handled")
            & ~AutomationCondition.any_deps_missing()
            & ~AutomationCondition.in_progress()
        ).with_label("on_missing")

    @staticmethod
    def lazy() -> AutomationCondition:
        """Request only when this asset or one downstream of it with a freshness policy
        needs a refresh to meet its next deadline.

        Tree: in_latest_time_window() & needed_for_freshness()
              & ~any_deps_in_progress() & ~in_progress()
        """
        return (
            AutomationCondition.in_latest_time_window()
            & AutomationCondition.needed_for_freshness()
            & ~AutomationCondition.any_deps_in_progress()
            & ~AutomationCondition.in_progress()
        ).with_label("lazy")


def _check(value: object, where: str) -> AutomationCondition:
    if not isinstance(value, AutomationCondition):
        raise InvalidDefinitionError(
            f"{where} takes an AutomationCondition, got {type(value).__name__} ({value!r:.60})"
        )
    return value


def _minutes(value: Any) -> float | None:
    if value is None:
        return None
    seconds = getattr(value, "total_seconds", None)
    minutes = seconds() / 60 if callable(seconds) else value
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise InvalidDefinitionError(
            f"in_latest_time_window() takes a timedelta or a number of minutes, got {value!r}"
        )
    if not math.isfinite(minutes) or minutes < 0:
        raise InvalidDefinitionError(
            f"in_latest_time_window(): the lookback must be a non-negative duration, got {value!r}"
        )
    return float(minutes)


# ---- leaves -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingCondition(AutomationCondition):
    name: ClassVar[str] = "missing"

    def describe(self) -> str:
        return "never materialized"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewlyMissingCondition(AutomationCondition):
    name: ClassVar[str] = "newly_missing"

    def describe(self) -> str:
        return "missing now and not at the previous tick (or this is the first tick)"


@dataclass(frozen=True, slots=True, kw_only=True)
class InProgressCondition(AutomationCondition):
    name: ClassVar[str] = "in_progress"

    def describe(self) -> str:
        return "a run targeting it is queued or in progress"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionFailedCondition(AutomationCondition):
    name: ClassVar[str] = "execution_failed"

    def describe(self) -> str:
        return "its latest run failed to materialize it"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewlyUpdatedCondition(AutomationCondition):
    name: ClassVar[str] = "newly_updated"

    def describe(self) -> str:
        return "materialized (or observed) since the previous tick"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewlyRequestedCondition(AutomationCondition):
    name: ClassVar[str] = "newly_requested"

    def describe(self) -> str:
        return "requested by the previous tick"


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeVersionChangedCondition(AutomationCondition):
    name: ClassVar[str] = "code_version_changed"

    def describe(self) -> str:
        return "its code version differs from the one seen at the previous tick (at the first, from its latest materialization's)"


@dataclass(frozen=True, slots=True, kw_only=True)
class DataVersionChangedCondition(AutomationCondition):
    name: ClassVar[str] = "data_version_changed"

    def describe(self) -> str:
        return "its data version differs from the one seen when last evaluated"


@dataclass(frozen=True, slots=True, kw_only=True)
class _CronCondition(AutomationCondition):
    cron_schedule: str
    cron_timezone: str = "UTC"

    def problem(self) -> str | None:
        """Why the cron schedule or timezone is unusable; checked by `Definitions`, which
        names the asset (a condition is built before it is attached to one)."""
        # Imported here for start-up time: croniter costs ~25 ms; most projects have no cron.
        from freshet.core.cron import cron_problem

        problem = cron_problem(self.cron_schedule)
        if problem is not None:
            return f"{self.name}(): {problem}"
        try:
            ZoneInfo(self.cron_timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            return (
                f"{self.name}(): unknown timezone {self.cron_timezone!r}; use an IANA name "
                "such as 'UTC' or 'Europe/Berlin'"
            )
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class CronTickPassedCondition(_CronCondition):
    name: ClassVar[str] = "cron_tick_passed"

    def describe(self) -> str:
        return f"a tick of '{self.cron_schedule}' ({self.cron_timezone}) passed since the previous tick"


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdatedSinceCronCondition(_CronCondition):
    name: ClassVar[str] = "updated_since_cron"

    def describe(self) -> str:
        return f"updated after the latest tick of '{self.cron_schedule}' ({self.cron_timezone})"


@dataclass(frozen=True, slots=True, kw_only=True)
class InLatestTimeWindowCondition(AutomationCondition):
    lookback_minutes: float | None = None
    name: ClassVar[str] = "in_latest_time_window"

    def describe(self) -> str:
        if self.lookback_minutes is None:
            return "the latest time partition (any partition when not time-partitioned)"
        return f"a time partition ending within {self.lookback_minutes:g} min of the latest one"


@dataclass(frozen=True, slots=True, kw_only=True)
class WillBeRequestedCondition(AutomationCondition):
    name: ClassVar[str] = "will_be_requested"

    def describe(self) -> str:
        return "requested by this tick"


@dataclass(frozen=True, slots=True, kw_only=True)
class StaleCondition(AutomationCondition):
    name: ClassVar[str] = "stale"

    def describe(self) -> str:
        return "stale: its code or an upstream data version changed since it was materialized"


@dataclass(frozen=True, slots=True, kw_only=True)
class LateCondition(AutomationCondition):
    name: ClassVar[str] = "late"

    def describe(self) -> str:
        return "late against its freshness policy"


@dataclass(frozen=True, slots=True, kw_only=True)
class NeededForFreshnessCondition(AutomationCondition):
    name: ClassVar[str] = "needed_for_freshness"

    def describe(self) -> str:
        return "a refresh is needed for it or a downstream asset to meet a freshness deadline"


@dataclass(frozen=True, slots=True, kw_only=True)
class AllDepsBlockingChecksPassedCondition(AutomationCondition):
    name: ClassVar[str] = "all_deps_blocking_checks_passed"

    def describe(self) -> str:
        return "every blocking check of every dependency passed"


# ---- operators ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AndCondition(AutomationCondition):
    operands: tuple[AutomationCondition, ...]
    name: ClassVar[str] = "and"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return self.operands

    def describe(self) -> str:
        return "all of"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrCondition(AutomationCondition):
    operands: tuple[AutomationCondition, ...]
    name: ClassVar[str] = "or"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return self.operands

    def describe(self) -> str:
        return "any of"


@dataclass(frozen=True, slots=True, kw_only=True)
class NotCondition(AutomationCondition):
    operand: AutomationCondition
    name: ClassVar[str] = "not"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    def describe(self) -> str:
        return "not"


@dataclass(frozen=True, slots=True, kw_only=True)
class SinceCondition(AutomationCondition):
    trigger: AutomationCondition
    reset: AutomationCondition
    name: ClassVar[str] = "since"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.trigger, self.reset)

    def describe(self) -> str:
        return "the first held at a tick after the second last held (the second wins a tie)"


@dataclass(frozen=True, slots=True, kw_only=True)
class NewlyTrueCondition(AutomationCondition):
    operand: AutomationCondition
    name: ClassVar[str] = "newly_true"

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    def describe(self) -> str:
        return "holds now and did not at the previous tick"


@dataclass(frozen=True, slots=True, kw_only=True)
class DepsCondition(AutomationCondition):
    """Applies `operand` to the dependencies' partitions that each partition reads.
    `allow` / `ignore` are selections (text of the selection grammar) of dependencies."""

    operand: AutomationCondition
    allow_selection: str | None = None
    ignore_selection: str | None = None

    @property
    def children(self) -> tuple[AutomationCondition, ...]:
        return (self.operand,)

    def allow(self, selection: Any) -> DepsCondition:
        """Only dependencies in `selection` count."""
        return replace(self, allow_selection=_selection_text(selection, "allow()"))

    def ignore(self, selection: Any) -> DepsCondition:
        """Dependencies in `selection` do not count."""
        return replace(self, ignore_selection=_selection_text(selection, "ignore()"))

    def _filters(self) -> str:
        parts = []
        if self.allow_selection is not None:
            parts.append(f"among {self.allow_selection!r}")
        if self.ignore_selection is not None:
            parts.append(f"ignoring {self.ignore_selection!r}")
        return (" " + ", ".join(parts)) if parts else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnyDepsCondition(DepsCondition):
    name: ClassVar[str] = "any_deps_match"

    def describe(self) -> str:
        return "some dependency partition matches" + self._filters()


@dataclass(frozen=True, slots=True, kw_only=True)
class AllDepsCondition(DepsCondition):
    name: ClassVar[str] = "all_deps_match"

    def describe(self) -> str:
        return "every dependency partition matches (true without dependencies)" + self._filters()


def _selection_text(selection: Any, where: str) -> str:
    """A selection as the grammar's text: core cannot resolve selections (that needs the
    graph), so a condition keeps the text and `Definitions` checks it names some asset."""
    if isinstance(selection, str):
        text = selection
    elif isinstance(selection, AssetKey):
        text = _key_text(selection)
    elif (
        isinstance(selection, Sequence)
        and selection
        and all(isinstance(item, str | AssetKey) for item in selection)
    ):
        text = " or ".join(
            _key_text(item) if isinstance(item, AssetKey) else item for item in selection
        )
    elif type(selection).__name__ == "AssetSelection":
        text = str(selection)
    else:
        raise InvalidDefinitionError(
            f"{where} takes an AssetSelection, selection text, an AssetKey or a list of them, "
            f"got {type(selection).__name__}"
        )
    if not text.strip():
        raise InvalidDefinitionError(f"{where}: the selection is empty")
    return text


def _key_text(key: AssetKey) -> str:
    text = key.to_user_string()
    return text if all(c.isalnum() or c in "_/-" for c in text) else f'key:"{text}"'


CONDITION_FIELDS: dict[type[AutomationCondition], tuple[str, ...]] = {}
"""Each condition class and its own fields (besides `label`), for codecs and tests."""


def _register_fields() -> None:
    # From the module's names: a slotted dataclass replaces its class, so __subclasses__()
    # would also list the classes it replaced.
    for value in list(globals().values()):
        if (
            isinstance(value, type)
            and issubclass(value, AutomationCondition)
            and value not in (AutomationCondition, DepsCondition)
            and not value.__name__.startswith("_")
        ):
            CONDITION_FIELDS[value] = tuple(f.name for f in fields(value) if f.name != "label")


_register_fields()


@dataclass(frozen=True, slots=True)
class AutoMaterializePolicy:
    """The older name for automation: `AutoMaterializePolicy.eager()` / `.lazy()` become
    `AutomationCondition.eager()` / `.lazy()` on the asset."""

    condition: AutomationCondition = field(default_factory=AutomationCondition.eager)

    @staticmethod
    def eager() -> AutoMaterializePolicy:
        return AutoMaterializePolicy(AutomationCondition.eager())

    @staticmethod
    def lazy() -> AutoMaterializePolicy:
        return AutoMaterializePolicy(AutomationCondition.lazy())

    def to_automation_condition(self) -> AutomationCondition:
        return self.condition

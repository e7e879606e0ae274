"""`Definitions`: assembles a project's assets, checks, jobs and resources and validates
them all at once, reporting every problem with the objects involved."""

from __future__ import annotations

import sys
import types
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from freshet.core.assets import AssetsDefinition, AssetSpec, external_asset
from freshet.core.checks import AssetChecksDefinition
from freshet.core.keys import AssetKey
from freshet.core.ops import DEFAULT_IO_MANAGER_KEY
from freshet.errors import (
    CycleError,
    DefinitionsError,
    DuplicateKeyError,
    FreshetError,
    InvalidDefinitionError,
    MissingResourceError,
    UnknownDependencyError,
)
from freshet.lineage.asset_graph import AssetGraph, UnknownDep

if TYPE_CHECKING:
    from freshet.core.jobs import JobDefinition, UnresolvedAssetJob
    from freshet.core.schedules import ScheduleDefinition

# Start-up time: what only some projects use (partitions, jobs, schedules, sensors, resources,
# automation conditions, config schemas, executors, selections) is imported by the check that
# needs it, once something is there to check, so that a plain project loads only what it uses.


class _Problems:
    """Collects every problem, then raises once (the most specific class if all agree)."""

    def __init__(self) -> None:
        self.items: list[tuple[type[DefinitionsError], str]] = []

    def add(self, cls: type[DefinitionsError], message: str) -> None:
        self.items.append((cls, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        classes = {cls for cls, _ in self.items}
        cls = classes.pop() if len(classes) == 1 else DefinitionsError
        if len(self.items) == 1:
            raise cls(f"invalid definitions: {self.items[0][1]}")
        body = "\n".join(f"  - {message}" for _, message in self.items)
        raise cls(f"invalid definitions ({len(self.items)} problems):\n{body}")


def _where(assets_def: AssetsDefinition) -> str:
    return f"{assets_def.node_name!r}" + (
        f" ({assets_def.location})" if assets_def.location else ""
    )


def _asset_where(key: AssetKey, assets_def: AssetsDefinition) -> str:
    """`asset 'a' (file:line)`, naming the producing function when it makes several."""
    name = key.to_user_string()
    place = f" ({assets_def.location})" if assets_def.location else ""
    if len(assets_def.specs) > 1:
        return f"asset {name!r} of {assets_def.node_name!r}{place}"
    return f"asset {name!r}{place}"


class Definitions:
    """Everything a project defines. Validated on construction; immutable afterwards."""

    def __init__(
        self,
        assets: Iterable[Any] = (),
        asset_checks: Iterable[AssetChecksDefinition] = (),
        jobs: Iterable[JobDefinition | UnresolvedAssetJob] = (),
        schedules: Iterable[Any] = (),
        sensors: Iterable[Any] = (),
        resources: Mapping[str, Any] | None = None,
        executor: Any = None,
        loggers: Mapping[str, Any] | None = None,
    ) -> None:
        problems = _Problems()
        jobs = list(jobs)
        # what was given, for merge: the external assets added below are decided per merge
        self._given_assets = tuple(assets)
        self._given_jobs = tuple(jobs)
        self._given_resources = dict(resources or {})
        assets_defs, checks = _normalize_assets(self._given_assets, asset_checks, problems)
        self._assets_defs = assets_defs
        self._checks = checks
        self._schedules = tuple(schedules)
        self._sensors = tuple(sensors)
        self._executor = executor
        self._loggers = dict(loggers or {})
        self._resources = _coerce_resources(resources or {}, problems)
        _check_duplicates(assets_defs, checks, problems)
        self._graph = AssetGraph.build(assets_defs, checks)
        externals = _externals_for_unknown_deps(self._graph)
        if externals:
            assets_defs = (*assets_defs, *externals)
            self._assets_defs = assets_defs
            self._graph = AssetGraph.build(assets_defs, checks)
        _check_unknown_deps(self._graph.unknown_deps, problems)
        _check_checks(self._graph, checks, problems)
        cycle = self._graph.find_cycle()
        if cycle:
            path = " -> ".join(k.to_user_string() for k in cycle)
            problems.add(CycleError, f"the asset graph has a cycle: {path}")
        _check_partitions(self._graph, problems)
        _check_automation(self._graph, problems)
        _check_configs(assets_defs, checks, problems)
        _check_resources(assets_defs, checks, self._resources, problems)
        _check_executors(executor, jobs, problems)
        self._jobs = _resolve_jobs(jobs, self._graph, self._resources, problems)
        if executor is not None:
            # a job without its own executor runs with the project's
            self._jobs = {
                name: job if job.executor_def is not None else replace(job, executor_def=executor)
                for name, job in self._jobs.items()
            }
        _check_schedules(self._schedules, self._jobs, self._graph, problems)
        _check_sensors(self._sensors, self._schedules, self._jobs, self._graph, problems)
        problems.raise_if_any()

    @staticmethod
    def validate_loadable(defs: Any) -> None:
        """Check that `defs` is a valid Definitions (it is validated when built; a
        `@definitions` function is built here)."""
        if isinstance(defs, LazyDefinitions):
            defs.build()
        elif not isinstance(defs, Definitions):
            raise InvalidDefinitionError(f"expected a Definitions, got a {type(defs).__name__}")

    # -- accessors -------------------------------------------------------------------
    @property
    def warnings(self) -> list[str]:
        """Options given that freshet accepts but does not act on yet (see
        `OPTIONS_NOT_ACTED_ON`); `freshet check` prints them."""
        return [message for finder in OPTIONS_NOT_ACTED_ON for message in finder(self)]

    @property
    def assets(self) -> tuple[AssetsDefinition, ...]:
        return self._assets_defs

    @property
    def asset_checks(self) -> tuple[AssetChecksDefinition, ...]:
        return self._checks

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self._resources)

    @property
    def schedules(self) -> tuple[Any, ...]:
        return self._schedules

    @property
    def sensors(self) -> tuple[Any, ...]:
        return self._sensors

    @property
    def executor(self) -> Any:
        return self._executor

    def get_asset_graph(self) -> AssetGraph:
        return self._graph

    def get_assets_def(self, key: AssetKey | str) -> AssetsDefinition:
        asset_key = AssetKey.from_coercible(key)
        if asset_key not in self._graph.nodes:
            raise DefinitionsError(f"no asset {asset_key.to_user_string()!r} in these definitions")
        return self._graph.assets_def_for(asset_key)

    def get_schedule_def(self, name: str) -> ScheduleDefinition:
        for schedule in self._schedules:
            if schedule.name == name:
                return schedule
        known = ", ".join(sorted(s.name for s in self._schedules)) or "none"
        raise DefinitionsError(f"no schedule named {name!r} (schedules: {known})")

    def get_job_def(self, name: str) -> JobDefinition:
        try:
            return self._jobs[name]
        except KeyError:
            known = ", ".join(sorted(self._jobs)) or "none"
            raise DefinitionsError(f"no job named {name!r} (jobs: {known})") from None

    def load_asset_value(
        self,
        asset_key: Any,
        *,
        instance: Any = None,
        partition_key: str | None = None,
        resource_config: Mapping[str, Any] | None = None,
    ) -> Any:
        """An asset's stored value, loaded by its IO manager outside a run (pass the
        `instance` whose storage the default IO manager wrote to)."""
        key = AssetKey.from_coercible(asset_key)
        io_key = self.get_assets_def(key).io_manager_keys.get(key, DEFAULT_IO_MANAGER_KEY)
        resources = dict(self._resources)
        from freshet.core.builtin_io_managers import FilesystemIOManager
        from freshet.core.io_managers import build_input_context
        from freshet.core.resources import build_resources

        if io_key == DEFAULT_IO_MANAGER_KEY:
            resources.setdefault(io_key, FilesystemIOManager())
        base_dir = "" if instance is None else str(instance.storage_dir)
        context = build_input_context(
            name=key.to_python_identifier(),
            asset_key=key,
            partition_key=partition_key,
            base_dir=base_dir,
        )
        with build_resources(resources, keys=[io_key], resource_config=resource_config) as opened:
            return opened[io_key].load_input(context)

    def resolve_job_def(self, name: str) -> JobDefinition:
        """The job named `name` (the same as `get_job_def`)."""
        return self.get_job_def(name)

    def resolve_assets_def(self, key: AssetKey | str) -> AssetsDefinition:
        """The definition producing `key` (the same as `get_assets_def`)."""
        return self.get_assets_def(key)

    def resolve_asset_graph(self) -> AssetGraph:
        return self.get_asset_graph()

    def resolve_all_asset_keys(self) -> list[AssetKey]:
        """Every asset key, in topological order (upstream first)."""
        return list(self._graph.toposorted_keys)

    def get_all_job_defs(self) -> list[JobDefinition]:
        return list(self._jobs.values())

    def resolve_selection(self, selection: Any) -> set[AssetKey]:
        return _select(self._graph, selection)

    @staticmethod
    def merge(*defs: Definitions) -> Definitions:
        """One Definitions holding all of `defs`; a resource key given twice must agree."""
        resources: dict[str, Any] = {}
        for d in defs:
            for key, value in d._given_resources.items():
                if key in resources and not _same(resources[key], value):
                    raise DefinitionsError(
                        f"Definitions.merge: resource {key!r} is defined differently in two "
                        "Definitions; give it once"
                    )
                resources[key] = value
        executors = {id(d.executor): d.executor for d in defs if d.executor is not None}
        if len(executors) > 1:
            raise DefinitionsError("Definitions.merge: more than one executor given")
        return Definitions(
            assets=[a for d in defs for a in d._given_assets],
            asset_checks=[c for d in defs for c in d._checks],
            # re-resolve asset jobs against the merged graph
            jobs=[j for d in defs for j in d._given_jobs],
            schedules=[s for d in defs for s in d._schedules],
            sensors=[s for d in defs for s in d._sensors],
            resources=resources,
            executor=next(iter(executors.values()), None),
            loggers={k: v for d in defs for k, v in d._loggers.items()},
        )


def _same(first: Any, second: Any) -> bool:
    if first is second:
        return True
    try:
        return bool(first == second)
    except Exception:
        return False


# ---- validation steps -----------------------------------------------------------------


def _normalize_assets(
    assets: Iterable[Any], checks: Iterable[Any], problems: _Problems
) -> tuple[tuple[AssetsDefinition, ...], tuple[AssetChecksDefinition, ...]]:
    assets_defs: list[AssetsDefinition] = []
    check_defs: list[AssetChecksDefinition] = []
    for index, item in enumerate(assets):
        if isinstance(item, AssetsDefinition):
            assets_defs.append(item)
        elif isinstance(item, AssetSpec):
            assets_defs.append(external_asset(item))
        elif isinstance(item, AssetChecksDefinition):
            check_defs.append(item)
        else:
            problems.add(
                InvalidDefinitionError,
                f"assets[{index}] is a {type(item).__name__} ({item!r:.60}); expected an @asset, "
                "@multi_asset, AssetSpec or source asset",
            )
    assets_defs.extend(_supplied_external_assets(assets_defs))
    for index, item in enumerate(checks):
        if isinstance(item, AssetChecksDefinition):
            check_defs.append(item)
        else:
            problems.add(
                InvalidDefinitionError,
                f"asset_checks[{index}] is a {type(item).__name__}; expected an @asset_check",
            )
    return tuple(assets_defs), tuple(check_defs)


def _supplied_external_assets(assets_defs: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
    """The external assets that definitions bring along for what they read, each key once and
    only where no definition given provides it."""
    provided = {key for assets_def in assets_defs for key in assets_def.keys}
    supplied: list[AssetsDefinition] = []
    for assets_def in assets_defs:
        for spec in assets_def.supplied_specs:
            if spec.key not in provided:
                provided.add(spec.key)
                supplied.append(external_asset(spec))
    return supplied


def _check_duplicates(
    assets_defs: Sequence[AssetsDefinition],
    checks: Sequence[AssetChecksDefinition],
    problems: _Problems,
) -> None:
    owner: dict[AssetKey, AssetsDefinition] = {}
    nodes: dict[str, AssetsDefinition] = {}
    for assets_def in assets_defs:
        for key in assets_def.keys:
            first = owner.setdefault(key, assets_def)
            if first is not assets_def:
                problems.add(
                    DuplicateKeyError,
                    f"asset {key.to_user_string()!r} is defined twice: by {_where(first)} and "
                    f"by {_where(assets_def)}; rename one (name= or key_prefix=)",
                )
        if assets_def.is_executable:
            first = nodes.setdefault(assets_def.node_name, assets_def)
            if first is not assets_def and not set(first.keys) & set(assets_def.keys):
                problems.add(
                    DuplicateKeyError,
                    f"two definitions share the node name {assets_def.node_name!r}: "
                    f"{_where(first)} and {_where(assets_def)}",
                )
    seen_checks: set[Any] = set()
    for check in checks:
        for check_key in check.check_keys:
            if check_key in seen_checks:
                problems.add(
                    DuplicateKeyError,
                    f"asset check {check_key.to_user_string()!r} is defined twice",
                )
            seen_checks.add(check_key)


def _externals_for_unknown_deps(graph: AssetGraph) -> list[AssetsDefinition]:
    """A `deps=[...]` entry naming a key nothing defines declares an external asset (made by
    another system), with a warning; a parameter naming no asset stays an error."""
    found: dict[AssetKey, UnknownDep] = {}
    for dep in graph.unknown_deps:
        if dep.parent not in dep.assets_def.keys_by_input.values():
            found.setdefault(dep.parent, dep)
    externals: list[AssetsDefinition] = []
    if not found:
        return externals
    import difflib  # only an unknown dependency needs it

    known = sorted(k.to_user_string() for k in graph.nodes)
    for parent, dep in found.items():
        name = parent.to_user_string()
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        warnings.warn(
            f"{_asset_where(dep.child, dep.assets_def)} depends on {name!r}, which no "
            f"definition provides: it is taken as an external asset (declare it with "
            f"AssetSpec({name!r}) to silence this){hint}",
            UserWarning,
            stacklevel=3,
        )
        externals.append(external_asset(AssetSpec(parent)))
    return externals


def _check_unknown_deps(unknown: Sequence[UnknownDep], problems: _Problems) -> None:
    for dep in unknown:
        parent = dep.parent.to_user_string()
        params = [n for n, k in dep.assets_def.keys_by_input.items() if k == dep.parent]
        if params:
            problems.add(
                UnknownDependencyError,
                f"{_asset_where(dep.child, dep.assets_def)}: parameter "
                f"{params[0]!r} names no upstream asset (no asset {parent!r} is defined); define "
                f"it, declare it with AssetSpec({parent!r}) if another system makes it, or map "
                "the parameter with ins={...: AssetIn(key=...)}",
            )
        else:
            problems.add(
                UnknownDependencyError,
                f"{_asset_where(dep.child, dep.assets_def)} depends on "
                f"{parent!r}, which no definition provides; define it or declare it with "
                f"AssetSpec({parent!r})",
            )


def _check_checks(
    graph: AssetGraph, checks: Sequence[AssetChecksDefinition], problems: _Problems
) -> None:
    declared = {spec.key for assets_def in graph.assets_defs for spec in assets_def.check_specs}
    for check in checks:
        for spec in check.specs:
            _check_one_check(graph, check, spec, declared, problems)


def _check_one_check(
    graph: AssetGraph,
    check: AssetChecksDefinition,
    spec: Any,
    declared: set[Any],
    problems: _Problems,
) -> None:
    name = spec.key.to_user_string()
    if not graph.has(spec.asset_key):
        problems.add(
            UnknownDependencyError,
            f"asset check {name!r} targets asset "
            f"{spec.asset_key.to_user_string()!r}, which is not defined",
        )
    elif check.partitions_def is not None and (
        check.partitions_def != graph.node(spec.asset_key).partitions_def
    ):
        problems.add(
            InvalidDefinitionError,
            f"asset check {name!r}: its partitions_def differs from that of asset "
            f"{spec.asset_key.to_user_string()!r}; a partitioned check uses its asset's",
        )
    if spec.key in declared:
        problems.add(
            DuplicateKeyError,
            f"asset check {name!r} is defined twice: as an @asset_check and in the "
            "check_specs of its asset; keep one",
        )
    for dep in spec.additional_deps:
        if not graph.has(dep):
            problems.add(
                UnknownDependencyError,
                f"asset check {name!r}: additional dep {dep.to_user_string()!r} is not defined",
            )


def _check_partitions(graph: AssetGraph, problems: _Problems) -> None:
    """Every partitions_def is a definition, and every dependency's partition mapping
    (given or default) can join the two assets' partitions."""
    if not any(
        node.partitions_def is not None or any(d.partition_mapping is not None for d in node.deps)
        for node in graph.nodes.values()
    ):
        return
    from freshet.core.partitions import PartitionsDefinition, validate_mapping

    for key, node in graph.nodes.items():
        definition = node.partitions_def
        if definition is not None and not isinstance(definition, PartitionsDefinition):
            problems.add(
                InvalidDefinitionError,
                f"asset {key.to_user_string()!r}: partitions_def must be a partitions definition "
                f"(e.g. DailyPartitionsDefinition(start_date=...)), got {definition!r}",
            )
            continue
        for dep in node.deps:
            if dep.asset_key not in graph.nodes:
                continue
            upstream = graph.node(dep.asset_key).partitions_def
            if upstream is None and definition is None and dep.partition_mapping is None:
                continue  # the common case: nothing to map
            if not isinstance(upstream, PartitionsDefinition | None):
                continue
            problem = validate_mapping(upstream, definition, dep.partition_mapping)
            if problem:
                problems.add(
                    InvalidDefinitionError,
                    f"asset {key.to_user_string()!r} depends on "
                    f"{dep.asset_key.to_user_string()!r}: {problem}",
                )


def _check_configs(
    assets_defs: Sequence[AssetsDefinition],
    checks: Sequence[AssetChecksDefinition],
    problems: _Problems,
) -> None:
    ops = [a.op for a in assets_defs if a.op is not None] + [c.op for c in checks]
    for a in assets_defs:
        if a.graph is not None:
            ops.extend(node.definition for node in a.graph.nodes.values())
    for op_def in ops:
        if op_def.config_schema is None:
            continue
        from freshet.core.config_schema import config_schema_from  # pydantic

        try:
            config_schema_from(op_def.config_schema, where=f"ops.{op_def.name}.config")
        except FreshetError as exc:
            problems.add(InvalidDefinitionError, f"{op_def.name}: invalid config schema: {exc}")


def _coerce_resources(resources: Mapping[str, Any], problems: _Problems) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if not resources:
        return result
    from freshet.core.resources import coerce_resource

    for key, value in resources.items():
        try:
            result[key] = coerce_resource(value)
        except FreshetError as exc:
            problems.add(InvalidDefinitionError, f"resource {key!r}: {exc}")
    return result


def _check_resources(
    assets_defs: Sequence[AssetsDefinition],
    checks: Sequence[AssetChecksDefinition],
    resources: Mapping[str, Any],
    problems: _Problems,
) -> None:
    available = set(resources) | {DEFAULT_IO_MANAGER_KEY}
    if resources:
        _check_resources_of_resources(resources, available, problems)
    users: list[tuple[str, frozenset[str]]] = [
        (f"asset {_where(a)}", a.required_resource_keys) for a in assets_defs if a.is_executable
    ]
    users += [(f"asset check {c.node_name!r}", c.op.required_resource_keys) for c in checks]
    for who, keys in users:
        for needed in sorted(keys - available):
            problems.add(
                MissingResourceError,
                f"{who} requires resource {needed!r}, which is not provided; pass it in "
                f"Definitions(resources={{{needed!r}: ...}})",
            )


def _check_resources_of_resources(
    resources: Mapping[str, Any], available: set[str], problems: _Problems
) -> None:
    from freshet.core.resources import required_resource_keys

    for key, res in resources.items():
        for needed in sorted(required_resource_keys(res) - available):
            problems.add(
                MissingResourceError,
                f"resource {key!r} requires resource {needed!r}, which is not provided",
            )


def _check_schedules(
    schedules: Sequence[Any],
    jobs: Mapping[str, JobDefinition],
    graph: AssetGraph,
    problems: _Problems,
) -> None:
    if not schedules:
        return
    # Imported here for start-up time: croniter costs ~25 ms and most projects have no schedule.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from freshet.core.cron import cron_problem
    from freshet.core.schedules import ScheduleDefinition

    names: set[str] = set()
    for schedule in schedules:
        if not isinstance(schedule, ScheduleDefinition):
            problems.add(
                InvalidDefinitionError,
                f"schedules: {type(schedule).__name__} is not a ScheduleDefinition",
            )
            continue
        where = f"schedule {schedule.name!r}"
        if schedule.name in names:
            problems.add(DuplicateKeyError, f"two schedules are named {schedule.name!r}")
        names.add(schedule.name)
        cron = cron_problem(schedule.cron_schedule)
        if cron is not None:
            problems.add(InvalidDefinitionError, f"{where}: {cron}")
        try:
            ZoneInfo(schedule.execution_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add(
                InvalidDefinitionError,
                f"{where}: unknown execution_timezone {schedule.execution_timezone!r}; use an "
                "IANA name such as 'UTC' or 'Europe/Berlin'",
            )
        _check_target(where, schedule.job_name, schedule.target, jobs, graph, problems)


def _select(graph: AssetGraph, selection: Any) -> set[AssetKey]:
    # Imported on first use, for start-up time: the selection grammar costs ~10 ms, and only
    # jobs, schedules and sensors that select assets need it.
    from freshet.lineage.selection import select_assets

    return select_assets(graph, selection)


def _check_automation(graph: AssetGraph, problems: _Problems) -> None:
    if all(node.automation_condition is None for node in graph.nodes.values()):
        return
    # Imported here for start-up time: the condition classes and the selection grammar they
    # resolve cost ~25 ms, and most assets have no automation condition.
    from freshet.lineage.automation_checks import automation_problems

    for problem in automation_problems(graph):
        problems.add(InvalidDefinitionError, problem)


def _check_target(
    where: str,
    job_name: str | None,
    selection: Any,
    jobs: Mapping[str, JobDefinition],
    graph: AssetGraph,
    problems: _Problems,
) -> None:
    """A schedule's or sensor's job exists; its asset selection names assets."""
    if job_name is not None and job_name not in jobs:
        known = ", ".join(sorted(jobs)) or "none"
        import difflib  # only a mistake needs it

        close = difflib.get_close_matches(job_name, list(jobs), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.add(
            InvalidDefinitionError,
            f"{where} targets job {job_name!r}, which is not in these definitions (jobs: "
            f"{known}){hint}; add the job to Definitions(jobs=[...])",
        )
    if selection is not None:
        try:
            keys = _select(graph, selection)
        except FreshetError as exc:
            problems.add(InvalidDefinitionError, f"{where}: target: {exc}")
            return
        if not any(graph.node(k).is_materializable for k in keys):
            problems.add(InvalidDefinitionError, f"{where}: target selects no materializable asset")


def _check_sensors(
    sensors: Sequence[Any],
    schedules: Sequence[Any],
    jobs: Mapping[str, JobDefinition],
    graph: AssetGraph,
    problems: _Problems,
) -> None:
    if not sensors:
        return
    # Imported here for start-up time: the sensor classes cost ~6 ms; most projects have none.
    from freshet.core.sensors import SensorDefinition

    names: set[str] = set()
    schedule_names = {getattr(s, "name", None) for s in schedules}
    for sensor_def in sensors:
        if not isinstance(sensor_def, SensorDefinition):
            problems.add(
                InvalidDefinitionError,
                f"sensors: {type(sensor_def).__name__} is not a sensor (decorate a function "
                "with @fr.sensor)",
            )
            continue
        where = f"sensor {sensor_def.name!r}"
        if sensor_def.name in names:
            problems.add(DuplicateKeyError, f"two sensors are named {sensor_def.name!r}")
        if sensor_def.name in schedule_names:
            problems.add(
                DuplicateKeyError, f"a schedule and a sensor are both named {sensor_def.name!r}"
            )
        names.add(sensor_def.name)
        _check_target(where, sensor_def.job_name, sensor_def.asset_selection, jobs, graph, problems)
        if sensor_def.asset_key is not None and sensor_def.asset_key not in graph.nodes:
            problems.add(
                InvalidDefinitionError,
                f"{where} watches asset {sensor_def.asset_key.to_user_string()!r}, which is "
                "not in these definitions",
            )


def _check_asset_job_selection(
    name: str, keys: set[AssetKey], graph: AssetGraph, problems: _Problems
) -> None:
    if not any(graph.node(k).is_materializable for k in keys):
        problems.add(
            InvalidDefinitionError,
            f"job {name!r}: its selection holds no materializable asset",
        )
        return
    for key in keys:
        missing = graph.required_multi_asset_neighbors(key) - keys
        if missing:
            names = ", ".join(sorted(k.to_user_string() for k in missing))
            problems.add(
                InvalidDefinitionError,
                f"job {name!r} selects {key.to_user_string()!r} but not {names}, which "
                f"{graph.assets_def_for(key).node_name!r} produces together with it; select "
                "them too",
            )
            return


def _check_executors(executor: Any, jobs: Sequence[Any], problems: _Problems) -> None:
    """The project's executor and each job's `executor_def` must be executor definitions
    (fr.in_process_executor, fr.multiprocess_executor, fr.dask_executor)."""
    if executor is None and not jobs:
        return
    from freshet.core.executors import check_executor

    found = check_executor(executor, "Definitions(executor=...)")
    if found is not None:
        problems.add(InvalidDefinitionError, found)
    for job in jobs:
        found = check_executor(getattr(job, "executor_def", None), f"job {job.name!r} executor_def")
        if found is not None:
            problems.add(InvalidDefinitionError, found)


def _resolve_jobs(
    jobs: Iterable[JobDefinition | UnresolvedAssetJob],
    graph: AssetGraph,
    resources: Mapping[str, Any],
    problems: _Problems,
) -> dict[str, JobDefinition]:
    resolved: dict[str, JobDefinition] = {}
    if not jobs:
        return resolved
    from freshet.core.jobs import JobDefinition, UnresolvedAssetJob

    for job in jobs:
        if isinstance(job, UnresolvedAssetJob):
            try:
                keys = _select(graph, job.selection)
            except FreshetError as exc:
                problems.add(InvalidDefinitionError, f"job {job.name!r}: {exc}")
                continue
            _check_asset_job_selection(job.name, keys, graph, problems)
            job_def = job.resolve(resources, graph)
        elif isinstance(job, JobDefinition):
            # an op job runs with the project's resources unless it brings its own
            job_def = replace(job, resource_defs={**resources, **job.resource_defs})
            available = set(resources) | set(job.resource_defs) | {DEFAULT_IO_MANAGER_KEY}
            if job.graph is not None:
                for node in job.graph.nodes.values():
                    needed = node.definition.required_resource_keys | {
                        o.io_manager_key for o in node.definition.outs.values()
                    }
                    for key in sorted(needed - available):
                        problems.add(
                            MissingResourceError,
                            f"job {job.name!r} node {node.name!r} requires resource {key!r}, "
                            "which is not provided",
                        )
        else:
            problems.add(
                InvalidDefinitionError,
                f"jobs: {type(job).__name__} is not a job (use @job or define_asset_job)",
            )
            continue
        if job_def.name in resolved:
            problems.add(DuplicateKeyError, f"two jobs are named {job_def.name!r}")
        resolved[job_def.name] = job_def
    return resolved


class LazyDefinitions:
    """`@definitions` on a function returning `Definitions`: built on first use (by the
    loader, or by calling `build()`), so that importing the module stays cheap."""

    def __init__(self, fn: Callable[[], Definitions]) -> None:
        if not callable(fn):
            raise InvalidDefinitionError(f"@definitions: expected a function, got {fn!r}")
        self._fn = fn
        self._built: Definitions | None = None
        self.__name__ = getattr(fn, "__name__", "definitions")
        self.__doc__ = fn.__doc__

    def build(self) -> Definitions:
        if self._built is None:
            value = self._fn()
            if not isinstance(value, Definitions):
                raise InvalidDefinitionError(
                    f"@definitions function {self.__name__!r} returned a "
                    f"{type(value).__name__}; return Definitions(...)"
                )
            self._built = value
        return self._built

    def __call__(self) -> Definitions:
        return self.build()

    @property
    def load_fn(self) -> Callable[[], Definitions]:
        """The decorated function (what a loader calls; calling it builds new Definitions)."""
        return self._fn

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.build(), name)


def definitions(fn: Callable[[], Definitions]) -> LazyDefinitions:
    """Declare a project's Definitions by a function that builds them when first needed."""
    return LazyDefinitions(fn)


class _DefinitionsModule(types.ModuleType):
    """`freshet.definitions` names both this module and the `@definitions` decorator: once
    the module is imported, Python binds the package attribute to the module, so the module
    itself decorates when called."""

    def __call__(self, fn: Callable[[], Definitions]) -> LazyDefinitions:
        return definitions(fn)


sys.modules[__name__].__class__ = _DefinitionsModule


# ---- options accepted but not acted on yet ---------------------------------------------------
# One finder per option that `Definitions` accepts but that nothing in freshet acts on yet.
# Remove a finder when the issue that implements its feature lands, so that `freshet check`
# stops warning about it.

OPTIONS_NOT_ACTED_ON: tuple[Callable[[Definitions], list[str]], ...] = ()

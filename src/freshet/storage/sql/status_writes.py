"""How a batch of stored events updates run rows and the asset status indexes, as a short list
of SQL statements each run with executemany. Statements are built once per storage.

Order matters within one table (PLANNED then MATERIALIZATION clears the in-progress mark, the
reverse does not), so operations keep event order per table and only consecutive operations
with the same statement are merged into one executemany.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, case, func, null, update

from freshet.storage.batch import RUN_END_EVENTS, VERSION_COLUMNS, PreparedEvent, version_columns
from freshet.storage.records import RUN_STATUS_BY_EVENT, EventType, RunStatus
from freshet.storage.sql.dialects import PreparedStatement, bound_values, upsert_factory
from freshet.storage.sql.schema import (
    NO_PARTITION,
    asset_check_status,
    asset_partition_status,
    asset_status,
    runs,
)

Params = dict[str, Any]
Operation = tuple[PreparedStatement, Params]


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexStatements:
    """The statements updating one status table (asset-level or per-partition)."""

    by_event: Mapping[EventType, PreparedStatement]
    """Upserts for ASSET_MATERIALIZATION, ASSET_OBSERVATION and ..._PLANNED."""
    failed: PreparedStatement
    run_ended: PreparedStatement


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStatusStatements:
    status: PreparedStatement
    started: PreparedStatement
    finished: PreparedStatement


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteStatements:
    assets: IndexStatements
    partitions: IndexStatements
    check_evaluated: PreparedStatement
    run_status: RunStatusStatements


def build_write_statements(dialect: Dialect) -> WriteStatements:
    upsert = upsert_factory(dialect.name)
    check_columns = ["asset_key", "check_name", "partition", "last_evaluation_id"]
    check = upsert(asset_check_status).values(bound_values(check_columns))
    return WriteStatements(
        assets=_index_statements(asset_status, ["asset_key"], dialect),
        partitions=_index_statements(asset_partition_status, ["asset_key", "partition"], dialect),
        check_evaluated=PreparedStatement(
            check.on_conflict_do_update(
                index_elements=check_columns[:3],
                set_={"last_evaluation_id": check.excluded.last_evaluation_id},
            ),
            dialect,
        ),
        run_status=_run_status_statements(dialect),
    )


def _index_statements(table: Table, conflict: list[str], dialect: Dialect) -> IndexStatements:
    c = table.c
    upsert = upsert_factory(dialect.name)

    def on_conflict(
        column: str, make_set: Callable[[Any], dict[str, Any]], *extra: str
    ) -> PreparedStatement:
        stmt = upsert(table).values(bound_values([*conflict, column, *extra, "updated_at"]))
        set_ = {**make_set(stmt.excluded), "updated_at": stmt.excluded.updated_at}
        return PreparedStatement(
            stmt.on_conflict_do_update(index_elements=conflict, set_=set_), dialect
        )

    def clear_in_progress_if(run_id: Any) -> Any:
        return case((c.in_progress_run_id == run_id, null()), else_=c.in_progress_run_id)

    materialized = on_conflict(
        "last_materialization_id",
        lambda ex: {
            "last_materialization_id": ex.last_materialization_id,
            "last_run_id": ex.last_run_id,
            "last_failed_run_id": null(),
            "in_progress_run_id": clear_in_progress_if(ex.last_run_id),
            **{name: ex[name] for name in VERSION_COLUMNS},
        },
        "last_run_id",
        *VERSION_COLUMNS,
    )
    observed = ("data_version", "data_version_at")
    return IndexStatements(
        by_event={
            EventType.ASSET_MATERIALIZATION: materialized,
            EventType.ASSET_OBSERVATION: on_conflict(
                "last_observation_id",
                lambda ex: {
                    "last_observation_id": ex.last_observation_id,
                    **{name: ex[name] for name in observed},
                },
                *observed,
            ),
            EventType.ASSET_MATERIALIZATION_PLANNED: on_conflict(
                "in_progress_run_id",
                lambda ex: {"in_progress_run_id": ex.in_progress_run_id},
            ),
        },
        failed=on_conflict(
            "last_failed_run_id",
            lambda ex: {
                "last_failed_run_id": ex.last_failed_run_id,
                "in_progress_run_id": clear_in_progress_if(ex.last_failed_run_id),
            },
        ),
        run_ended=PreparedStatement(
            update(table)
            .where(c.in_progress_run_id == bindparam("b_run_id"))
            .values(in_progress_run_id=null()),
            dialect,
        ),
    )


def _run_status_statements(dialect: Dialect) -> RunStatusStatements:
    base = update(runs).where(runs.c.run_id == bindparam("b_run_id"))
    values = {"status": bindparam("b_status"), "updated_at": bindparam("b_at")}
    started_at = func.coalesce(runs.c.started_at, bindparam("b_at"))
    return RunStatusStatements(
        status=PreparedStatement(base.values(values), dialect),
        started=PreparedStatement(base.values({**values, "started_at": started_at}), dialect),
        finished=PreparedStatement(base.values({**values, "ended_at": bindparam("b_at")}), dialect),
    )


def run_status_operation(
    statements: RunStatusStatements, run_id: str, status: RunStatus, at: float
) -> Operation:
    """Mirrors `RunRecord.with_status`: first start time kept, end time set when finished."""
    params = {"b_run_id": run_id, "b_status": status.value, "b_at": at}
    if status is RunStatus.STARTED:
        return statements.started, params
    if status.is_finished:
        return statements.finished, params
    return statements.status, params


def plan_status_writes(
    statements: WriteStatements, events: Sequence[PreparedEvent], ids: Sequence[int]
) -> Iterator[tuple[PreparedStatement, list[Params]]]:
    """The operations a stored batch implies, grouped for executemany."""
    assets: list[Operation] = []
    partitions: list[Operation] = []
    checks: list[Operation] = []
    run_ops: list[Operation] = []
    for item, storage_id in zip(events, ids, strict=True):
        event = item.event
        event_type = event.event_type
        status = RUN_STATUS_BY_EVENT.get(event_type)
        if status is not None:
            run_ops.append(
                run_status_operation(statements.run_status, event.run_id, status, event.timestamp)
            )
            if event_type in RUN_END_EVENTS:
                params = {"b_run_id": event.run_id}
                assets.append((statements.assets.run_ended, params))
                partitions.append((statements.partitions.run_ended, params))
        elif event_type is EventType.ASSET_CHECK_EVALUATION:
            checks.extend(_check_operations(statements.check_evaluated, item, storage_id))
        elif event_type is EventType.STEP_FAILURE:
            for key in item.failed_asset_keys:
                row = {"asset_key": key, "last_failed_run_id": event.run_id}
                for partition in item.failed_partitions:
                    _add_row(
                        assets,
                        partitions,
                        statements.assets.failed,
                        statements.partitions.failed,
                        dict(row),
                        item,
                        partition,
                    )
        elif event_type in statements.assets.by_event:
            row = _index_row(item, storage_id)
            asset_stmt = statements.assets.by_event[event_type]
            partition_stmt = statements.partitions.by_event[event_type]
            _add_row(assets, partitions, asset_stmt, partition_stmt, row, item)
    for operations in (run_ops, assets, partitions, checks):
        yield from _group(operations)


def _index_row(item: PreparedEvent, storage_id: int) -> Params:
    event = item.event
    key, event_type = item.asset_key, event.event_type
    if event_type is EventType.ASSET_MATERIALIZATION:
        return {
            "asset_key": key,
            "last_materialization_id": storage_id,
            "last_run_id": event.run_id,
            **version_columns(event),
        }
    if event_type is EventType.ASSET_OBSERVATION:
        return {"asset_key": key, "last_observation_id": storage_id, **version_columns(event)}
    return {"asset_key": key, "in_progress_run_id": event.run_id}


_EVENT_PARTITION: Any = object()


def _add_row(
    assets: list[Operation],
    partitions: list[Operation],
    asset_statement: PreparedStatement,
    partition_statement: PreparedStatement,
    row: Params,
    item: PreparedEvent,
    partition: str | None = _EVENT_PARTITION,
) -> None:
    """The asset-level row always; the partition's row too when the event has a partition
    (or for `partition`, when given)."""
    row["updated_at"] = item.event.timestamp
    if partition is _EVENT_PARTITION:
        partition = item.event.partition
    if partition is not None:
        partitions.append((partition_statement, {**row, "partition": partition}))
    if assets and assets[-1][0] is asset_statement and _same_marks(assets[-1][1], row):
        # A run storing many partitions of one asset: only the last upsert of the asset row
        # matters, since the earlier ones set the same run ids and older storage ids.
        assets[-1] = (asset_statement, row)
    else:
        assets.append((asset_statement, row))


def _same_marks(previous: Params, row: Params) -> bool:
    """Both upserts name the same asset and the same runs; only ids and times differ."""
    return previous["asset_key"] == row["asset_key"] and all(
        previous.get(name) == row.get(name) for name in _RUN_MARKS
    )


_RUN_MARKS = ("last_run_id", "last_failed_run_id", "in_progress_run_id")


def _check_operations(
    statement: PreparedStatement, item: PreparedEvent, storage_id: int
) -> list[Operation]:
    row = {
        "asset_key": item.asset_key,
        "check_name": item.check_name,
        "partition": NO_PARTITION,
        "last_evaluation_id": storage_id,
    }
    partition = item.event.partition
    if partition is None:
        return [(statement, row)]
    return [(statement, row), (statement, {**row, "partition": partition})]


def _group(operations: list[Operation]) -> Iterator[tuple[PreparedStatement, list[Params]]]:
    """Merge runs of the same statement, keeping order, so each run is one executemany."""
    current: PreparedStatement | None = None
    batch: list[Params] = []
    for statement, params in operations:
        if statement is not current:
            if batch:
                yield current, batch  # type: ignore[misc]
            current, batch = statement, []
        batch.append(params)
    if batch:
        yield current, batch  # type: ignore[misc]

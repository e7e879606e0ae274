"""`SqlStorage`: the `Storage` protocols over a SQLAlchemy Engine, in backend-neutral SQLAlchemy
Core. Backend modules (sqlite.py, postgres.py) build the engine and hand it over.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from freshet.core.keys import AssetCheckKey, AssetKey
from freshet.errors import RunNotFoundError, StorageError
from freshet.storage.base import StatusVersions
from freshet.storage.batch import check_run_event, prepare_events
from freshet.storage.records import (
    AssetStatusRecord,
    Event,
    EventRecord,
    EventType,
    PartitionStatusCategory,
    PruneResult,
    RunRecord,
    RunsFilter,
    RunStatus,
)
from freshet.storage.serde import event_from_json, key_from_string, run_from_json, run_to_json
from freshet.storage.sql import schema as s
from freshet.storage.sql.dialects import PreparedStatement, event_inserter, in_values
from freshet.storage.sql.prune import PRUNE_BATCH, delete_runs, finished_runs_before
from freshet.storage.sql.rebuild import rebuild_asset_rows
from freshet.storage.sql.state_store import SqlStateStore
from freshet.storage.sql.status_writes import (
    build_write_statements,
    plan_status_writes,
    run_status_operation,
)

POLL_INTERVAL = 0.05
"""Seconds between looks at the newest storage id while waiting for events (no NOTIFY)."""

_RUN_COLUMNS = (
    s.runs.c.body,
    s.runs.c.status,
    s.runs.c.created_at,
    s.runs.c.updated_at,
    s.runs.c.started_at,
    s.runs.c.ended_at,
)


class SqlStorage(SqlStateStore):
    """`Storage` over SQL. Thread-safe; one writer at a time per process (see
    `SqlConnections` for the options)."""

    def __init__(self, engine: Engine, **options: Any) -> None:
        super().__init__(engine, **options)
        self._insert_events = event_inserter(engine.dialect)
        self._statements = build_write_statements(engine.dialect)
        self._dialect_name = engine.dialect.name
        self._reads = _PartitionReads(engine)

    # -- writer ---------------------------------------------------------------------------

    def add_run(self, run: RunRecord, events: Sequence[Event] = ()) -> None:
        body = run_to_json(run)
        prepared = prepare_events(events)
        try:
            with self._writing(ordered=bool(prepared)) as conn:
                conn.execute(insert(s.runs), _run_row(run, body))
                if run.tags:
                    tags = [
                        {"run_id": run.run_id, "key": k, "value": v} for k, v in run.tags.items()
                    ]
                    conn.execute(insert(s.run_tags), tags)
                if run.asset_selection:
                    keys = {k.to_user_string() for k in run.asset_selection}
                    assets = [{"run_id": run.run_id, "asset_key": k} for k in sorted(keys)]
                    conn.execute(insert(s.run_assets), assets)
                if prepared:
                    self._append(conn, prepared, _event_rows(prepared))
        except IntegrityError:
            raise StorageError(
                f"run {run.run_id!r} already exists in {self._location}; "
                "give the new run a fresh run_id"
            ) from None

    def store_events(self, events: Sequence[Event]) -> list[int]:
        prepared = prepare_events(events)
        if not prepared:
            return []
        rows = _event_rows(prepared)
        with self._writing(ordered=True) as conn:
            return self._append(conn, prepared, rows)

    def _append(self, conn: Connection, prepared: Sequence[Any], rows: list[dict]) -> list[int]:
        ids = self._insert_events(conn, rows)
        for statement, params in plan_status_writes(self._statements, prepared, ids):
            statement.run(conn, params)
        notify = self._traits.notify_events
        if notify is not None:
            notify(conn, ids[-1])
        return ids

    def transition_run(self, event: Event, from_statuses: Sequence[RunStatus]) -> int | None:
        check_run_event(event)
        prepared = prepare_events([event])
        allowed = {status.value for status in from_statuses}
        query = select(s.runs.c.status).where(s.runs.c.run_id == event.run_id)
        if self._dialect_name == "postgresql":
            query = query.with_for_update()
        with self._writing(ordered=True) as conn:
            status = conn.scalar(query)
            if status is None:
                raise RunNotFoundError(
                    f"cannot change run {event.run_id!r}: no such run in {self._location}"
                )
            if status not in allowed:
                return None
            return self._append(conn, prepared, _event_rows(prepared))[0]

    def set_run_status(self, run_id: str, status: RunStatus, at: float) -> None:
        statement, params = run_status_operation(self._statements.run_status, run_id, status, at)
        with self._writing() as conn:
            if statement.run(conn, [params]).rowcount == 0:
                raise RunNotFoundError(
                    f"cannot set the status of run {run_id!r}: no such run in "
                    f"{self._location}; add it first"
                )

    def delete_run(self, run_id: str) -> None:
        with self._writing(ordered=True) as conn:
            touched = conn.scalars(
                select(s.event_logs.c.asset_key)
                .where(s.event_logs.c.run_id == run_id, s.event_logs.c.asset_key.is_not(None))
                .distinct()
            ).all()
            conn.execute(delete(s.event_logs).where(s.event_logs.c.run_id == run_id))
            for table in (s.run_tags, s.run_assets, s.runs):
                conn.execute(delete(table).where(table.c.run_id == run_id))
            for table in (s.asset_status, s.asset_partition_status):
                for column in (table.c.in_progress_run_id, table.c.last_failed_run_id):
                    conn.execute(update(table).where(column == run_id).values({column: None}))
            rebuild_asset_rows(conn, touched)

    def prune_runs(self, finished_before: float) -> PruneResult:
        pruned: list[str] = []
        deleted = kept = 0
        while True:
            with self._writing(ordered=True) as conn:
                batch = finished_runs_before(conn, finished_before, PRUNE_BATCH)
                if batch:
                    gone, left = delete_runs(conn, batch)
            if not batch:
                return PruneResult(run_ids=tuple(pruned), events_deleted=deleted, events_kept=kept)
            pruned.extend(batch)
            deleted += gone
            kept += left

    # -- reader: runs ---------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._reading() as conn:
            row = conn.execute(select(*_RUN_COLUMNS).where(s.runs.c.run_id == run_id)).first()
        return None if row is None else _run_from_row(row)

    def get_runs(
        self,
        filters: RunsFilter | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        ascending: bool = False,
    ) -> list[RunRecord]:
        query = select(*_RUN_COLUMNS).where(*_run_conditions(filters, self._dialect_name))
        created, run_id = s.runs.c.created_at, s.runs.c.run_id
        if ascending:
            query = query.order_by(created.asc(), run_id.asc())
        else:
            query = query.order_by(created.desc(), run_id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as conn:
            if cursor is not None:
                query = query.where(_after_cursor(conn, cursor, ascending))
            rows = conn.execute(query).all()
        return [_run_from_row(row) for row in rows]

    def count_runs(self, filters: RunsFilter | None = None) -> int:
        conditions = _run_conditions(filters, self._dialect_name)
        query = select(func.count()).select_from(s.runs).where(*conditions)
        with self._reading() as conn:
            return conn.execute(query).scalar_one()

    # -- reader: events -------------------------------------------------------------------

    def get_event_records(
        self,
        *,
        event_type: EventType | Sequence[EventType] | None = None,
        asset_key: AssetKey | None = None,
        partition: str | None = None,
        run_id: str | None = None,
        after_storage_id: int | None = None,
        before_storage_id: int | None = None,
        limit: int | None = None,
        ascending: bool = True,
    ) -> list[EventRecord]:
        e = s.event_logs.c
        query = select(e.id, e.body)
        if isinstance(event_type, EventType):
            query = query.where(e.event_type == event_type.value)
        elif event_type is not None:
            query = query.where(e.event_type.in_([t.value for t in event_type]))
        if asset_key is not None:
            query = query.where(e.asset_key == asset_key.to_user_string())
        if partition is not None:
            query = query.where(e.partition == partition)
        if run_id is not None:
            query = query.where(e.run_id == run_id)
        if after_storage_id is not None:
            query = query.where(e.id > after_storage_id)
        if before_storage_id is not None:
            query = query.where(e.id < before_storage_id)
        query = query.order_by(e.id.asc() if ascending else e.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return [EventRecord(storage_id=row[0], event=event_from_json(row[1])) for row in rows]

    def get_latest_materialization(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> EventRecord | None:
        return self._latest_indexed("last_materialization_id", asset_key, partition)

    def get_latest_observation(
        self, asset_key: AssetKey, partition: str | None = None
    ) -> EventRecord | None:
        return self._latest_indexed("last_observation_id", asset_key, partition)

    def get_latest_check_evaluation(
        self, check_key: AssetCheckKey, partition: str | None = None
    ) -> EventRecord | None:
        c = s.asset_check_status.c
        query = (
            select(s.event_logs.c.id, s.event_logs.c.body)
            .join_from(
                s.asset_check_status, s.event_logs, s.event_logs.c.id == c.last_evaluation_id
            )
            .where(
                c.asset_key == check_key.asset_key.to_user_string(),
                c.check_name == check_key.name,
                c.partition == (partition or s.NO_PARTITION),
            )
        )
        return self._one_record(query)

    def get_latest_check_evaluations(
        self, check_keys: Iterable[AssetCheckKey]
    ) -> Mapping[AssetCheckKey, EventRecord]:
        wanted = {(k.asset_key.to_user_string(), k.name): k for k in check_keys}
        if not wanted:
            return {}
        c = s.asset_check_status.c
        assets = sorted({asset for asset, _ in wanted})
        query = (
            select(c.asset_key, c.check_name, s.event_logs.c.id, s.event_logs.c.body)
            .join_from(
                s.asset_check_status, s.event_logs, s.event_logs.c.id == c.last_evaluation_id
            )
            .where(
                in_values(c.asset_key, assets, self._dialect_name), c.partition == s.NO_PARTITION
            )
        )
        with self._reading() as conn:
            rows = conn.execute(query).all()
        found: dict[AssetCheckKey, EventRecord] = {}
        for asset, name, storage_id, body in rows:
            check_key = wanted.get((asset, name))
            if check_key is not None:
                found[check_key] = EventRecord(storage_id=storage_id, event=event_from_json(body))
        return found

    # -- reader: status indexes -----------------------------------------------------------

    def get_asset_status(
        self, asset_keys: Iterable[AssetKey], *, with_events: bool = True
    ) -> Mapping[AssetKey, AssetStatusRecord]:
        t = s.asset_status
        wanted = list(dict.fromkeys(k.to_user_string() for k in asset_keys))
        if not wanted:
            return {}
        query = _status_query(t, with_events).where(
            in_values(t.c.asset_key, wanted, self._dialect_name)
        )
        with self._reading() as conn:
            rows = conn.execute(query).all()
        result: dict[AssetKey, AssetStatusRecord] = {}
        for row in rows:
            key = key_from_string(row[0])
            result[key] = _status_record(key, None, row)
        return result

    def get_partition_status(
        self,
        asset_key: AssetKey,
        partitions: Iterable[str] | None = None,
        *,
        with_events: bool = True,
    ) -> Mapping[str, AssetStatusRecord]:
        t = s.asset_partition_status
        query = _status_query(t, with_events).where(t.c.asset_key == asset_key.to_user_string())
        if partitions is not None:
            wanted = list(dict.fromkeys(partitions))
            if not wanted:
                return {}
            query = query.where(in_values(t.c.partition, wanted, self._dialect_name))
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return {row[1]: _status_record(asset_key, row[1], row) for row in rows}

    def get_asset_versions(
        self, asset_keys: Iterable[AssetKey]
    ) -> Mapping[AssetKey, StatusVersions]:
        t = s.asset_status
        wanted = list(dict.fromkeys(k.to_user_string() for k in asset_keys))
        if not wanted:
            return {}
        query = select(t.c.asset_key, *_version_columns(t)).where(
            in_values(t.c.asset_key, wanted, self._dialect_name)
        )
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return {key_from_string(row[0]): _one_row_versions(row) for row in rows}

    def get_partition_versions(
        self, asset_keys: Iterable[AssetKey]
    ) -> Mapping[AssetKey, StatusVersions]:
        result: dict[AssetKey, StatusVersions] = {}
        with self._reading() as conn:
            for key in dict.fromkeys(asset_keys):
                rows = self._reads.versions.run(conn, [{"b_asset_key": key.to_user_string()}])
                found = rows.fetchall()
                if found:
                    result[key] = StatusVersions.from_rows(found)
        return result

    def get_partition_keys_by_status(
        self, asset_key: AssetKey
    ) -> dict[PartitionStatusCategory, list[str]]:
        by_status: dict[PartitionStatusCategory, list[str]] = {
            c: [] for c in PartitionStatusCategory
        }
        appenders = {c.value: by_status[c].append for c in PartitionStatusCategory}
        with self._reading() as conn:
            cursor = self._reads.keys_by_status.run(
                conn, [{"b_asset_key": asset_key.to_user_string()}]
            )
            for category, partition in cursor.fetchall():
                appenders[category](partition)
        return by_status

    def count_partition_statuses(self, asset_key: AssetKey) -> dict[PartitionStatusCategory, int]:
        category = _category(s.asset_partition_status).label("category")
        c = s.asset_partition_status.c
        query = (
            select(category, func.count())
            .where(c.asset_key == asset_key.to_user_string())
            .group_by(category)
        )
        counts = dict.fromkeys(PartitionStatusCategory, 0)
        with self._reading() as conn:
            for name, count in conn.execute(query):
                counts[PartitionStatusCategory(name)] = count
        return counts

    def get_materialized_asset_keys(self) -> set[AssetKey]:
        c = s.asset_status.c
        query = select(c.asset_key).where(c.last_materialization_id.is_not(None))
        with self._reading() as conn:
            return {key_from_string(k) for k in conn.scalars(query)}

    def get_max_storage_id(self) -> int | None:
        with self._reading() as conn:
            return conn.scalar(select(func.max(s.event_logs.c.id)))

    def wait_for_events(self, after_storage_id: int | None, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            newest = self.get_max_storage_id()
            if newest is not None and (after_storage_id is None or newest > after_storage_id):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(POLL_INTERVAL, remaining))

    def schema_info(self) -> Mapping[str, object]:
        counts = {
            name: select(func.count()).select_from(table).scalar_subquery()
            for name, table in (
                ("runs", s.runs),
                ("events", s.event_logs),
                ("assets", s.asset_status),
            )
        }
        with self._reading() as conn:
            row = conn.execute(select(*(q.label(n) for n, q in counts.items()))).one()
            revision = conn.scalar(select(s.alembic_version.c.version_num))
        return {
            "backend": self._backend,
            "location": self._location,
            "schema_version": None if revision is None else s.version_of_revision(revision),
            **row._asdict(),
        }

    # -- internals ------------------------------------------------------------------------

    def _latest_indexed(
        self, column: str, asset_key: AssetKey, partition: str | None
    ) -> EventRecord | None:
        table = s.asset_status if partition is None else s.asset_partition_status
        query = (
            select(s.event_logs.c.id, s.event_logs.c.body)
            .join_from(table, s.event_logs, s.event_logs.c.id == table.c[column])
            .where(table.c.asset_key == asset_key.to_user_string())
        )
        if partition is not None:
            query = query.where(table.c.partition == partition)
        return self._one_record(query)

    def _one_record(self, query: Select[Any]) -> EventRecord | None:
        with self._reading() as conn:
            row = conn.execute(query).first()
        return (
            None if row is None else EventRecord(storage_id=row[0], event=event_from_json(row[1]))
        )


class _PartitionReads:
    """Reads of every partition row of one asset, compiled once and run on the driver cursor:
    they return up to hundreds of thousands of rows, and SQLAlchemy's per-row objects would
    cost more than the database's own work."""

    def __init__(self, engine: Engine) -> None:
        t = s.asset_partition_status
        of_asset = t.c.asset_key == bindparam("b_asset_key")
        self.versions = PreparedStatement(
            select(*_version_columns(t)).where(of_asset), engine.dialect
        )
        self.keys_by_status = PreparedStatement(
            select(_category(t, literal=True), t.c.partition).where(of_asset), engine.dialect
        )


def _category(table: Any, literal: bool = False) -> Any:
    """A partition row's `PartitionStatusCategory` value, in precedence order. `literal`
    inlines the category names (statements run on the driver bind no extra parameters)."""
    c = table.c

    def value(category: PartitionStatusCategory) -> Any:
        return literal_column(f"'{category.value}'") if literal else category.value

    return case(
        (c.in_progress_run_id.is_not(None), value(PartitionStatusCategory.IN_PROGRESS)),
        (
            c.last_failed_run_id.is_not(None) & c.last_materialization_id.is_not(None),
            value(PartitionStatusCategory.MATERIALIZED_LATEST_FAILED),
        ),
        (c.last_failed_run_id.is_not(None), value(PartitionStatusCategory.FAILED)),
        (c.last_materialization_id.is_not(None), value(PartitionStatusCategory.MATERIALIZED)),
        else_=value(PartitionStatusCategory.OBSERVED),
    )


def _version_columns(table: Any) -> list[Any]:
    """The columns of `StatusVersions`, in its field order."""
    c = table.c
    partition = c.partition if "partition" in c else null()
    return [
        partition,
        c.last_materialization_id,
        c.last_observation_id,
        c.data_version,
        c.data_version_at,
        c.code_version,
        c.provenance,
        c.data_time,
    ]


def _one_row_versions(row: Row[Any]) -> StatusVersions:
    _, partition, mat_id, obs_id, version, version_at, code_version, provenance, data_time = row
    return StatusVersions(
        partitions=(partition,),
        materialization_ids=(mat_id,),
        observation_ids=(obs_id,),
        data_versions=(version,),
        data_version_times=(version_at,),
        code_versions=(code_version,),
        provenances=(provenance,),
        data_times=(data_time,),
    )


def _event_rows(prepared: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "run_id": (event := item.event).run_id,
            "event_type": event.event_type.value,
            "step_key": event.step_key,
            "asset_key": item.asset_key,
            "partition": event.partition,
            "timestamp": event.timestamp,
            "level": event.level,
            "body": item.body,
        }
        for item in prepared
    ]


def _run_row(run: RunRecord, body: str) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "status": run.status.value,
        "partition": run.partition,
        "parent_run_id": run.parent_run_id,
        "root_run_id": run.root_run_id,
        "body": body,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
    }


def _run_from_row(row: Row[Any]) -> RunRecord:
    # Status and times live in columns (updated in place); the body holds the rest.
    return replace(
        run_from_json(row.body),
        status=RunStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


def _run_conditions(filters: RunsFilter | None, dialect_name: str) -> list[Any]:
    if filters is None:
        return []
    r = s.runs.c
    conditions: list[Any] = []
    if filters.run_ids is not None:
        conditions.append(in_values(r.run_id, list(filters.run_ids), dialect_name))
    if filters.run_id_prefix is not None:
        conditions.append(r.run_id.startswith(filters.run_id_prefix, autoescape=True))
    if filters.job_name is not None:
        conditions.append(r.job_name == filters.job_name)
    if filters.statuses is not None:
        conditions.append(r.status.in_([status.value for status in filters.statuses]))
    for key, value in (filters.tags or {}).items():
        tagged = select(s.run_tags.c.run_id).where(
            s.run_tags.c.key == key, s.run_tags.c.value == value
        )
        conditions.append(r.run_id.in_(tagged))
    if filters.asset_key is not None:
        targeting = select(s.run_assets.c.run_id).where(
            s.run_assets.c.asset_key == filters.asset_key.to_user_string()
        )
        conditions.append(r.run_id.in_(targeting))
    if filters.created_before is not None:
        conditions.append(r.created_at < filters.created_before)
    if filters.created_after is not None:
        conditions.append(r.created_at > filters.created_after)
    return conditions


def _after_cursor(conn: Connection, cursor: str, ascending: bool) -> Any:
    r = s.runs.c
    found = conn.execute(select(r.created_at).where(r.run_id == cursor)).first()
    if found is None:
        raise RunNotFoundError(
            f"cannot page runs after cursor {cursor!r}: no such run; pass the run_id of the "
            "last run of the previous page, or no cursor to start over"
        )
    created = found.created_at
    if ascending:
        return or_(r.created_at > created, and_(r.created_at == created, r.run_id > cursor))
    return or_(r.created_at < created, and_(r.created_at == created, r.run_id < cursor))


def _status_query(table: Any, with_events: bool) -> Select[Any]:
    """Key, partition, the five status columns, then the two event bodies (or NULLs)."""
    c = table.c
    partition = c.partition if "partition" in c else null()
    columns = [
        c.asset_key,
        partition,
        c.last_materialization_id,
        c.last_observation_id,
        c.last_run_id,
        c.last_failed_run_id,
        c.in_progress_run_id,
    ]
    if not with_events:
        return select(*columns, null(), null())
    materialization = s.event_logs.alias("materialization")
    observation = s.event_logs.alias("observation")
    return (
        select(*columns, materialization.c.body, observation.c.body)
        .outerjoin(materialization, materialization.c.id == c.last_materialization_id)
        .outerjoin(observation, observation.c.id == c.last_observation_id)
    )


def _status_record(key: AssetKey, partition: str | None, row: Row[Any]) -> AssetStatusRecord:
    # Positional access: this runs once per partition, up to hundreds of thousands of times.
    _, _, mat_id, obs_id, run_id, failed_run_id, in_progress_run_id, mat_body, obs_body = row
    return AssetStatusRecord(
        asset_key=key,
        partition=partition,
        last_materialization=_maybe_record(mat_id, mat_body),
        last_observation=_maybe_record(obs_id, obs_body),
        last_run_id=run_id,
        last_failed_run_id=failed_run_id,
        in_progress_run_id=in_progress_run_id,
        last_materialization_storage_id=mat_id,
        last_observation_storage_id=obs_id,
    )


def _maybe_record(storage_id: int | None, body: str | None) -> EventRecord | None:
    if storage_id is None or body is None:
        return None
    return EventRecord(storage_id=storage_id, event=event_from_json(body))

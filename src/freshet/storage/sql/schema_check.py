"""Recognizes what a database holds before freshet writes to it (nothing, a freshet instance
of some schema version, or something else) and creates the schema in an empty one.

Opening never migrates: an older schema is refused with a pointer to `freshet instance
migrate`, a newer one with a pointer to upgrading freshet, a foreign database untouched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, insert, inspect, select

from freshet.errors import SchemaVersionError, StorageError
from freshet.storage.sql import schema as s

MOVE_ASIDE = "point freshet at another database (FRESHET_HOME or freshet.yaml) or move this one"
MIGRATE_HINT = "run `freshet instance migrate` to upgrade it (back it up first)"
UPGRADE_HINT = "upgrade freshet to open it"


def classify(
    location: str,
    tables: Iterable[str],
    info: Mapping[str, str] | None,
    revisions: list[str] | None,
) -> int | None:
    """The schema version of a database (0: from before migrations), None if it is empty.

    `info` is the instance_info table (None when absent); `revisions` the rows of Alembic's
    version table (None when absent). Raises for anything freshet must not write to.
    """
    names = sorted(tables)
    if not names:
        return None
    if info is None:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise StorageError(
            f"{location} is a database but not a freshet instance (its tables: {shown}); "
            f"{MOVE_ASIDE}"
        )
    if info.get(s.INSTANCE_MARKER_KEY) != s.INSTANCE_MARKER_VALUE:
        raise StorageError(f"{location} is a database but not a freshet instance; {MOVE_ASIDE}")
    if revisions is None:
        return 0
    if len(revisions) != 1:
        raise StorageError(
            f"{location} records {len(revisions)} schema revisions ({', '.join(revisions)}) "
            "instead of one; restore it from a backup"
        )
    version = s.version_of_revision(revisions[0])
    if version is None:
        raise SchemaVersionError(
            f"{location} has schema revision {revisions[0]!r}, which this freshet does not "
            f"know (it knows up to {s.revision_id(s.SCHEMA_VERSION)}); {UPGRADE_HINT}"
        )
    if version > s.SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{location} has schema version {version}, newer than this freshet supports "
            f"({s.SCHEMA_VERSION}); {UPGRADE_HINT}"
        )
    return version


def require_current(location: str, version: int) -> None:
    if version < s.SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{location} has schema version {version}, older than this freshet's "
            f"({s.SCHEMA_VERSION}); {MIGRATE_HINT}"
        )


def read_schema_version(conn: Connection, location: str) -> int | None:
    """`classify` over a live connection (any backend)."""
    tables = set(inspect(conn).get_table_names())
    info = None
    if s.instance_info.name in tables:
        rows = conn.execute(select(s.instance_info.c.key, s.instance_info.c.value))
        info = {str(k): str(v) for k, v in rows}
    revisions = None
    if s.ALEMBIC_VERSION_TABLE in tables:
        revisions = [str(v) for v in conn.scalars(select(s.alembic_version.c.version_num))]
    return classify(location, tables, info, revisions)


def create_schema(conn: Connection) -> None:
    """Every table at the newest version, stamped as such, in the caller's transaction.

    Equivalent to running every migration from an empty database (a test checks this), and
    much faster: no migration machinery is loaded to open a new instance.
    """
    if conn.dialect.name == "postgresql":
        s.add_postgresql_options()
    s.metadata.create_all(conn)
    s.version_metadata.create_all(conn)
    conn.execute(insert(s.alembic_version), {"version_num": s.revision_id(s.SCHEMA_VERSION)})
    conn.execute(
        insert(s.instance_info),
        [
            {"key": s.INSTANCE_MARKER_KEY, "value": s.INSTANCE_MARKER_VALUE},
            {"key": s.SCHEMA_VERSION_KEY, "value": str(s.SCHEMA_VERSION)},
            {"key": "created_at", "value": repr(time.time())},
        ],
    )

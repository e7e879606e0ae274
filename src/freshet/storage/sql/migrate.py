"""Upgrades an instance database to this freshet's schema with Alembic, configured in code:
the scripts ship inside the package (`migrations/`), no alembic.ini is read.

The whole upgrade runs in one transaction of the storage's own write discipline (SQLite's
writer lock, PostgreSQL's event-order lock): it applies completely or not at all, and other
freshet processes wait for it rather than write to a half-migrated schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from freshet.storage.sql import schema as s
from freshet.storage.sql.connections import SqlConnections
from freshet.storage.sql.schema_check import create_schema, read_schema_version

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationResult:
    """What `migrate_database` did; `from_version` None means the database was empty."""

    location: str
    from_version: int | None
    to_version: int

    @property
    def changed(self) -> bool:
        return self.from_version != self.to_version

    def describe(self) -> str:
        if self.from_version is None:
            return f"created {self.location} at schema version {self.to_version}"
        if not self.changed:
            return f"{self.location} is up to date (schema version {self.to_version})"
        return (
            f"upgraded {self.location} from schema version {self.from_version} to {self.to_version}"
        )


def alembic_config(conn: Connection | None = None) -> Config:
    """An Alembic config for freshet's scripts; `conn` is what env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest revision among the shipped scripts (a test ties it to SCHEMA_VERSION)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def migrate_database(storage: SqlConnections) -> MigrationResult:
    """Bring the storage's database to the newest schema; creates it when empty."""
    with storage.write_transaction(ordered=True) as conn:
        version = read_schema_version(conn, storage.location)
        if version is None:
            create_schema(conn)
        elif version < s.SCHEMA_VERSION:
            command.upgrade(alembic_config(conn), s.revision_id(s.SCHEMA_VERSION))
    return MigrationResult(
        location=storage.location, from_version=version, to_version=s.SCHEMA_VERSION
    )

"""Alembic's entry point. freshet always runs it on a connection it opened and began a
transaction on (see `freshet.storage.sql.migrate`), so a failed migration changes nothing."""

from __future__ import annotations

from alembic import context

from freshet.storage.sql.schema import ALEMBIC_VERSION_TABLE, add_postgresql_options, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "freshet migrations run only through freshet.storage.sql.migrate (`freshet instance "
        "migrate`), which passes the connection; there is no alembic.ini"
    )
if connection.dialect.name == "postgresql":
    add_postgresql_options()
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=ALEMBIC_VERSION_TABLE,
    # SQLite and PostgreSQL both roll DDL back with the transaction freshet began.
    transactional_ddl=True,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

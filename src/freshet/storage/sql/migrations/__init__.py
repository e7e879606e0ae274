"""Alembic migrations of the instance schema; run through `freshet.storage.sql.migrate`."""

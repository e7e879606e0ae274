"""One module per schema version, named `<4-digit version>_<what>.py`; Alembic skips this file."""

"""`freshet sensors ...` (see `freshet.cli.instigators`)."""

from freshet.cli.instigators import sensors as command

__all__ = ["command"]

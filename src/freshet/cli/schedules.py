"""`freshet schedules ...` (see `freshet.cli.instigators`)."""

from freshet.cli.instigators import schedules as command

__all__ = ["command"]

"""The instance: the persistent home, and the only place that picks concrete backends."""

from freshet.instance.instance import Instance

__all__ = ["Instance"]

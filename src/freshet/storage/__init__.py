"""Persistence: protocols (`base`), records, and the concrete backends chosen by the instance."""

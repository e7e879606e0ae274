"""Pausing Python's cyclic garbage collector around whole-graph work.

Walking a large graph (staleness, freshness, an automation tick, building or reading a
snapshot) allocates hundreds of thousands of small tuples, dicts and records and frees none
of them until it ends; meanwhile each full collection walks the large, long-lived definitions
again, and costs more than the work itself. Nothing made inside such a walk forms a cycle, so
reference counting alone frees it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector for the block (re-enabled after it, if it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

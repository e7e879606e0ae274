"""Concurrency pools: a step of an asset or op declared with `pool=` holds one of the pool's
slots while it runs, across every run and process of the instance. Limits are set in the
instance (`freshet pools set NAME LIMIT`); a pool without a limit holds no step back. Slots
of a run whose worker died are freed by run monitoring."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from freshet.execution.plan import Step
from freshet.execution.state import RunState
from freshet.storage.records import EventType

FIRST_WAIT_SECONDS = 0.05
MAX_WAIT_SECONDS = 1.0


def step_pool(step: Step) -> str | None:
    """The pool the step's asset or op was declared with, if any."""
    if step.assets_def is not None and step.assets_def.pool is not None:
        return step.assets_def.pool
    return step.op.pool if step.op is not None else None


@contextmanager
def pool_slot(step: Step, state: RunState, step_key: str) -> Iterator[None]:
    """Hold a slot of the step's pool for the duration of the block, waiting for one."""
    pool = step_pool(step)
    storage = state.storage
    limit = None if pool is None or storage is None else storage.get_pool_usage(pool).limit
    if pool is None or storage is None or limit is None:
        yield
        return
    wait = FIRST_WAIT_SECONDS
    announced = False
    while not storage.claim_slot(pool, state.run_id, step_key, limit):
        if not announced:
            state.sink.emit(
                EventType.ENGINE_EVENT,
                step_key=step_key,
                message=f"{step_key} waits for a slot of pool {pool!r} (limit {limit})",
                data={"pool": pool, "limit": limit},
            )
            state.sink.flush()
            announced = True
        time.sleep(wait)
        wait = min(MAX_WAIT_SECONDS, wait * 2)
        limit = storage.get_pool_usage(pool).limit or limit
    try:
        yield
    finally:
        storage.release_slot(pool, state.run_id, step_key)

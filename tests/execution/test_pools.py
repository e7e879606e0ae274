"""Concurrency pools: a step of an asset with `pool=` holds a slot while it runs, waits while
the pool is full (whichever run or process holds the slots), and gives it back after."""

from __future__ import annotations

import threading
import time

import freshet as fr
from freshet.instance.instance import Instance
from freshet.storage.records import EventType


@fr.asset(pool="warehouse")
def pooled() -> int:
    return 1


@fr.asset
def free() -> int:
    return 2


def test_step_waits_for_a_slot_held_elsewhere_and_releases_its_own() -> None:
    with Instance.ephemeral() as instance:
        storage = instance.storage
        storage.set_pool_limit("warehouse", 1)
        assert storage.claim_slot("warehouse", "another-run", "other_step", 1)
        results = []
        runner = threading.Thread(
            target=lambda: results.append(fr.materialize([pooled], instance=instance))
        )
        runner.start()
        deadline = time.monotonic() + 30
        while not instance.get_event_records(EventType.ENGINE_EVENT):
            assert time.monotonic() < deadline, "the step never said it waits for a slot"
            time.sleep(0.02)
        assert instance.get_event_records(EventType.STEP_START) == []
        storage.release_slot("warehouse", "another-run", "other_step")
        runner.join(timeout=30)
        assert results and results[0].success
        [waiting] = instance.get_event_records(EventType.ENGINE_EVENT)
        assert "waits for a slot of pool 'warehouse' (limit 1)" in waiting.event.message
        assert storage.get_pool_usage("warehouse").claimed == 0


def test_pool_without_a_limit_holds_nothing_back() -> None:
    with Instance.ephemeral() as instance:
        assert fr.materialize([pooled, free], instance=instance).success
        assert instance.storage.get_pools() == []

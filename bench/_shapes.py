"""Shared benchmark shapes: random DAGs of trivial assets."""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Callable

import freshet as fr


def random_dag_assets(n: int, *, seed: int = 7, max_parents: int = 3) -> list:
    """`n` trivial assets; each depends on up to `max_parents` earlier ones (non-input deps
    for half of them, function inputs for the other half)."""
    rng = random.Random(seed)
    assets = []
    for i in range(n):
        parents = rng.sample(range(i), k=min(i, rng.randint(0, max_parents))) if i else []
        names = [f"a{p}" for p in parents]
        assets.append(_trivial(f"a{i}", names, as_inputs=i % 2 == 0))
    return assets


def _trivial(name: str, parents: list[str], *, as_inputs: bool):
    if as_inputs and parents:
        ins = {f"p{j}": fr.AssetIn(key=p) for j, p in enumerate(parents)}

        def compute(**kwargs):
            return len(kwargs)

        compute.__signature__ = _signature(list(ins))  # type: ignore[attr-defined]
        return fr.asset(name=name, ins=ins)(compute)
    return fr.asset(name=name, deps=parents)(lambda: 1)


def _signature(params: list[str]):
    import inspect

    return inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params]
    )


def chain_assets(n: int) -> list:
    """`n` trivial assets in a chain, each taking its predecessor's value as input."""
    assets = [fr.asset(name="c0")(lambda: 0)]
    for i in range(1, n):
        assets.append(fr.asset(name=f"c{i}", ins={"up": fr.AssetIn(key=f"c{i - 1}")})(_inc))
    return assets


def _inc(up):
    return up + 1


def timed(fn: Callable[[], object], repeat: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock samples; with `cpu`, the process's CPU time of each sample too (on a shared
    machine the CPU time is the figure the machine's load moves least)."""
    import time

    samples = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
    return samples


def report(name: str, samples: list[float], **extra: object) -> None:
    print(
        json.dumps(
            {
                "bench": name,
                "median_ms": round(statistics.median(samples) * 1000, 2),
                "min_ms": round(min(samples) * 1000, 2),
                "runs": len(samples),
                **extra,
            }
        ),
        flush=True,
    )

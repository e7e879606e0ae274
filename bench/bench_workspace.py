"""Code locations in their own processes: time until a host has a location's snapshot.

    python bench/bench_workspace.py [--assets 1000] [--repeat 7]

Figures (each a whole code server start: interpreter, imports, the user's module, Definitions,
snapshot build, JSON over the Unix socket, snapshot read by the host):
- `one_location_ready`: one location of N assets;
- `three_locations_ready`: three such locations, started in parallel;
- `reload_one_location`: reload of one location in a running workspace.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from pathlib import Path

from _shapes import report, timed

from freshet.workspace.host import WorkspaceHost
from freshet.workspace.origin import CodeLocationOrigin


def definitions_source(n: int, prefix: str, *, seed: int = 1234) -> str:
    """A definitions file of `n` trivial assets, each with up to 3 earlier parents."""
    rng = random.Random(seed)
    lines = ["import freshet as fr", ""]
    for i in range(n):
        parents = rng.sample(range(i), k=min(i, rng.randint(0, 3))) if i else []
        params = ", ".join(f"{prefix}{p}" for p in parents)
        lines += ["@fr.asset", f"def {prefix}{i}({params}):", "    return 1", ""]
    names = ", ".join(f"{prefix}{i}" for i in range(n))
    lines.append(f"defs = fr.Definitions(assets=[{names}])")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as folder:
        origins = []
        for name in ("loc_a", "loc_b", "loc_c"):
            path = Path(folder, name, f"{name}_defs.py")
            path.parent.mkdir()
            path.write_text(definitions_source(args.assets, f"{name}_"))
            origins.append(
                CodeLocationOrigin(
                    location_name=name, python_file=path, working_directory=path.parent
                )
            )
        # One warm-up start writes the bytecode caches, as an installed project has them.
        with WorkspaceHost(origins) as host:
            assert all(entry.snapshot is not None for entry in host), host.locations

        def ready(subset: list[CodeLocationOrigin]) -> None:
            with WorkspaceHost(subset) as host:
                assert all(entry.snapshot is not None for entry in host)

        report(
            "one_location_ready", timed(lambda: ready(origins[:1]), args.repeat), assets=args.assets
        )
        report(
            "three_locations_ready",
            timed(lambda: ready(origins), args.repeat),
            assets_per_location=args.assets,
        )
        with WorkspaceHost(origins) as host:
            report(
                "reload_one_location",
                timed(lambda: host.reload("loc_a"), args.repeat),
                assets=args.assets,
            )
        print(f"# python {sys.version.split()[0]}, {os.cpu_count()} cpus", flush=True)


if __name__ == "__main__":
    main()

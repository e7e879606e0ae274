"""Where a new user first waits, as whole processes, and the ratios against Dagster when its
interpreter is given (a separate venv, see /work/shared/peer-bench/README.md):

- `import freshet` + one `@asset` + `Definitions`, beside `python -c pass`;
- `freshet materialize` of one asset, beside `python -c "import <freshet's runtime
  dependencies>"` (the floor: what any program using those libraries pays); with
  `--cli-assets N`, of one asset (`a0`) of an N-asset file instead (the peer workload's random
  DAG: seed 1234, at most 3 earlier parents each);
- what decorating one asset costs (in this process);
- in-memory materialization per trivial asset (`materialize_to_memory` of a chain): the
  first run of the process (what the figure and its ratio are), which includes loading
  whatever the run imports on first use, and the same run again in that process
  (`..._again_...`), which is the run alone; the same with `materialize` on an ephemeral
  instance (`ephemeral_...`: values pickled by the default IO manager, as the peer
  `materialize.py --instance ephemeral` workload).

    python bench/bench_startup.py [--repeat 7] [--chain 100] [--cli-assets 1]
        [--dagster-python /tmp/dg/bin/python]

Every figure is a median over `--repeat` fresh processes, measured back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: argv and subprocess.run options of one command
Command = tuple[list[str], dict[str, Any]]

RUNTIME_DEPENDENCIES = "import pydantic, sqlalchemy, alembic, click, yaml, croniter"

DEFINE_ONE = {
    "freshet": "import freshet as fr\n@fr.asset\ndef one():\n    return 1\n"
    "defs = fr.Definitions(assets=[one])\n",
    "dagster": "import dagster as dg\n@dg.asset\ndef one():\n    return 1\n"
    "defs = dg.Definitions(assets=[one])\n",
}

_RUN_TWICE = """
import time, __TOOL__ as __ALIAS__
def chain(n):
    out = [__ALIAS__.asset(name="c0")(lambda: 0)]
    for i in range(1, n):
        up = __ALIAS__.AssetIn(key=f"c{i-1}")
        out.append(__ALIAS__.asset(name=f"c{i}", ins={"up": up})(lambda up: up + 1))
    return out
assets = chain(__N__)
for _ in range(2):
    start = time.perf_counter()
    __ALIAS__.__CALL__(assets)
    print((time.perf_counter() - start) * 1000 / __N__)
"""


def run_twice(tool: str, call: str, n: int) -> str:
    """A program that defines a chain of `n` trivial assets, runs `call(assets)` twice and
    prints the milliseconds per asset of each run."""
    alias = {"freshet": "fr", "dagster": "dg"}[tool]
    program = _RUN_TWICE.replace("__TOOL__", tool).replace("__ALIAS__", alias)
    return program.replace("__CALL__", call).replace("__N__", str(n))


# Measure as installed: Python caches compiled bytecode (some CI images turn that off with
# PYTHONDONTWRITEBYTECODE, which makes every start compile every module).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall_ms(commands: Mapping[str, Command], repeat: int) -> dict[str, float]:
    """Median wall time of each command as a fresh process, after one unmeasured warm-up of
    each. The commands take turns, so a change in the machine's load hits all of them."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(repeat + 1):
        for name, (argv, options) in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, **options)
            if i:
                samples[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def printed_ms(
    commands: Mapping[str, Sequence[str]], repeat: int, names: Sequence[str]
) -> dict[str, float]:
    """Medians of the numbers each fresh process prints (its own in-process timings), the
    commands taking turns: the last `len(names)` lines of its output, named
    `<command>` + each of `names`."""
    samples: dict[str, list[float]] = {c + n: [] for c in commands for n in names}
    for _ in range(repeat):
        for command, argv in commands.items():
            out = subprocess.run(argv, check=True, capture_output=True, text=True, env=ENV)
            lines = out.stdout.strip().splitlines()[-len(names) :]
            for name, line in zip(names, lines, strict=True):
                samples[command + name].append(float(line))
    return {name: statistics.median(values) for name, values in samples.items()}


def decorate_us(count: int = 2000) -> float:
    """Microseconds per `@asset` on a one-line function (this process, freshet imported)."""
    import freshet as fr

    functions = []
    for i in range(count):
        namespace: dict[str, object] = {}
        exec(f"def a{i}():\n    return {i}\n", namespace)
        functions.append(namespace[f"a{i}"])
    fr.asset(functions.pop())  # the first decoration loads what decorating needs
    start = time.perf_counter()
    for function in functions:
        fr.asset(function)
    return (time.perf_counter() - start) * 1e6 / len(functions)


def random_dag_source(tool: str, n: int) -> str:
    """A definitions file of `n` trivial assets in the peer workload's random DAG (seed 1234,
    each asset with 0 to 3 distinct earlier parents), written the same way for both tools: one
    function per asset whose parameters name its parents."""
    alias = {"freshet": "fr", "dagster": "dg"}[tool]
    rng = random.Random(1234)
    lines = [f"import {tool} as {alias}"]
    for i in range(n):
        parents = sorted(rng.sample(range(i), rng.randint(0, min(3, i))))
        args = ", ".join(f"a{p}" for p in parents)
        lines += [f"@{alias}.asset", f"def a{i}({args}):", f"    return 1 + sum([{args}])"]
    names = ", ".join(f"a{i}" for i in range(n))
    lines.append(f"defs = {alias}.Definitions(assets=[{names}])")
    return "\n".join(lines) + "\n"


def cli_command(tool: str, python: str, folder: Path, assets: int) -> Command:
    """The whole-process command that materializes one asset of `folder/defs.py`: its only
    asset, or `a0` of `assets` in a random DAG."""
    source = DEFINE_ONE[tool] if assets == 1 else random_dag_source(tool, assets)
    target = "one" if assets == 1 else "a0"
    Path(folder, "defs.py").write_text(source)
    if tool == "freshet":
        env = {**ENV, "FRESHET_HOME": str(folder / "home")}
        argv = [python, "-m", "freshet.cli.main", "-f", "defs.py", "materialize"]
        argv += [] if assets == 1 else ["--select", target]
    else:
        (folder / "dghome").mkdir(exist_ok=True)
        (folder / "dghome" / "dagster.yaml").touch()
        env = {**ENV, "DAGSTER_HOME": str(folder / "dghome")}
        dagster = str(Path(python).parent / "dagster")
        argv = [dagster, "asset", "materialize", "--select", target, "-f", "defs.py"]
    return argv, {"cwd": folder, "env": env, "stderr": subprocess.DEVNULL}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--chain", type=int, default=100, help="assets in the in-memory run")
    parser.add_argument(
        "--cli-assets", type=int, default=1, help="assets in the file the CLI loads (one is run)"
    )
    parser.add_argument("--dagster-python", help="the python of a venv with dagster installed")
    args = parser.parse_args()
    tools = {"freshet": sys.executable}
    if args.dagster_python:
        tools["dagster"] = args.dagster_python
    figures: dict[str, float] = {"decorate_one_asset_us": decorate_us()}
    python_floor = {"python_startup_ms": ([sys.executable, "-c", "pass"], {"env": ENV})}
    figures.update(wall_ms(python_floor, args.repeat))
    with tempfile.TemporaryDirectory() as scratch:
        defining = {
            f"{tool}_import_and_define_one_ms": ([python, "-c", DEFINE_ONE[tool]], {"env": ENV})
            for tool, python in tools.items()
        }
        figures.update(wall_ms(defining, args.repeat))
        # the floor takes turns with the CLIs, so their ratio is taken under the same load
        clis = {
            "import_runtime_dependencies_ms": (
                [sys.executable, "-c", RUNTIME_DEPENDENCIES],
                {"env": ENV},
            )
        }
        for tool, python in tools.items():
            folder = Path(scratch, tool)
            folder.mkdir()
            clis[f"{tool}_cli_materialize_one_ms"] = cli_command(
                tool, python, folder, args.cli_assets
            )
        figures.update(wall_ms(clis, args.repeat))
        # in memory (`materialize_to_memory`), and with the default IO manager on an
        # ephemeral instance (`materialize`, values pickled to a temporary folder)
        in_process = {
            f"{tool}_{name}": [python, "-c", run_twice(tool, call, args.chain)]
            for tool, python in tools.items()
            for name, call in (("in_memory", "materialize_to_memory"), ("ephemeral", "materialize"))
        }
        runs = ("_ms_per_asset", "_again_ms_per_asset")
        figures.update(printed_ms(in_process, max(3, args.repeat // 2), runs))
    figures = {k: round(v, 2) for k, v in figures.items()}
    figures["cli_over_runtime_dependencies"] = round(
        figures["freshet_cli_materialize_one_ms"] / figures["import_runtime_dependencies_ms"], 2
    )
    if "dagster" in tools:
        for what in (
            "import_and_define_one_ms",
            "cli_materialize_one_ms",
            "in_memory_ms_per_asset",
            "in_memory_again_ms_per_asset",
            "ephemeral_ms_per_asset",
            "ephemeral_again_ms_per_asset",
        ):
            figures[f"ratio_{what.removesuffix('_ms').removesuffix('_ms_per_asset')}"] = round(
                figures[f"dagster_{what}"] / figures[f"freshet_{what}"], 1
            )
    shape = {"repeat": args.repeat, "chain": args.chain, "cli_assets": args.cli_assets}
    print(json.dumps({"bench": "startup", **shape, **figures}), flush=True)


if __name__ == "__main__":
    main()

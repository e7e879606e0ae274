"""Whole-process start-up: `import freshet`, and `import freshet` plus defining and
validating one asset (which loads the config library), each as a fresh interpreter.

    python bench/bench_import.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from _shapes import report, timed

SCRIPTS = {
    "import_freshet": "import freshet",
    "import_and_define_one_asset": (
        "import freshet as fr\n@fr.asset\ndef a():\n    return 1\nfr.Definitions(assets=[a])"
    ),
    "python_startup_baseline": "pass",
}


# Measure as installed: Python caches compiled bytecode (some CI images turn that off with
# PYTHONDONTWRITEBYTECODE, which makes every start compile every module).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    for name, code in SCRIPTS.items():

        def run(code: str = code) -> None:
            subprocess.run([sys.executable, "-c", code], check=True, env=ENV)

        run()
        report(name, timed(run, args.repeat))


if __name__ == "__main__":
    main()

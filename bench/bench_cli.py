"""`freshet materialize` of one trivial asset, as a whole process (interpreter start, imports,
loading the definitions file, opening the SQLite instance, the run, the summary).

    python bench/bench_cli.py [--repeat 11]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _shapes import report, timed

DEFS = """
import freshet as fr

@fr.asset
def one():
    return 1

defs = fr.Definitions(assets=[one])
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    freshet = shutil.which("freshet")
    command = [freshet] if freshet else [sys.executable, "-m", "freshet.cli.main"]
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "defs.py").write_text(DEFS)
        env = {**os.environ, "FRESHET_HOME": str(Path(folder, "home"))}
        # Measure as installed: Python caches compiled bytecode (some CI images turn that
        # off with PYTHONDONTWRITEBYTECODE, which makes every start compile every module).
        env.pop("PYTHONDONTWRITEBYTECODE", None)

        def run() -> None:
            subprocess.run(
                [*command, "-f", "defs.py", "materialize"],
                cwd=folder,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )

        run()  # creates the instance database
        report("cli_materialize_one_asset", timed(run, args.repeat))


if __name__ == "__main__":
    main()

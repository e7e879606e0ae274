"""Each program in this folder runs twice: with `import freshet as dg` (for programs that
use only names in freshet's own namespace) and with `import freshet.compat.dagster as dg`;
the `compat` fixture gives the compatibility module alone.

To check that the programs are faithful to Dagster, run them against it in a virtualenv
where Dagster is installed (freshet need not be):

    FRESHET_COMPAT_AGAINST=dagster python -m pytest tests/compat --confcutdir=tests/compat \
        --ignore=tests/compat/test_compat_module.py -p no:cacheprovider -W ignore
"""

from __future__ import annotations

import importlib
import os

import pytest

AGAINST = os.environ.get("FRESHET_COMPAT_AGAINST")
BOTH = [AGAINST] if AGAINST else ["freshet", "freshet.compat.dagster"]


@pytest.fixture(params=BOTH, ids=lambda name: "compat" if name.endswith("dagster") else name)
def dg(request):
    return importlib.import_module(request.param)


@pytest.fixture
def compat():
    return importlib.import_module(AGAINST or "freshet.compat.dagster")

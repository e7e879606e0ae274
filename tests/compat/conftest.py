"""Each program in this folder runs twice: with `import freshet as dg` where every name it
uses is in freshet's own namespace, and always with `import freshet.compat.dagster as dg`."""

from __future__ import annotations

import importlib

import pytest

BOTH = ["freshet", "freshet.compat.dagster"]


@pytest.fixture(params=BOTH, ids=["freshet", "compat"])
def dg(request):
    return importlib.import_module(request.param)


@pytest.fixture
def compat():
    return importlib.import_module("freshet.compat.dagster")

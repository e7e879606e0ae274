"""Paths relative to a user's module, for files that ship beside the code."""

from __future__ import annotations

import os


def file_relative_path(dunderfile: str, relative_path: str) -> str:
    """The path of `relative_path` taken from the folder of the module `dunderfile`
    (pass `__file__`), whatever the working directory."""
    return os.path.join(os.path.dirname(os.path.abspath(dunderfile)), relative_path)

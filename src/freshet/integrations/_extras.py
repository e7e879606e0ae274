"""Importing an optional library with an error that names the extra which installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

import freshet as fr


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise a FreshetError telling the user to install ``freshet[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise fr.FreshetError(
            f"{feature} needs the {module.split('.')[0]!r} package, which is not installed "
            f"({exc}); install it with: pip install 'freshet[{extra}]'"
        ) from exc

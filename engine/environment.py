"""Settings read from the environment, once, at import (README "Limits" and "Configuration"): a
positive number, else the default — a setting mistyped or zero must not switch a limit off."""
from __future__ import annotations

import os

__all__ = ["positive_int", "positive_number"]


def positive_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def positive_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default

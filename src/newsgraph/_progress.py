"""A tiny progress hook: the CLI installs a reporter, stages call ``advance``.

Keeps the library and the flows free of any terminal code; with no reporter installed,
``advance`` does nothing.
"""
from __future__ import annotations

from collections.abc import Callable

_reporter: Callable[[str, int, int | None], None] | None = None


def set_reporter(fn: Callable[[str, int, int | None], None] | None) -> None:
    global _reporter
    _reporter = fn


def advance(stage: str, n: int = 1, total: int | None = None) -> None:
    if _reporter is not None:
        _reporter(stage, n, total)

"""The three hot stages run in order and timed: shared by the baseline and the fast path, so
both are measured the same way."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def timed_stages(
    raw: Any,
    normalise: Callable[[Any], Any],
    extract: Callable[[Any], Any],
    classify: Callable[[Any], Any],
) -> tuple[dict[str, float], Any, Any, Any]:
    """normalise(raw) -> extract(clean) -> classify(items); returns the wall seconds of each
    stage (by name) and the three outputs."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    clean = normalise(raw)
    seconds["normalise"] = time.perf_counter() - start
    start = time.perf_counter()
    items = extract(clean)
    seconds["extract"] = time.perf_counter() - start
    start = time.perf_counter()
    labels = classify(items)
    seconds["classify"] = time.perf_counter() - start
    return seconds, clean, items, labels

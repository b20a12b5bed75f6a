"""Run a frame function on parts of a frame in threads, one part per core.

Polars runs one string expression over one column on a single thread, and most of the text
stages are chains of such expressions (`str.replace_all` over long descriptions). Polars
releases the GIL while it computes, so running the same function on disjoint parts of the
input in Python threads uses every core; the parts' results are concatenated in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import polars as pl

T = TypeVar("T")
R = TypeVar("R")

#: Below this many rows a frame is not split: the threads would cost more than they save.
MIN_ROWS_PER_PART = 500


def workers() -> int:
    """Threads to use: Polars' own pool size (the cores it may use)."""
    return max(1, pl.thread_pool_size())


def map_in_threads(fn: Callable[[T], R], parts: Sequence[T]) -> list[R]:
    """`fn` of every part, in the parts' order, at most `workers()` at a time."""
    if len(parts) <= 1 or workers() == 1:
        return [fn(part) for part in parts]
    with ThreadPoolExecutor(max_workers=min(workers(), len(parts))) as pool:
        return list(pool.map(fn, parts))


def row_slices(frame: pl.DataFrame, count: int | None = None) -> list[pl.DataFrame]:
    """`frame` cut into `count` (default: `workers()`) contiguous slices of near-equal size,
    fewer when a slice would have under MIN_ROWS_PER_PART rows."""
    count = min(count or workers(), max(1, frame.height // MIN_ROWS_PER_PART))
    step = -(-frame.height // count) if frame.height else 1
    return [frame.slice(offset, step) for offset in range(0, frame.height, step)] or [frame]


def key_parts(frame: pl.DataFrame, keys: Sequence[str]) -> list[pl.DataFrame]:
    """`frame` split into up to `workers()` parts such that all rows sharing `keys` are in one
    part (for functions that work per key, e.g. per posting)."""
    count = min(workers(), max(1, frame.height // MIN_ROWS_PER_PART))
    if count == 1:
        return [frame]
    part = pl.struct(list(keys)).hash() % count
    return frame.with_columns(__part=part).partition_by("__part", include_key=False)


def by_row_slices(fn: Callable[[pl.DataFrame], pl.DataFrame], frame: pl.DataFrame) -> pl.DataFrame:
    """`fn(frame)` for a row-wise `fn` (each output row depends on its own input row only),
    computed on slices in threads; the same rows in the same order."""
    return pl.concat(map_in_threads(fn, row_slices(frame)), how="vertical")

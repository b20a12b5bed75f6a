"""Run a roleprint suite with Great Expectations 1.x on a pandas (or polars) DataFrame.

GX is imported lazily (it takes seconds) and its ephemeral context, pandas datasource, asset and
batch definition are built once per thread: the pandas datasource keeps one execution engine
whose "active batch" is shared state, so two threads must not validate through one context.
With a context each, parts of a large frame are validated in threads (`run_suite_by_parts`):
most of a validation is pandas and numpy work that releases the GIL, and two parts of a
million postings' label rows took 1.7 s in two threads against 2.9 s one after the other.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from data_quality.results import SAMPLE_SIZE, FailedExpectation, SuiteResult, json_safe
from data_quality.suites import Check, Where, build_suite, render_where, splits_by_posting

# Must be set before great_expectations is imported (it reads the variable at context creation).
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

_DATASOURCE = "roleprint_dq"
_ASSET = "frame"
_BATCH_DEFINITION = "whole_frame"
# SUMMARY = counts, a partial list of unexpected values and their row index (which the
# failure report turns into the rows' keys).
_RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
# Columns that identify a row in roleprint's tables, reported for offending rows.
KEY_COLUMNS = (
    "batch_id",
    "source_uri",
    "locator",
    "posting_id",
    "position",
    "category",
    "role_type",
)


@dataclass
class _Gx:
    context: Any
    datasource: Any
    batch_definition: Any

    def release_batch(self) -> None:
        """Drop the last validated frame, which the datasource's execution engine keeps
        cached until the next validation: a context of a validation thread would otherwise
        hold a part of a large table for the rest of the process (while dbt runs, say)."""
        manager = self.datasource.get_execution_engine().batch_manager
        manager.reset_batch_cache()
        manager.batch_data_cache.clear()


_per_thread = threading.local()
# building contexts one at a time: GX's import and first context set up module-level state
_building = threading.Lock()


def _get_gx() -> _Gx:
    """This thread's ephemeral GX context + pandas batch definition (built on first use)."""
    gx_state = getattr(_per_thread, "gx", None)
    if gx_state is None:
        with _building:
            gx_state = _per_thread.gx = _new_gx()
    return gx_state


def _new_gx() -> _Gx:
    """A new ephemeral GX context with roleprint's pandas datasource and batch definition."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every batch under HASH_THRESHOLD bytes (1 GB) with
    # hash_pandas_object, twice per validation, for a batch marker roleprint never reads:
    # on 2M responsibility rows that was 4.4 s of a 6.4 s suite. 0 turns it off (the
    # marker is simply absent, as GX leaves it for larger frames).
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    context.enable_analytics(False)
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    datasource = context.data_sources.add_pandas(_DATASOURCE)
    asset = datasource.add_dataframe_asset(_ASSET)
    return _Gx(context, datasource, asset.add_batch_definition_whole_dataframe(_BATCH_DEFINITION))


def fetch_plan(suite: str, columns: list[str], **params: Any) -> list[tuple[str, bool]]:
    """Which of a table's `columns` a suite needs, in table order: (column, only_nullness).

    A column the suite only checks for nulls (a description, say) can be fetched as a
    one-character stand-in with the same nulls, so validating a million postings does not
    copy gigabytes of text into pandas. Key columns are always fetched (failure reports name
    the offending rows by them)."""
    checks = build_suite(suite, **params)
    read = set(KEY_COLUMNS)
    for check in checks:
        read |= check.reads

    def nullness_only(column: str) -> bool:
        return column not in KEY_COLUMNS and all(
            check.expectation == "expect_table_columns_to_match_set"
            or (
                check.expectation == "expect_column_values_to_not_be_null"
                and check.kwargs.get("column") == column
                and (check.where is None or check.where[0] != column)
            )
            for check in checks
            if column in check.reads
        )

    return [(c, nullness_only(c)) for c in columns if c in read]


def run_suite(suite: str, df: Any, **params: Any) -> SuiteResult:
    """Validate ``df`` (pandas or polars DataFrame) against suite ``suite``.

    ``params`` go to the suite builder (e.g. ``categories=[...]`` for responsibility_labels and
    category_frequency). Raises ValueError for an unknown suite name or bad params.
    """
    checks = build_suite(suite, **params)
    frame = _to_pandas(df)
    keys = frame[[c for c in KEY_COLUMNS if c in frame.columns]]
    row_count = len(frame)
    frame, derive_errors = _add_derived_columns(_only_referenced_columns(frame, checks), checks)

    gx_state = _get_gx()
    expectations = [
        _to_gx_expectation(i, check) for i, check in enumerate(checks) if i not in derive_errors
    ]
    import great_expectations as gx

    try:
        batch = gx_state.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        validation = batch.validate(
            gx.ExpectationSuite(name=suite, expectations=expectations),
            result_format=_RESULT_FORMAT,
        )
    finally:
        gx_state.release_batch()

    # GX does not return results in suite order; map them back through meta.
    by_index = {int(r.expectation_config.meta["dq_index"]): r for r in validation.results}
    failed: list[FailedExpectation] = []
    for i, check in enumerate(checks):
        if i in derive_errors:
            failed.append(_failure(check, None, [], error=derive_errors[i]))
            continue
        result = by_index.get(i)
        if result is None:
            failed.append(_failure(check, None, [], error="no result returned by GX"))
        elif not result.success:
            failed.append(_with_sample_rows(_failure_from_result(check, result), result, keys))

    return SuiteResult(
        suite=suite,
        success=not any(f.blocking for f in failed),
        evaluated=len(checks),
        failed=tuple(failed),
        row_count=row_count,
    )


def run_suite_by_parts(
    suite: str, parts: Iterable[Any], workers: int = 1, **params: Any
) -> SuiteResult:
    """Validate a large frame given as ``parts`` (pandas or polars frames, each holding every
    row of the postings it holds) and add the results up: the result of validating all the
    rows at once, with the memory of a few parts. Only for suites whose checks split by
    posting (`suites.splits_by_posting`); raises ValueError otherwise.

    With ``workers`` above 1, parts are validated in that many threads, each with its own GX
    context, while the next part is taken from ``parts`` (a generator may be reading it from
    the warehouse meanwhile): at most ``workers`` parts are queued or being validated, and
    one more is being read. A failure's unexpected rows are counted over every part; its
    samples (values and rows) are the first parts' up to SAMPLE_SIZE, in the parts' order.
    With no part at all, the suite runs on none."""
    if not splits_by_posting(build_suite(suite, **params)):
        raise ValueError(f"suite {suite!r} has checks of the whole frame: it cannot run by parts")
    results = list(_validated_parts(suite, parts, workers, params))
    if not results:
        raise ValueError("run_suite_by_parts: no part to validate")
    return merge_results(results)


def _validated_parts(
    suite: str, parts: Iterable[Any], workers: int, params: dict[str, Any]
) -> Iterator[SuiteResult]:
    """`run_suite` of each part, in the parts' order, in up to `workers` pool threads."""
    if workers <= 1:
        for part in parts:
            yield run_suite(suite, part, **params)
        return
    pool = _validation_pool(workers)
    in_flight: deque[Future] = deque()
    try:
        for part in parts:
            while len(in_flight) >= workers:
                yield in_flight.popleft().result()
            in_flight.append(pool.submit(run_suite, suite, part, **params))
        while in_flight:
            yield in_flight.popleft().result()
    finally:
        for pending in in_flight:  # a part failed: the ones queued after it are not run
            pending.cancel()


_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _validation_pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool of `workers` threads: its threads, and the GX context each builds
    on first use (about a second), live as long as the process, not one suite."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = ThreadPoolExecutor(
                max_workers=workers, thread_name_prefix="gx-validate"
            )
        return pool


def merge_results(results: list[SuiteResult]) -> SuiteResult:
    """One SuiteResult for the same suite run on several disjoint parts of a frame."""
    merged: dict[tuple, FailedExpectation] = {}
    for result in results:
        for failure in result.failed:
            key = (failure.expectation, failure.description, repr(failure.kwargs))
            seen = merged.get(key)
            merged[key] = failure if seen is None else _add_failures(seen, failure)
    failed = tuple(merged.values())
    return SuiteResult(
        suite=results[0].suite,
        success=not any(f.blocking for f in failed),
        evaluated=results[0].evaluated,
        failed=failed,
        row_count=sum(r.row_count for r in results),
    )


def _add_failures(a: FailedExpectation, b: FailedExpectation) -> FailedExpectation:
    counts = [c for c in (a.unexpected_count, b.unexpected_count) if c is not None]
    return replace(
        a,
        unexpected_count=sum(counts) if counts else None,
        unexpected_sample=(list(a.unexpected_sample) + list(b.unexpected_sample))[:SAMPLE_SIZE],
        sample_rows=(list(a.sample_rows) + list(b.sample_rows))[:SAMPLE_SIZE],
        error=a.error if a.error is not None else b.error,
    )


# --------------------------------------------------------------------------------------------


def _to_pandas(df: Any) -> pd.DataFrame:
    if isinstance(df, pd.DataFrame):
        return df
    module = type(df).__module__
    if module.startswith("polars"):
        if hasattr(df, "collect"):  # LazyFrame
            df = df.collect()
        return df.to_pandas()
    raise TypeError(f"run_suite expects a pandas or polars DataFrame, got {type(df).__name__}")


def _only_referenced_columns(frame: pd.DataFrame, checks: list[Check]) -> pd.DataFrame:
    """Drop the columns no check reads (raw text, list columns, JSON ...).

    GX fingerprints every batch (memory_usage + hash_pandas_object, falling back to pickling
    the whole frame when a column holds lists), twice per validation; on wide frames with
    Arrow-backed strings that costs more than the expectations themselves. Derivations and
    column-set checks name what they need, so nothing a check looks at is dropped.
    """
    wanted = set()
    for check in checks:
        wanted.update(check.reads)
    keep = [c for c in frame.columns if c in wanted]
    return frame if len(keep) == len(frame.columns) else frame[keep]


def _add_derived_columns(
    frame: pd.DataFrame, checks: list[Check]
) -> tuple[pd.DataFrame, dict[int, str]]:
    derived: dict[str, pd.Series] = {}
    errors: dict[int, str] = {}
    for i, check in enumerate(checks):
        if check.derive is None:
            continue
        try:
            derived[check.kwargs["column"]] = check.derive(frame)
        except KeyError as exc:
            errors[i] = f"column {exc.args[0]!r} not found"
        except Exception as exc:  # a broken frame must produce a failure, not a crash
            errors[i] = f"{type(exc).__name__}: {exc}"
    if derived:
        frame = frame.assign(**derived)  # a copy: the caller's frame is never modified
    return frame, errors


def _to_gx_expectation(index: int, check: Check) -> Any:
    from great_expectations.expectations.registry import get_expectation_impl

    kwargs = dict(check.kwargs)
    if check.where is not None:
        kwargs["row_condition"] = _gx_condition(check.where)
    return get_expectation_impl(check.expectation)(**kwargs, meta={"dq_index": index})


def _gx_condition(where: Where) -> Any:
    from great_expectations.expectations.row_conditions import Column

    column, op, value = where
    col = Column(column)
    if op == "==":
        return col == value
    if op == "!=":
        return col != value
    if op == "not_null":
        return col.is_not_null()
    if op == "is_null":
        return col.is_null()
    raise ValueError(f"unsupported row condition operator {op!r}")


def _config_kwargs(check: Check) -> dict:
    kwargs = json_safe(dict(check.kwargs))
    if check.where is not None:
        kwargs["row_condition"] = render_where(check.where)
    return kwargs


def _failure(
    check: Check,
    unexpected_count: int | None,
    sample: list,
    *,
    error: str | None = None,
) -> FailedExpectation:
    return FailedExpectation(
        expectation=check.expectation,
        column=check.reported_column,
        kwargs=_config_kwargs(check),
        unexpected_count=unexpected_count,
        unexpected_sample=json_safe(list(sample)[:SAMPLE_SIZE]),
        blocking=check.blocking,
        description=check.description,
        error=error,
    )


def _failure_from_result(check: Check, result: Any) -> FailedExpectation:
    info = result.exception_info or {}
    if info.get("raised_exception"):
        return _failure(check, None, [], error=_exception_message(info))
    # Multi-metric failures nest exception_info one level down (keyed by metric id).
    nested = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    if nested:
        return _failure(check, None, [], error=_exception_message(nested[0]))

    res = result.result or {}
    if "unexpected_count" in res:  # row-level (map) expectations
        return _failure(check, int(res["unexpected_count"]), res.get("partial_unexpected_list", []))
    if "partial_missing_list" in res:  # expect_column_distinct_values_to_contain_set
        return _failure(check, res.get("missing_count"), res["partial_missing_list"])
    details = res.get("details") or {}
    missing = (details.get("mismatched") or {}).get("missing")
    if missing is not None:  # expect_table_columns_to_match_set
        return _failure(check, len(missing), missing)
    # Aggregate expectations (row count, column dtype): report the observed value.
    observed = res.get("observed_value")
    return _failure(check, None, [] if observed is None else [observed])


def _with_sample_rows(
    failure: FailedExpectation, result: Any, keys: pd.DataFrame
) -> FailedExpectation:
    """Add the key columns of the offending rows GX pointed at (by frame index)."""
    index = (result.result or {}).get("partial_unexpected_index_list") or []
    if not index or not len(keys.columns):
        return failure
    rows = keys.loc[[i for i in index[:SAMPLE_SIZE] if i in keys.index]]
    sample = [json_safe(row) for row in rows.to_dict(orient="records")]
    return replace(failure, sample_rows=sample)


def _exception_message(info: dict) -> str:
    message = str(info.get("exception_message") or "expectation raised an exception")
    return message.removeprefix("Error: ").strip()

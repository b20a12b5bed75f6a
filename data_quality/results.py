"""Result types returned by :func:`data_quality.run_suite` (no Great Expectations import here)."""

from __future__ import annotations

import datetime as _dt
import decimal
import math
from dataclasses import dataclass, field
from typing import Any

SAMPLE_SIZE = 5


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not pass (blocking or warning)."""

    expectation: str  # e.g. "expect_column_values_to_not_be_null"
    column: str | None
    kwargs: dict  # the expectation's configuration kwargs (json-safe)
    unexpected_count: int | None
    unexpected_sample: list  # up to 5 offending values (json-safe)
    blocking: bool
    # Additions beyond the agreed fields (defaulted, so positional construction still works):
    description: str = ""  # human label, e.g. "posting_id not null"
    # Set when the expectation could not be evaluated at all (e.g. a missing column):
    error: str | None = None
    # Up to 5 offending rows, identified by their key columns (batch_id, posting_id, ...):
    sample_rows: list = field(default_factory=list)

    def describe(self) -> str:
        label = self.description or f"{self.expectation}({self.column or ''})"
        if self.error is not None:
            return f"{label} (error: {self.error})"
        sample = _short_repr(self.unexpected_sample)
        if self.unexpected_count is None:
            return f"{label} (observed: {sample})" if self.unexpected_sample else label
        noun = "row" if self.unexpected_count == 1 else "rows"
        where = ""
        if self.sample_rows:
            where = "; e.g. " + ", ".join(f"{k}={v}" for k, v in self.sample_rows[0].items())
        return f"{label} ({self.unexpected_count} {noun}: {sample}{where})"

    def to_dict(self) -> dict:
        return {
            "expectation": self.expectation,
            "column": self.column,
            "description": self.description,
            "blocking": self.blocking,
            "unexpected_count": self.unexpected_count,
            "unexpected_sample": list(self.unexpected_sample),
            "kwargs": dict(self.kwargs),
            "error": self.error,
            "sample_rows": list(self.sample_rows),
        }


@dataclass(frozen=True)
class SuiteResult:
    """Outcome of one suite run against one DataFrame."""

    suite: str
    success: bool  # False iff any BLOCKING expectation failed
    evaluated: int
    failed: tuple[FailedExpectation, ...] = field(default_factory=tuple)
    row_count: int = 0

    @property
    def passed(self) -> int:
        return self.evaluated - len(self.failed)

    @property
    def blocking_failures(self) -> tuple[FailedExpectation, ...]:
        return tuple(f for f in self.failed if f.blocking)

    @property
    def warnings(self) -> tuple[FailedExpectation, ...]:
        return tuple(f for f in self.failed if not f.blocking)

    def summary(self) -> str:
        """One line, e.g.
        ``raw_postings: 14/15 expectations passed; blocking failure: posting_id not null
        (2 rows: [None, None])``."""
        head = f"{self.suite}: {self.passed}/{self.evaluated} expectations passed"
        if not self.failed:
            return f"{head} ({self.row_count} rows)"
        parts = [head]
        for label, group in (
            ("blocking failure", self.blocking_failures),
            ("warning", self.warnings),
        ):
            if group:
                plural = "s" if len(group) > 1 else ""
                parts.append(f"{label}{plural}: " + "; ".join(f.describe() for f in group))
        return "; ".join(parts)

    def to_metadata(self) -> dict:
        """JSON-safe dict for Dagster metadata (flat scalars plus a ``failed`` list)."""
        return {
            "suite": self.suite,
            "success": self.success,
            "row_count": self.row_count,
            "evaluated": self.evaluated,
            "passed": self.passed,
            "blocking_failures": len(self.blocking_failures),
            "warnings": len(self.warnings),
            "summary": self.summary(),
            "failed": [f.to_dict() for f in self.failed],
        }


def json_safe(value: Any) -> Any:
    """Convert pandas / numpy / datetime values (as GX returns them) to plain JSON types."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, set | frozenset):
        return [json_safe(v) for v in sorted(value, key=str)]
    if _is_missing(value):  # None-likes: NaN, pandas NA, NaT (before the datetime branch)
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return json_safe(float(value))
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):  # incl. pandas.Timestamp
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if hasattr(value, "tolist"):  # numpy array (e.g. a VARCHAR[] cell) or numpy scalar
        return json_safe(value.tolist())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _is_missing(value: Any) -> bool:
    import pandas as pd

    try:
        result = pd.isna(value)
    except (TypeError, ValueError):
        return False
    # pd.isna returns an array for array-likes; only a scalar answer means "this value is null".
    return getattr(result, "ndim", 0) == 0 and bool(result)


def _short_repr(values: list, limit: int = 120) -> str:
    text = repr(list(values))
    return text if len(text) <= limit else text[: limit - 4] + "...]"

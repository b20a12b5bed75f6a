"""Expectation suites for every roleprint stage (contracts: docs/tables.md).

Each suite is a function ``suite(**params) -> list[Check]``. A :class:`Check` is a plain,
JSON-safe description of one Great Expectations 1.x expectation plus roleprint's own
``blocking`` flag; :mod:`data_quality.runner` turns it into a GX expectation. Keeping this module
free of GX imports means importing the suites (e.g. from Dagster definitions) stays fast.

blocking=True  -> downstream stages would be wrong; the suite fails.
blocking=False -> a warning; reported, but the suite still succeeds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

ROLE_TYPES = ("ai-first", "ai-support", "ml-first", "unknown")
DESCRIPTION_FORMATS = ("text", "html", "none")
RESPONSIBILITY_METHODS = ("rules", "precomputed", "llm")
ROLE_TYPE_METHODS = ("rules", "precomputed")
BANDS = ("very_common", "common", "uncommon", "rare")
CHANGE_DIRECTIONS = ("rose", "fell", "steady")
LABEL_RANKS = (1, 2, 3)
QUARANTINE_COLUMNS = (
    "stage",
    "source",
    "source_uri",
    "locator",
    "reason",
    "excerpt",
    "batch_id",
    "quarantined_at",
)
POSTED_DATE_MIN = dt.datetime(2000, 1, 1)
POSTED_DATE_MAX = dt.datetime(2100, 1, 1)
RESPONSIBILITY_TEXT_MIN = 3
RESPONSIBILITY_TEXT_MAX = 2000

# Row condition: (column, op, value) with op one of "==", "!=", "not_null", "is_null".
Where = tuple[str, str, Any]
# Derivation: builds a helper column from the whole frame (for checks GX cannot express directly).
Derive = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Check:
    """One expectation of a suite."""

    expectation: str  # GX expectation type, snake_case
    kwargs: dict[str, Any]  # GX kwargs (JSON-safe except datetime bounds, made safe on output)
    description: str  # human label used in summaries
    blocking: bool = True
    column: str | None = None  # column reported on failure (defaults to kwargs["column"])
    where: Where | None = None  # only rows matching this condition are checked
    derive: Derive | None = field(default=None, compare=False)  # fills kwargs["column"]
    derive_reads: tuple[str, ...] = ()  # source columns the derivation reads
    # the derivation's value for a row depends only on the rows of the same posting
    derive_per_posting: bool = False

    @property
    def reads(self) -> set[str]:
        """Every source column this check looks at (the runner drops all others)."""
        cols: set[str] = set(self.derive_reads)
        for key in ("column", "column_A", "column_B"):
            if key in self.kwargs:
                cols.add(self.kwargs[key])
        cols.update(self.kwargs.get("column_list", ()))
        cols.update(self.kwargs.get("column_set", ()))
        if self.where is not None:
            cols.add(self.where[0])
        return cols

    @property
    def reported_column(self) -> str | None:
        if self.column is not None:
            return self.column
        for key in ("column", "column_A"):
            if key in self.kwargs:
                return self.kwargs[key]
        if "column_list" in self.kwargs:
            return ",".join(self.kwargs["column_list"])
        return None


def render_where(where: Where) -> str:
    column, op, value = where
    if op == "not_null":
        return f"{column} is not null"
    if op == "is_null":
        return f"{column} is null"
    return f"{column} {op} {value!r}"


# --------------------------------------------------------------------------------------------
# Check constructors
# --------------------------------------------------------------------------------------------


def _with_mode(description: str, mostly: float | None, where: Where | None) -> str:
    if where is not None:
        description += f" where {render_where(where)}"
    if mostly is not None:
        description += f" (mostly {mostly:.0%})"
    return description


def _mostly(kwargs: dict, mostly: float | None) -> dict:
    if mostly is not None:
        kwargs["mostly"] = mostly
    return kwargs


def not_null(
    column: str, *, blocking: bool = True, mostly: float | None = None, where: Where | None = None
) -> Check:
    return Check(
        "expect_column_values_to_not_be_null",
        _mostly({"column": column}, mostly),
        _with_mode(f"{column} not null", mostly, where),
        blocking=blocking,
        where=where,
    )


def in_set(
    column: str, values: Sequence, *, blocking: bool = True, where: Where | None = None
) -> Check:
    values = list(values)
    shown = "{" + ", ".join(map(str, values)) + "}" if len(values) <= 8 else f"{len(values)} ids"
    return Check(
        "expect_column_values_to_be_in_set",
        {"column": column, "value_set": values},
        _with_mode(f"{column} in {shown}", None, where),
        blocking=blocking,
        where=where,
    )


def between(
    column: str,
    min_value: Any = None,
    max_value: Any = None,
    *,
    blocking: bool = True,
    mostly: float | None = None,
    derive: Derive | None = None,
    derived_column: str | None = None,
) -> Check:
    """min_value <= column <= max_value; with ``derive``, checked on a derived copy of column."""
    if min_value is not None and max_value is not None:
        label = f"{column} between {_fmt(min_value)} and {_fmt(max_value)}"
    elif min_value is not None:
        label = f"{column} >= {_fmt(min_value)}"
    else:
        label = f"{column} <= {_fmt(max_value)}"
    kwargs: dict[str, Any] = {"column": derived_column or column}
    if min_value is not None:
        kwargs["min_value"] = min_value
    if max_value is not None:
        kwargs["max_value"] = max_value
    return Check(
        "expect_column_values_to_be_between",
        _mostly(kwargs, mostly),
        _with_mode(label, mostly, None),
        blocking=blocking,
        column=column,
        derive=derive,
        derive_reads=(column,) if derive is not None else (),
    )


def length_between(
    column: str, min_value: int | None = None, max_value: int | None = None, *, blocking=True
) -> Check:
    kwargs: dict[str, Any] = {"column": column}
    if min_value is not None:
        kwargs["min_value"] = min_value
    if max_value is not None:
        kwargs["max_value"] = max_value
    label = (
        f"length({column}) >= {min_value}"
        if max_value is None
        else f"length({column}) <= {max_value}"
        if min_value is None
        else f"length({column}) between {min_value} and {max_value}"
    )
    return Check("expect_column_value_lengths_to_be_between", kwargs, label, blocking=blocking)


def unique_together(*columns: str, blocking: bool = True, where: Where | None = None) -> Check:
    return Check(
        "expect_compound_columns_to_be_unique",
        {"column_list": list(columns)},
        _with_mode(f"({', '.join(columns)}) unique", None, where),
        blocking=blocking,
        where=where,
    )


def a_ge_b(column_a: str, column_b: str, *, blocking: bool = True) -> Check:
    """column_b <= column_a on every row (both present)."""
    return Check(
        "expect_column_pair_values_a_to_be_greater_than_b",
        {"column_A": column_a, "column_B": column_b, "or_equal": True},
        f"{column_b} <= {column_a}",
        blocking=blocking,
        column=column_b,
    )


def row_count_at_least(n: int, *, blocking: bool = True) -> Check:
    return Check(
        "expect_table_row_count_to_be_between",
        {"min_value": n},
        f"row count >= {n}",
        blocking=blocking,
    )


def columns_present(columns: Sequence[str], *, blocking: bool = True) -> Check:
    return Check(
        "expect_table_columns_to_match_set",
        {"column_set": list(columns), "exact_match": False},
        "columns present",
        blocking=blocking,
    )


def boolean_typed(column: str, *, blocking: bool = True) -> Check:
    # "bool" = numpy bool (and python bool values in object columns); "BooleanDtype" = pandas
    # nullable boolean (what DuckDB's .df() returns for a BOOLEAN column that contains NULLs).
    return Check(
        "expect_column_values_to_be_in_type_list",
        {"column": column, "type_list": ["bool", "BooleanDtype"]},
        f"{column} is boolean",
        blocking=blocking,
    )


def contains_all(column: str, values: Sequence, *, blocking: bool = True) -> Check:
    return Check(
        "expect_column_distinct_values_to_contain_set",
        {"column": column, "value_set": list(values)},
        f"every {column} present",
        blocking=blocking,
    )


def derived_null(
    helper: str,
    derive: Derive,
    *,
    reads: Sequence[str],
    column: str,
    description: str,
    blocking: bool = True,
    per_posting: bool = False,
) -> Check:
    """Fails on every row where ``derive(df)`` is non-null; the sample shows those values.

    ``reads``: the columns ``derive`` uses; ``column``: the column reported on failure;
    ``per_posting``: ``derive``'s value for a row depends only on the rows of its posting
    (batch_id, posting_id), so the suite can validate postings in separate parts.
    """
    return Check(
        "expect_column_values_to_be_null",
        {"column": helper},
        description,
        blocking=blocking,
        column=column,
        derive=derive,
        derive_reads=tuple(reads),
        derive_per_posting=per_posting,
    )


POSTING_KEY = ("batch_id", "posting_id")
# Expectations whose verdict on a row depends on that row alone (with no `mostly`, which
# is a share of the whole frame).
_ROW_LEVEL = frozenset(
    {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_be_between",
        "expect_column_value_lengths_to_be_between",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_column_values_to_be_in_type_list",
    }
)


def splits_by_posting(checks: Sequence[Check]) -> bool:
    """True when validating the rows of each posting apart (every posting's rows in one
    part) and adding the failures up gives what validating all the rows at once gives: every
    check is row-level without `mostly`, a uniqueness whose columns include the posting key,
    or a derivation declared per posting. Row counts, column sets and distinct-value sets
    are properties of the whole frame and do not split."""

    def splits(check: Check) -> bool:
        if "mostly" in check.kwargs:
            return False
        if check.derive is not None and not check.derive_per_posting:
            return False
        if check.expectation == "expect_compound_columns_to_be_unique":
            return set(POSTING_KEY) <= set(check.kwargs["column_list"])
        return check.expectation in _ROW_LEVEL

    return all(splits(check) for check in checks)


def _fmt(value: Any) -> str:
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return str(value)


# --------------------------------------------------------------------------------------------
# Derivations (checks that compare columns or groups of rows)
# --------------------------------------------------------------------------------------------


def _posted_date_as_datetime(df: pd.DataFrame) -> pd.Series:
    """posted_date as datetime64[ns]. DuckDB / polars give datetime64 of other units, and
    frames built from Python records may hold datetime.date objects, which do not compare
    with datetime bounds. Nanoseconds because GX compares a datetime64[ns] column at once
    and any other with a Python call per row (3.4 s -> 0.03 s on a million postings); a date
    beyond what nanoseconds hold (before 1677 or after 2262) keeps its unit and is compared
    row by row."""
    day = pd.to_datetime(df["posted_date"], errors="coerce")
    try:
        return day.astype("datetime64[ns]")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        return day


def _self_duplicate(df: pd.DataFrame) -> pd.Series:
    """posting_id where a posting names itself (same batch) as its canonical duplicate."""
    same_id = df["duplicate_of"].astype("object") == df["posting_id"].astype("object")
    same_batch = df["duplicate_of_batch_id"].astype("object") == df["batch_id"].astype("object")
    hit = (same_id & same_batch).fillna(False).astype(bool)
    return df["posting_id"].astype("object").where(hit, None)


def _duplicate_without_batch(df: pd.DataFrame) -> pd.Series:
    """duplicate_of where it is set but duplicate_of_batch_id is missing."""
    hit = df["duplicate_of"].notna() & df["duplicate_of_batch_id"].isna()
    return df["duplicate_of"].astype("object").where(hit, None)


def _duplicate_without_reason(df: pd.DataFrame) -> pd.Series:
    """duplicate_of where it has no duplicate_reason, or the reason where it has no duplicate_of."""
    if "duplicate_reason" not in df.columns:  # a frame from before the column existed
        return df["duplicate_of"].astype("object").where(df["duplicate_of"].notna(), None)
    has_of, has_reason = df["duplicate_of"].notna(), df["duplicate_reason"].notna()
    shown = df["duplicate_of"].astype("object").where(has_of, df["duplicate_reason"])
    return shown.where(has_of != has_reason, None)


_RESPONSIBILITY_KEY = ["batch_id", "posting_id", "position"]


def _responsibility_without_primary(df: pd.DataFrame) -> pd.Series:
    """'batch_id/posting_id/position' for rows of a responsibility that has no rank-1 row."""
    is_primary = (df["rank"] == 1).fillna(False).astype(bool)
    keys = [df[c] for c in _RESPONSIBILITY_KEY]
    has_primary = is_primary.groupby(keys, dropna=False, sort=False).transform("any")
    missing = ~has_primary.astype(bool)
    shown = pd.Series(np.full(len(df), None, dtype=object), index=df.index)
    if missing.any():
        # the label is built for the offending rows only: on millions of good rows, building
        # it for every row took most of this suite's time
        rows = df.loc[missing]
        label = (
            rows["batch_id"].astype(str)
            + "/"
            + rows["posting_id"].astype(str)
            + "/"
            + rows["position"].astype(str)
        )
        shown[missing] = label.astype("object")
    return shown


# --------------------------------------------------------------------------------------------
# Suites
# --------------------------------------------------------------------------------------------


def raw_postings() -> list[Check]:
    """raw.postings: one row per loaded posting of the batch."""
    return [
        *(
            not_null(c)
            for c in (
                "posting_id",
                "source",
                "source_uri",
                "batch_id",
                "description_format",
                "raw_hash",
                "ingested_at",
            )
        ),
        unique_together("batch_id", "posting_id"),
        in_set("description_format", DESCRIPTION_FORMATS),
        not_null("description_raw", where=("description_format", "!=", "none")),
        in_set("precomputed_role_type", ROLE_TYPES),
        not_null("title", blocking=False, mostly=0.99),
        between(
            "posted_date",
            POSTED_DATE_MIN,
            POSTED_DATE_MAX,
            blocking=False,
            derive=_posted_date_as_datetime,
            derived_column="_dq_posted_date",
        ),
        row_count_at_least(1),
    ]


def quarantine() -> list[Check]:
    """raw.quarantine: rejected records. Zero rows is valid."""
    return [
        columns_present(QUARANTINE_COLUMNS),
        not_null("reason"),
    ]


def clean_postings() -> list[Check]:
    """clean.postings: every raw.postings check but on the raw description (which stays in
    raw.postings, not copied here), plus the cleaning columns."""
    return [
        *(c for c in raw_postings() if c.kwargs.get("column") != "description_raw"),
        not_null("description_text", where=("description_format", "!=", "none")),
        not_null("language"),
        between("pii_redactions", 0),
        not_null("is_analysed"),
        boolean_typed("is_analysed"),
        derived_null(
            "_dq_self_duplicate",
            _self_duplicate,
            reads=("posting_id", "batch_id", "duplicate_of", "duplicate_of_batch_id"),
            column="duplicate_of",
            description="duplicate_of != posting_id within the batch (no self duplicate)",
        ),
        derived_null(
            "_dq_duplicate_without_batch",
            _duplicate_without_batch,
            reads=("duplicate_of", "duplicate_of_batch_id"),
            column="duplicate_of_batch_id",
            description="duplicate_of_batch_id set whenever duplicate_of is set",
        ),
        derived_null(
            "_dq_duplicate_without_reason",
            _duplicate_without_reason,
            reads=("duplicate_of", "duplicate_reason"),
            column="duplicate_reason",
            description="duplicate_reason set exactly when duplicate_of is set",
        ),
        not_null("title_normalized", blocking=False, where=("title", "not_null", None)),
    ]


def responsibilities() -> list[Check]:
    """clean.responsibilities: one row per extracted responsibility."""
    return [
        *(not_null(c) for c in ("posting_id", "batch_id", "position", "text", "method")),
        length_between("text", min_value=RESPONSIBILITY_TEXT_MIN),
        length_between("text", max_value=RESPONSIBILITY_TEXT_MAX, blocking=False),
        in_set("method", RESPONSIBILITY_METHODS),
        unique_together("batch_id", "posting_id", "position"),
        between("position", 0),
    ]


def responsibility_labels(*, categories: Sequence[str]) -> list[Check]:
    """clean.responsibility_labels. ``categories``: valid taxonomy ids, including 'other'."""
    categories = _categories(categories)
    return [
        *(not_null(c) for c in ("posting_id", "batch_id", "position", "category", "rank")),
        in_set("category", categories),
        in_set("rank", LABEL_RANKS),
        between("score", 0, 1),
        unique_together("batch_id", "posting_id", "position", "category"),
        # exactly one rank-1 row per responsibility = at most one ...
        unique_together("batch_id", "posting_id", "position", where=("rank", "==", 1)),
        # ... and at least one.
        derived_null(
            "_dq_missing_primary",
            _responsibility_without_primary,
            reads=(*_RESPONSIBILITY_KEY, "rank"),
            per_posting=True,  # grouped by responsibility, within its posting
            column="rank",
            description="every (batch_id, posting_id, position) has a rank-1 row",
        ),
    ]


def posting_role_types() -> list[Check]:
    """clean.posting_role_types: one row per posting."""
    return [
        *(not_null(c) for c in ("posting_id", "batch_id", "role_type")),
        in_set("role_type", ROLE_TYPES),
        between("score", 0, 1),
        in_set("method", ROLE_TYPE_METHODS),
        unique_together("batch_id", "posting_id"),
        not_null("reason", blocking=False),
    ]


def category_frequency(*, categories: Sequence[str]) -> list[Check]:
    """Mart: share of responsibilities per category, with Wilson bounds and a band."""
    categories = _categories(categories)
    return [
        not_null("category"),
        in_set("category", categories),
        contains_all("category", categories),
        between("share_of_roles", 0, 1),
        between("wilson_low", 0, 1),
        between("wilson_high", 0, 1),
        in_set("band", BANDS),
        a_ge_b("postings_total", "postings_with_category"),
        a_ge_b("share_of_roles", "wilson_low"),
        a_ge_b("wilson_high", "share_of_roles"),
    ]


def role_type_split() -> list[Check]:
    """Mart: postings and share per role type."""
    return [
        not_null("role_type"),
        in_set("role_type", ROLE_TYPES),
        between("share", 0, 1),
        between("postings", 0),
    ]


def _direction_against_interval(df: pd.DataFrame) -> pd.Series:
    """direction where it disagrees with the change interval (rose: low > 0, fell: high < 0)."""
    expected = pd.Series("steady", index=df.index, dtype="object")
    expected[df["change_low"] > 0] = "rose"
    expected[df["change_high"] < 0] = "fell"
    wrong = df["direction"].astype("object") != expected
    return df["direction"].astype("object").where(wrong, None)


def category_changes_between_batches(*, categories: Sequence[str]) -> list[Check]:
    """Mart: change of each category's share since the previous batch, with its interval."""
    categories = _categories(categories)
    return [
        not_null("category"),
        in_set("category", categories),
        in_set("direction", CHANGE_DIRECTIONS),
        between("share_change", -1, 1),
        a_ge_b("share_change", "change_low"),
        a_ge_b("change_high", "share_change"),
        derived_null(
            "_dq_direction_against_interval",
            _direction_against_interval,
            reads=("direction", "change_low", "change_high"),
            column="direction",
            description="direction agrees with the change interval",
        ),
    ]


def _categories(categories: Sequence[str]) -> list[str]:
    if isinstance(categories, str) or not categories:
        raise ValueError("categories must be a non-empty list of category ids (incl. 'other')")
    return [str(c) for c in categories]


SUITES: dict[str, Callable[..., list[Check]]] = {
    "raw_postings": raw_postings,
    "quarantine": quarantine,
    "clean_postings": clean_postings,
    "responsibilities": responsibilities,
    "responsibility_labels": responsibility_labels,
    "posting_role_types": posting_role_types,
    "category_frequency": category_frequency,
    "role_type_split": role_type_split,
    "category_changes_between_batches": category_changes_between_batches,
}
SUITE_NAMES: tuple[str, ...] = tuple(SUITES)


def build_suite(name: str, **params: Any) -> list[Check]:
    """The checks of suite ``name``; ValueError for an unknown name or bad params."""
    try:
        builder = SUITES[name]
    except KeyError:
        raise ValueError(
            f"unknown data-quality suite {name!r}; valid suites: {', '.join(SUITE_NAMES)}"
        ) from None
    try:
        return builder(**params)
    except TypeError as exc:  # missing / unexpected keyword
        raise ValueError(f"suite {name!r}: {exc}") from exc

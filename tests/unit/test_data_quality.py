"""data_quality: every suite passes on a valid frame and fails, with a sample, on a broken one."""

from __future__ import annotations

import datetime as dt
import json
import time

import duckdb
import pandas as pd
import polars as pl
import pytest

from data_quality import SUITE_NAMES, FailedExpectation, SuiteResult, run_suite

CATEGORIES = ["model_integration", "evaluation", "data_pipelines", "other"]
BATCH = "2026-02-04"


# ---------------------------------------------------------------------------------------------
# Valid frames (one per table); tests break them with overrides
# ---------------------------------------------------------------------------------------------


def raw_frame(**overrides) -> pd.DataFrame:
    data = {
        "posting_id": ["4810231", "4810232", "h_9f2c"],
        "source": ["sample", "sample", "builtin"],
        "source_uri": ["a.yaml", "b.yaml", "c.jsonl"],
        "batch_id": [BATCH] * 3,
        "title": ["AI Engineer", "Senior AI Engineer", "ML Engineer"],
        "company": ["Northwind", "Lumen Health", None],
        "location": ["Remote", None, "Berlin"],
        "posted_date": [dt.date(2026, 1, 5), None, dt.date(2025, 12, 1)],
        "description_raw": ["Build LLM features.", "<ul><li>Ship evals</li></ul>", None],
        "description_format": ["text", "html", "none"],
        "raw_hash": ["h1", "h2", "h3"],
        "ingested_at": [dt.datetime(2026, 2, 4, 9, 30)] * 3,
        "extra": ["{}", "{}", '{"team": "ml"}'],
        "precomputed_responsibilities": [None, None, ["Train models", "Own evals"]],
        "precomputed_role_type": [None, None, "ml-first"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def clean_frame(**overrides) -> pd.DataFrame:
    clean = {
        "description_text": ["Build LLM features.", "- Ship evals", None],
        "title_normalized": ["AI Engineer", "AI Engineer", "ML Engineer"],
        "seniority": [None, "senior", None],
        "language": ["en", "en", "unknown"],
        "duplicate_of": [None, None, None],
        "duplicate_of_batch_id": [None, None, None],
        "duplicate_reason": [None, None, None],
        "pii_redactions": [0, 2, 0],
        "is_analysed": [True, True, False],
    }
    clean.update(overrides)
    raw_overrides = {k: v for k, v in clean.items() if k in raw_frame().columns}
    frame = raw_frame(**raw_overrides).drop(columns="description_raw")  # raw.postings only
    for column, values in clean.items():
        frame[column] = values
    return frame


def quarantine_frame(rows: int = 1, **overrides) -> pd.DataFrame:
    data = {
        "stage": ["ingest"] * rows,
        "source": ["sample"] * rows,
        "source_uri": ["bad.jsonl"] * rows,
        "locator": [f"line {i + 1}" for i in range(rows)],
        "reason": ["invalid JSON"] * rows,
        "excerpt": ["{oops"] * rows,
        "batch_id": [BATCH] * rows,
        "quarantined_at": [dt.datetime(2026, 2, 4, 9, 30)] * rows,
    }
    data.update(overrides)
    return pd.DataFrame(data)


def responsibilities_frame(**overrides) -> pd.DataFrame:
    data = {
        "posting_id": ["4810231", "4810231", "4810232"],
        "batch_id": [BATCH] * 3,
        "position": [0, 1, 0],
        "text": ["Build retrieval pipelines", "Run offline evals", "Own the model serving stack"],
        "section": ["Responsibilities", "Responsibilities", None],
        "method": ["rules", "rules", "precomputed"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def labels_frame(**overrides) -> pd.DataFrame:
    data = {
        "posting_id": ["4810231", "4810231", "4810231", "4810232"],
        "batch_id": [BATCH] * 4,
        "position": [0, 0, 1, 0],
        "category": ["model_integration", "evaluation", "evaluation", "other"],
        "subpattern": [None, None, "offline", None],
        "rank": [1, 2, 1, 1],
        "score": [0.9, 0.4, 0.8, 0.0],
        "classifier": ["rules"] * 4,
        "evidence": ["retrieval", "eval", "evals", None],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def role_types_frame(**overrides) -> pd.DataFrame:
    data = {
        "posting_id": ["4810231", "4810232", "h_9f2c"],
        "batch_id": [BATCH] * 3,
        "role_type": ["ai-first", "ai-support", "ml-first"],
        "score": [0.82, 0.55, 1.0],
        "method": ["rules", "rules", "precomputed"],
        "reason": ["mostly LLM integration", "supporting AI work", "precomputed"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def category_frequency_frame(**overrides) -> pd.DataFrame:
    data = {
        "category": CATEGORIES,
        "postings_with_category": [3, 2, 1, 0],
        "postings_total": [4, 4, 4, 4],
        "share_of_roles": [0.75, 0.5, 0.25, 0.0],
        "wilson_low": [0.30, 0.15, 0.05, 0.0],
        "wilson_high": [0.95, 0.85, 0.70, 0.49],
        "band": ["very_common", "common", "uncommon", "rare"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def role_type_split_frame(**overrides) -> pd.DataFrame:
    data = {
        "role_type": ["ai-first", "ai-support", "ml-first", "unknown"],
        "postings": [2, 1, 1, 0],
        "share": [0.5, 0.25, 0.25, 0.0],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def category_changes_frame(**overrides) -> pd.DataFrame:
    data = {
        "category": CATEGORIES,
        "share_change": [0.2, -0.2, 0.05, 0.0],
        "change_low": [0.05, -0.3, -0.05, -0.1],
        "change_high": [0.3, -0.1, 0.15, 0.1],
        "direction": ["rose", "fell", "steady", "steady"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


# suite -> (valid frame builder, params, number of expectations)
VALID = {
    "raw_postings": (raw_frame, {}, 14),
    "quarantine": (quarantine_frame, {}, 2),
    "clean_postings": (clean_frame, {}, 22),
    "responsibilities": (responsibilities_frame, {}, 10),
    "responsibility_labels": (labels_frame, {"categories": CATEGORIES}, 11),
    "posting_role_types": (role_types_frame, {}, 8),
    "category_frequency": (category_frequency_frame, {"categories": CATEGORIES}, 10),
    "role_type_split": (role_type_split_frame, {}, 4),
    "category_changes_between_batches": (category_changes_frame, {"categories": CATEGORIES}, 7),
}


def failure(result: SuiteResult, expectation: str, column: str | None) -> FailedExpectation:
    matches = [f for f in result.failed if f.expectation == expectation and f.column == column]
    assert matches, f"no failed {expectation} on {column!r}; got: {result.summary()}"
    return matches[0]


def assert_only_failure(result: SuiteResult, expectation: str, column: str | None):
    found = failure(result, expectation, column)
    assert len(result.failed) == 1, result.summary()
    return found


# ---------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------


def test_suite_names_cover_every_stage():
    assert set(SUITE_NAMES) == set(VALID)


def test_unknown_suite_raises_value_error_listing_valid_names():
    with pytest.raises(ValueError) as excinfo:
        run_suite("no_such_table", raw_frame())
    for name in SUITE_NAMES:
        assert name in str(excinfo.value)


def test_non_dataframe_input_raises_type_error():
    with pytest.raises(TypeError, match="pandas or polars"):
        run_suite("raw_postings", [{"posting_id": "x"}])


def test_missing_categories_param_raises_value_error():
    with pytest.raises(ValueError, match="categories"):
        run_suite("responsibility_labels", labels_frame())


@pytest.mark.parametrize("suite", list(VALID))
def test_valid_frame_passes(suite):
    build, params, expectations = VALID[suite]
    frame = build()
    result = run_suite(suite, frame, **params)
    assert result.success, result.summary()
    assert result.failed == ()
    assert result.row_count == len(frame)
    assert result.evaluated == expectations
    assert result.summary() == (
        f"{suite}: {result.evaluated}/{result.evaluated} expectations passed ({len(frame)} rows)"
    )
    json.dumps(result.to_metadata())


def test_validation_does_not_fingerprint_the_frame(monkeypatch):
    """GX's batch fingerprint (a hash of the whole frame, twice per validation) is switched
    off through the pinned GX's HASH_THRESHOLD: a GX upgrade that drops the constant, or
    hashes anyway, fails here."""
    run_suite("responsibilities", responsibilities_frame())  # GX loaded and configured
    from great_expectations.execution_engine import pandas_execution_engine

    assert pandas_execution_engine.HASH_THRESHOLD == 0

    def no_hashing(df):
        raise AssertionError("GX hashed the frame")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", no_hashing)
    result = run_suite("responsibilities", responsibilities_frame())
    assert result.success, result.summary()


def test_caller_frame_is_not_modified():
    frame = clean_frame()
    before = list(frame.columns)
    run_suite("clean_postings", frame)
    assert list(frame.columns) == before


# ---------------------------------------------------------------------------------------------
# raw_postings
# ---------------------------------------------------------------------------------------------


def test_raw_null_posting_id_is_blocking_with_summary():
    result = run_suite("raw_postings", raw_frame(posting_id=["4810231", None, None]))
    assert not result.success
    found = failure(result, "expect_column_values_to_not_be_null", "posting_id")
    assert found.blocking
    assert found.unexpected_count == 2
    assert found.unexpected_sample == [None, None]
    assert found.kwargs == {"column": "posting_id"}
    summary = result.summary()
    assert "\n" not in summary
    assert summary.startswith("raw_postings: ")
    assert "blocking failure" in summary
    assert "posting_id not null (2 rows: [None, None]; e.g. batch_id=" in summary
    # with no id, the file it came from identifies the row
    assert found.sample_rows[0]["source_uri"] and found.sample_rows[0]["posting_id"] is None


def test_raw_duplicate_posting_id_within_batch_fails():
    result = run_suite("raw_postings", raw_frame(posting_id=["4810231", "4810231", "h_9f2c"]))
    assert not result.success
    found = assert_only_failure(
        result, "expect_compound_columns_to_be_unique", "batch_id,posting_id"
    )
    assert found.unexpected_count == 2
    assert found.unexpected_sample[0] == {"batch_id": BATCH, "posting_id": "4810231"}
    assert "(batch_id, posting_id) unique" in result.summary()


def test_raw_same_posting_id_in_two_batches_is_fine():
    frame = raw_frame(posting_id=["4810231", "4810231", "h_9f2c"], batch_id=["b1", "b2", "b2"])
    assert run_suite("raw_postings", frame).success


def test_raw_unknown_description_format_fails():
    result = run_suite("raw_postings", raw_frame(description_format=["text", "markdown", "none"]))
    found = assert_only_failure(result, "expect_column_values_to_be_in_set", "description_format")
    assert found.blocking and found.unexpected_sample == ["markdown"]
    assert found.kwargs["value_set"] == ["text", "html", "none"]


def test_raw_missing_description_only_fails_when_format_is_not_none():
    ok = raw_frame(description_raw=["Build.", "<p>x</p>", None])  # format 'none' -> may be null
    assert run_suite("raw_postings", ok).success
    broken = raw_frame(description_raw=[None, "<p>x</p>", None])  # format 'text' -> must exist
    result = run_suite("raw_postings", broken)
    found = assert_only_failure(result, "expect_column_values_to_not_be_null", "description_raw")
    assert found.blocking and found.unexpected_count == 1
    assert found.kwargs["row_condition"] == "description_format != 'none'"


def test_raw_bad_precomputed_role_type_fails():
    result = run_suite("raw_postings", raw_frame(precomputed_role_type=[None, None, "AI-First"]))
    found = assert_only_failure(
        result, "expect_column_values_to_be_in_set", "precomputed_role_type"
    )
    assert found.unexpected_sample == ["AI-First"]


def test_raw_empty_table_fails_row_count():
    result = run_suite("raw_postings", raw_frame().iloc[0:0])
    assert not result.success
    found = assert_only_failure(result, "expect_table_row_count_to_be_between", None)
    assert found.blocking and found.unexpected_sample == [0]
    assert result.row_count == 0


def test_raw_warning_only_failures_leave_success_true():
    frame = raw_frame(
        title=["AI Engineer", None, "ML Engineer"],
        posted_date=[dt.date(2026, 1, 5), dt.date(1999, 12, 31), None],
    )
    result = run_suite("raw_postings", frame)
    assert result.success, result.summary()
    assert len(result.failed) == 2
    assert all(not f.blocking for f in result.failed)
    title = failure(result, "expect_column_values_to_not_be_null", "title")
    assert title.kwargs["mostly"] == 0.99 and title.unexpected_count == 1
    date = failure(result, "expect_column_values_to_be_between", "posted_date")
    assert date.unexpected_sample == ["1999-12-31T00:00:00"]
    assert "warnings: " in result.summary() and "blocking" not in result.summary()
    meta = result.to_metadata()
    assert meta["success"] is True and meta["warnings"] == 2 and meta["blocking_failures"] == 0


def test_posted_dates_are_checked_as_nanosecond_datetimes_whatever_their_unit():
    from data_quality.suites import _posted_date_as_datetime

    # DuckDB gives microseconds: compared as nanoseconds (GX does those at once)
    micro = pd.Series(pd.to_datetime(["2026-01-05", "1999-12-31"])).astype("datetime64[us]")
    assert str(_posted_date_as_datetime(pd.DataFrame({"posted_date": micro})).dtype) == (
        "datetime64[ns]"
    )
    # a date nanoseconds cannot hold is still checked, and reported as it is
    frame = raw_frame(
        title=["AI Engineer"] * 3,
        posted_date=[dt.date(2026, 1, 5), dt.date(1, 1, 1), dt.date(2101, 1, 1)],
    )
    date = failure(
        run_suite("raw_postings", frame), "expect_column_values_to_be_between", "posted_date"
    )
    assert date.unexpected_count == 2
    assert date.unexpected_sample == ["0001-01-01T00:00:00", "2101-01-01T00:00:00"]


def test_raw_missing_column_reports_error_instead_of_crashing():
    result = run_suite("raw_postings", raw_frame().drop(columns=["raw_hash"]))
    assert not result.success
    found = failure(result, "expect_column_values_to_not_be_null", "raw_hash")
    assert found.unexpected_count is None
    assert "raw_hash" in found.error
    assert "raw_hash not null (error: " in result.summary()
    json.dumps(result.to_metadata())


# ---------------------------------------------------------------------------------------------
# quarantine
# ---------------------------------------------------------------------------------------------


def test_quarantine_zero_rows_is_valid():
    result = run_suite("quarantine", quarantine_frame(rows=0))
    assert result.success, result.summary()
    assert result.row_count == 0


def test_quarantine_null_reason_fails():
    result = run_suite("quarantine", quarantine_frame(rows=2, reason=["invalid JSON", None]))
    found = assert_only_failure(result, "expect_column_values_to_not_be_null", "reason")
    assert found.blocking and found.unexpected_count == 1


def test_quarantine_missing_column_fails():
    result = run_suite("quarantine", quarantine_frame().drop(columns=["locator"]))
    assert not result.success
    found = assert_only_failure(result, "expect_table_columns_to_match_set", None)
    assert found.unexpected_sample == ["locator"]


# ---------------------------------------------------------------------------------------------
# clean_postings
# ---------------------------------------------------------------------------------------------


def test_clean_inherits_raw_checks():
    result = run_suite("clean_postings", clean_frame(batch_id=[BATCH, None, BATCH]))
    assert not result.success
    assert failure(result, "expect_column_values_to_not_be_null", "batch_id").blocking


def test_clean_missing_description_text_fails_unless_format_none():
    result = run_suite("clean_postings", clean_frame(description_text=["x", None, None]))
    found = assert_only_failure(result, "expect_column_values_to_not_be_null", "description_text")
    assert found.blocking and found.unexpected_count == 1


def test_clean_negative_pii_redactions_and_null_language_fail():
    result = run_suite(
        "clean_postings", clean_frame(pii_redactions=[0, -1, 0], language=["en", None, "de"])
    )
    assert not result.success
    assert failure(
        result, "expect_column_values_to_be_between", "pii_redactions"
    ).unexpected_sample == [-1]
    assert failure(result, "expect_column_values_to_not_be_null", "language").unexpected_count == 1


def test_clean_is_analysed_must_be_non_null_boolean():
    nulls = run_suite("clean_postings", clean_frame(is_analysed=[True, None, False]))
    assert not nulls.success
    assert (
        failure(nulls, "expect_column_values_to_not_be_null", "is_analysed").unexpected_count == 1
    )

    ints = run_suite("clean_postings", clean_frame(is_analysed=[1, 0, 1]))
    assert not ints.success
    found = assert_only_failure(ints, "expect_column_values_to_be_in_type_list", "is_analysed")
    assert found.unexpected_sample == ["int64"]


def test_clean_self_duplicate_fails_but_cross_batch_repost_is_fine():
    self_dup = clean_frame(
        duplicate_of=[None, "4810232", None],
        duplicate_of_batch_id=[None, BATCH, None],
        duplicate_reason=[None, "exact", None],
    )
    result = run_suite("clean_postings", self_dup)
    assert not result.success
    found = assert_only_failure(result, "expect_column_values_to_be_null", "duplicate_of")
    assert found.unexpected_sample == ["4810232"]
    assert "duplicate_of != posting_id" in result.summary()

    repost = clean_frame(  # same source id, canonical copy in an earlier batch
        duplicate_of=[None, "4810232", "4810231"],
        duplicate_of_batch_id=[None, "2026-01-01", BATCH],
        duplicate_reason=[None, "exact", "near-duplicate (similarity 0.94)"],
        is_analysed=[True, False, False],
    )
    assert run_suite("clean_postings", repost).success


def test_clean_duplicate_of_requires_its_batch_id():
    frame = clean_frame(
        duplicate_of=[None, None, "4810231"],
        duplicate_of_batch_id=[None] * 3,
        duplicate_reason=[None, None, "exact"],
    )
    result = run_suite("clean_postings", frame)
    found = assert_only_failure(result, "expect_column_values_to_be_null", "duplicate_of_batch_id")
    assert found.unexpected_sample == ["4810231"]


def test_clean_title_normalized_missing_is_a_warning():
    result = run_suite("clean_postings", clean_frame(title_normalized=["AI Engineer", None, None]))
    assert result.success
    found = assert_only_failure(result, "expect_column_values_to_not_be_null", "title_normalized")
    assert not found.blocking and found.unexpected_count == 2
    # ... but not when the title itself is missing
    frame = clean_frame(
        title=["AI Engineer", "x", None], title_normalized=["AI Engineer", "x", None]
    )
    result = run_suite("clean_postings", frame)
    assert [f.column for f in result.failed] == ["title"]  # the raw mostly-warning only


def test_clean_from_duckdb_nullable_dtypes():
    """DuckDB's .df() yields nullable dtypes (boolean, Int32) when a column holds NULLs."""
    con = duckdb.connect()
    con.register("clean", clean_frame(is_analysed=[True, True, False]))
    valid = con.sql("select * replace (pii_redactions::INTEGER as pii_redactions) from clean").df()
    assert run_suite("clean_postings", valid).success
    broken = con.sql(
        "select * replace ("
        " case when posting_id = '4810232' then NULL else is_analysed end as is_analysed,"
        " case when posting_id = '4810232' then NULL else pii_redactions end::INTEGER"
        " as pii_redactions) from clean"
    ).df()
    assert str(broken["is_analysed"].dtype) == "boolean"
    result = run_suite("clean_postings", broken)
    found = assert_only_failure(result, "expect_column_values_to_not_be_null", "is_analysed")
    assert found.unexpected_sample == [None]


# ---------------------------------------------------------------------------------------------
# responsibilities
# ---------------------------------------------------------------------------------------------


def test_responsibilities_short_text_is_blocking_long_text_a_warning():
    short = run_suite("responsibilities", responsibilities_frame(text=["ok", "Run evals", "Own"]))
    assert not short.success
    found = assert_only_failure(short, "expect_column_value_lengths_to_be_between", "text")
    assert found.blocking and found.unexpected_sample == ["ok"]

    long_text = "x" * 2001
    long = run_suite("responsibilities", responsibilities_frame(text=[long_text, "Run", "Own"]))
    assert long.success
    found = assert_only_failure(long, "expect_column_value_lengths_to_be_between", "text")
    assert not found.blocking and found.kwargs == {"column": "text", "max_value": 2000}


def test_responsibilities_bad_method_duplicate_position_negative_position():
    frame = responsibilities_frame(method=["rules", "manual", "llm"], position=[0, 0, -1])
    result = run_suite("responsibilities", frame)
    assert not result.success
    assert failure(result, "expect_column_values_to_be_in_set", "method").unexpected_sample == [
        "manual"
    ]
    dup = failure(result, "expect_compound_columns_to_be_unique", "batch_id,posting_id,position")
    assert dup.unexpected_count == 2
    assert failure(result, "expect_column_values_to_be_between", "position").unexpected_sample == [
        -1
    ]


# ---------------------------------------------------------------------------------------------
# responsibility_labels
# ---------------------------------------------------------------------------------------------


def test_labels_unknown_category_fails():
    frame = labels_frame(category=["model_integration", "evaluation", "vibes", "other"])
    result = run_suite("responsibility_labels", frame, categories=CATEGORIES)
    found = assert_only_failure(result, "expect_column_values_to_be_in_set", "category")
    assert found.blocking and found.unexpected_sample == ["vibes"]


def test_labels_two_primary_rows_for_one_responsibility_fail():
    result = run_suite(
        "responsibility_labels", labels_frame(rank=[1, 1, 1, 1]), categories=CATEGORIES
    )
    assert not result.success
    found = assert_only_failure(
        result, "expect_compound_columns_to_be_unique", "batch_id,posting_id,position"
    )
    assert found.kwargs["row_condition"] == "rank == 1"
    assert found.unexpected_count == 2
    assert found.unexpected_sample[0] == {"batch_id": BATCH, "posting_id": "4810231", "position": 0}


def test_labels_responsibility_without_primary_row_fails():
    result = run_suite(
        "responsibility_labels", labels_frame(rank=[2, 3, 1, 1]), categories=CATEGORIES
    )
    assert not result.success
    found = assert_only_failure(result, "expect_column_values_to_be_null", "rank")
    assert found.unexpected_sample == [f"{BATCH}/4810231/0", f"{BATCH}/4810231/0"]


def test_labels_rank_score_and_duplicate_category_fail():
    frame = labels_frame(
        rank=[1, 4, 1, 1],
        score=[0.9, 1.5, 0.8, 0.0],
        category=["evaluation", "evaluation", "evaluation", "other"],
    )
    result = run_suite("responsibility_labels", frame, categories=CATEGORIES)
    assert failure(result, "expect_column_values_to_be_in_set", "rank").unexpected_sample == [4]
    assert failure(result, "expect_column_values_to_be_between", "score").unexpected_sample == [1.5]
    dup = failure(
        result, "expect_compound_columns_to_be_unique", "batch_id,posting_id,position,category"
    )
    assert dup.unexpected_count == 2


# ---------------------------------------------------------------------------------------------
# posting_role_types
# ---------------------------------------------------------------------------------------------


def test_role_types_display_name_and_bad_score_fail():
    frame = role_types_frame(role_type=["AI-First", "ai-support", "ml-first"], score=[0.8, -0.1, 1])
    result = run_suite("posting_role_types", frame)
    assert not result.success
    assert failure(result, "expect_column_values_to_be_in_set", "role_type").unexpected_sample == [
        "AI-First"
    ]
    assert failure(result, "expect_column_values_to_be_between", "score").unexpected_sample == [
        -0.1
    ]


def test_role_types_one_row_per_posting():
    frame = role_types_frame(posting_id=["4810231", "4810231", "h_9f2c"])
    result = run_suite("posting_role_types", frame)
    assert_only_failure(result, "expect_compound_columns_to_be_unique", "batch_id,posting_id")


def test_role_types_missing_reason_is_a_warning():
    result = run_suite("posting_role_types", role_types_frame(reason=[None, "x", "y"]))
    assert result.success
    assert not assert_only_failure(result, "expect_column_values_to_not_be_null", "reason").blocking


# ---------------------------------------------------------------------------------------------
# marts
# ---------------------------------------------------------------------------------------------


def test_category_frequency_missing_category_fails():
    frame = category_frequency_frame().iloc[:3]
    result = run_suite("category_frequency", frame, categories=CATEGORIES)
    assert not result.success
    found = assert_only_failure(result, "expect_column_distinct_values_to_contain_set", "category")
    assert found.unexpected_sample == ["other"]
    assert "every category present" in result.summary()


def test_category_frequency_bounds_and_counts_are_consistent():
    frame = category_frequency_frame(
        postings_with_category=[5, 2, 1, 0],
        wilson_low=[0.30, 0.6, 0.05, 0.0],
        band=["very_common", "common", "sometimes", "rare"],
    )
    result = run_suite("category_frequency", frame, categories=CATEGORIES)
    assert not result.success
    counts = failure(
        result, "expect_column_pair_values_a_to_be_greater_than_b", "postings_with_category"
    )
    assert counts.unexpected_sample == [[4, 5]]  # (postings_total, postings_with_category)
    low = failure(result, "expect_column_pair_values_a_to_be_greater_than_b", "wilson_low")
    assert low.unexpected_sample == [[0.5, 0.6]]
    assert failure(result, "expect_column_values_to_be_in_set", "band").unexpected_sample == [
        "sometimes"
    ]
    assert len(result.failed) == 3


def test_category_frequency_share_above_wilson_high_fails():
    frame = category_frequency_frame(wilson_high=[0.95, 0.85, 0.2, 0.49])
    result = run_suite("category_frequency", frame, categories=CATEGORIES)
    found = assert_only_failure(
        result, "expect_column_pair_values_a_to_be_greater_than_b", "share_of_roles"
    )
    assert found.kwargs == {
        "column_A": "wilson_high",
        "column_B": "share_of_roles",
        "or_equal": True,
    }
    assert "share_of_roles <= wilson_high" in result.summary()


def test_role_type_split_bad_values_fail():
    frame = role_type_split_frame(share=[1.2, 0.25, 0.25, 0.0], postings=[2, -1, 1, 0])
    result = run_suite("role_type_split", frame)
    assert not result.success
    assert failure(result, "expect_column_values_to_be_between", "share").unexpected_sample == [1.2]
    assert failure(result, "expect_column_values_to_be_between", "postings").unexpected_sample == [
        -1
    ]


# ---------------------------------------------------------------------------------------------
# polars, metadata, speed
# ---------------------------------------------------------------------------------------------


def test_polars_input_works():
    frame = pl.from_pandas(responsibilities_frame())
    assert run_suite("responsibilities", frame).success

    broken = pl.from_pandas(
        labels_frame(category=["model_integration", "evaluation", "x", "other"])
    )
    result = run_suite("responsibility_labels", broken, categories=CATEGORIES)
    assert not result.success
    assert failure(result, "expect_column_values_to_be_in_set", "category").unexpected_sample == [
        "x"
    ]
    assert run_suite("raw_postings", pl.from_pandas(raw_frame())).success


def test_to_metadata_is_json_safe_and_complete():
    frame = raw_frame(
        posting_id=["a", None, "c"],
        posted_date=[dt.date(1990, 1, 1), None, None],
        ingested_at=[pd.Timestamp("2026-02-04 09:30"), pd.NaT, pd.NaT],
    )
    result = run_suite("raw_postings", frame)
    meta = json.loads(json.dumps(result.to_metadata()))
    assert meta["suite"] == "raw_postings"
    assert meta["success"] is False
    assert meta["row_count"] == 3
    assert meta["evaluated"] == 14
    assert meta["passed"] == 14 - len(result.failed)
    assert meta["blocking_failures"] == 2 and meta["warnings"] == 1
    assert meta["summary"] == result.summary()
    by_column = {f["column"]: f for f in meta["failed"]}
    assert by_column["ingested_at"]["unexpected_sample"] == [None, None]
    assert by_column["posted_date"]["kwargs"]["min_value"] == "2000-01-01T00:00:00"


def test_validation_of_thousands_of_rows_is_fast():
    n = 5000
    frame = pd.DataFrame(
        {
            "posting_id": [f"p{i // 5}" for i in range(n)],
            "batch_id": [BATCH] * n,
            "position": [i % 5 for i in range(n)],
            "text": [f"Responsibility number {i}" for i in range(n)],
            "section": [None] * n,
            "method": ["rules"] * n,
        }
    )
    run_suite("responsibilities", frame.head(10))  # warm GX up
    started = time.perf_counter()
    result = run_suite("responsibilities", frame)
    elapsed = time.perf_counter() - started
    assert result.success, result.summary()
    assert elapsed < 3.0, f"{elapsed:.2f}s for {n} rows"


def test_category_changes_direction_must_agree_with_its_interval():
    # a change called steady whose interval excludes zero, and one outside its own interval
    frame = category_changes_frame(
        direction=["rose", "fell", "rose", "steady"], share_change=[0.2, -0.2, 0.05, 0.2]
    )
    result = run_suite("category_changes_between_batches", frame, categories=CATEGORIES)
    assert not result.success
    wrong = failure(result, "expect_column_values_to_be_null", "direction")
    assert wrong.unexpected_sample == ["rose"]
    outside = failure(result, "expect_column_pair_values_a_to_be_greater_than_b", "share_change")
    assert outside.unexpected_sample == [[0.1, 0.2]]  # (change_high, share_change)
    assert len(result.failed) == 2


def test_a_failure_names_the_offending_rows_by_their_keys():
    frame = responsibilities_frame(position=[0, -1, 0])
    result = run_suite("responsibilities", frame)
    found = assert_only_failure(result, "expect_column_values_to_be_between", "position")
    assert found.sample_rows == [{"batch_id": BATCH, "posting_id": "4810231", "position": -1}]
    assert f"e.g. batch_id={BATCH}, posting_id=4810231, position=-1" in result.summary()
    assert result.to_metadata()["failed"][0]["sample_rows"] == found.sample_rows


def test_a_duplicate_needs_its_reason_and_only_a_duplicate_has_one():
    frame = clean_frame(
        duplicate_of=["4810231", None, None],
        duplicate_of_batch_id=[BATCH, None, None],
        duplicate_reason=[None, "exact", None],
        posting_id=["4810999", "4810232", "4810233"],
    )
    result = run_suite("clean_postings", frame)
    found = failure(result, "expect_column_values_to_be_null", "duplicate_reason")
    assert found.unexpected_count == 2 and sorted(found.unexpected_sample) == ["4810231", "exact"]

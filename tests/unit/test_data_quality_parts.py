"""Large per-run tables are validated in parts of whole postings: the parts' results added up
equal one validation of every row, and only suites whose checks split by posting may split."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from data_quality import run_suite, run_suite_by_parts
from data_quality.suites import (
    build_suite,
    in_set,
    not_null,
    row_count_at_least,
    splits_by_posting,
    unique_together,
)
from pipeline.assets.checks import fetched_frame, part_count, validate_rows

CATEGORIES = ["evaluation", "agents", "other"]


def labels(postings: int, broken: dict[int, str]) -> pd.DataFrame:
    """Two responsibilities per posting, two labels each; `broken[posting]` names a defect
    of that posting: "category" (unknown id), "primary" (no rank-1 row), "duplicate" (the
    same category twice)."""
    rows = []
    for p in range(postings):
        defect = broken.get(p)
        for position in range(2):
            first, second = "evaluation", "agents"
            if defect == "category" and position == 0:
                second = "vibes"
            if defect == "duplicate" and position == 1:
                second = "evaluation"
            ranks = (2, 3) if defect == "primary" and position == 0 else (1, 2)
            for category, rank in zip((first, second), ranks, strict=True):
                rows.append(
                    {
                        "batch_id": "b1" if p % 2 else "b2",
                        "posting_id": f"p{p:03d}",
                        "position": position,
                        "category": category,
                        "subpattern": None,
                        "rank": rank,
                        "score": 0.7,
                        "classifier": "rules:test",
                        "evidence": "",
                    }
                )
    return pd.DataFrame(rows)


def parts_by_posting(frame: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    part = frame["posting_id"].str[1:].astype(int) % n
    return [frame[part == k].reset_index(drop=True) for k in range(n)]


def comparable(result) -> tuple:
    return (
        result.success,
        result.row_count,
        sorted((f.expectation, f.description, f.unexpected_count) for f in result.failed),
    )


def test_stage_suites_of_the_large_tables_split_by_posting():
    assert splits_by_posting(build_suite("responsibilities"))
    assert splits_by_posting(build_suite("responsibility_labels", categories=CATEGORIES))
    # a row count is a property of the whole frame
    assert not splits_by_posting(build_suite("raw_postings"))


@pytest.mark.parametrize(
    ("check", "splits"),
    [
        (not_null("text"), True),
        (in_set("rank", (1, 2, 3)), True),
        (unique_together("batch_id", "posting_id", "position"), True),
        (unique_together("batch_id", "position"), False),  # may span postings
        (not_null("text", mostly=0.9), False),  # a share of every row
        (row_count_at_least(1), False),
    ],
)
def test_which_checks_split_by_posting(check, splits):
    assert splits_by_posting([check]) is splits


def test_parts_added_up_equal_one_validation_of_every_row():
    frame = labels(40, {3: "category", 4: "primary", 17: "duplicate", 26: "category"})
    whole = run_suite("responsibility_labels", frame, categories=CATEGORIES)
    by_parts = run_suite_by_parts(
        "responsibility_labels", parts_by_posting(frame, 3), categories=CATEGORIES
    )
    assert not whole.success
    assert comparable(by_parts) == comparable(whole)
    unknown = next(f for f in by_parts.failed if f.expectation.endswith("to_be_in_set"))
    assert unknown.unexpected_count == 2 and unknown.unexpected_sample == ["vibes", "vibes"]
    assert {row["posting_id"] for row in unknown.sample_rows} == {"p003", "p026"}


def test_valid_parts_pass_and_count_every_row():
    frame = labels(10, {})
    result = run_suite_by_parts(
        "responsibility_labels", parts_by_posting(frame, 2), categories=CATEGORIES
    )
    assert result.success and not result.failed and result.row_count == len(frame) == 40


def test_parts_validated_in_threads_equal_one_validation_of_every_row():
    """Two threads, a GX context each: the same failures, counts and samples (the first
    parts', in order) as validating every row at once."""
    frame = labels(60, {3: "category", 4: "primary", 17: "duplicate", 26: "category"})
    whole = run_suite("responsibility_labels", frame, categories=CATEGORIES)
    for _ in range(3):
        in_threads = run_suite_by_parts(
            "responsibility_labels",
            iter(parts_by_posting(frame, 7)),
            workers=2,
            categories=CATEGORIES,
        )
        assert comparable(in_threads) == comparable(whole)
        unknown = next(f for f in in_threads.failed if f.expectation.endswith("to_be_in_set"))
        # in the parts' order: posting 3 is in part 3, posting 26 in part 5
        assert [row["posting_id"] for row in unknown.sample_rows] == ["p003", "p026"]


def test_a_part_that_cannot_be_validated_fails_the_threaded_run():
    frame = labels(4, {})
    with pytest.raises(TypeError, match="pandas or polars DataFrame"):
        run_suite_by_parts(
            "responsibility_labels", [frame, "not a frame", frame], workers=2, categories=CATEGORIES
        )


def test_each_thread_validates_through_its_own_gx_context():
    from concurrent.futures import ThreadPoolExecutor

    from data_quality.runner import _get_gx

    here = _get_gx()
    assert _get_gx() is here
    with ThreadPoolExecutor(max_workers=1) as pool:
        there = pool.submit(_get_gx).result()
    assert there is not here and there.context is not here.context


def test_a_validated_frame_is_not_kept_by_the_gx_context():
    """GX caches the last batch's data in the datasource's engine; a validation thread's
    context would hold a part of a large table for the rest of the process."""
    from data_quality.runner import _get_gx

    run_suite("responsibility_labels", labels(4, {}), categories=CATEGORIES)
    manager = _get_gx().datasource.get_execution_engine().batch_manager
    assert manager.batch_data_cache == {} and manager.active_batch is None


@pytest.mark.parametrize(
    ("rows", "parts"),
    [
        (0, 1),
        (499_999, 1),  # too few rows to share
        (500_000, 2),  # one part per core
        (1_000_000, 2),
        (2_000_001, 3),  # no part over CHECK_PART_ROWS
        (21_000_000, 21),
    ],
)
def test_part_count(rows, parts, monkeypatch):
    monkeypatch.setattr("pipeline.assets.checks.workers", lambda: 2)
    assert part_count(rows) == parts


def test_a_suite_with_whole_frame_checks_refuses_to_run_by_parts():
    with pytest.raises(ValueError, match="cannot run by parts"):
        run_suite_by_parts("raw_postings", [pd.DataFrame()])


def test_validate_rows_in_parts_from_duckdb_equals_at_once(tmp_path, monkeypatch):
    seen: list[int] = []

    def counting(suite, parts, **params):
        parts = list(parts)
        seen.extend(len(part) for part in parts)
        return run_suite_by_parts(suite, parts, **params)

    monkeypatch.setattr("pipeline.assets.checks.run_suite_by_parts", counting)
    frame = labels(30, {5: "primary", 12: "duplicate", 21: "category"})
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE labels AS SELECT * FROM frame")
    sql, args = "SELECT * FROM labels WHERE batch_id IN (?, ?)", ["b1", "b2"]
    params = {"categories": CATEGORIES}
    rows = len(frame)
    at_once = validate_rows(con, "responsibility_labels", sql, args, params, rows)
    in_parts = validate_rows(con, "responsibility_labels", sql, args, params, rows, part_rows=40)
    assert not at_once.success
    assert comparable(in_parts) == comparable(at_once)
    # 120 rows in 3 parts of whole postings (4 rows each), every row in one of them
    assert len(seen) == 3 and sum(seen) == rows and all(n % 4 == 0 for n in seen)
    # the staging table is gone
    assert not con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'dq_rows_by_part'"
    ).fetchone()[0]


#: Every kind of column a suite reads, with a missing value in each (and a text column that is
#: missing in every row, which `.df()` makes an object column).
_EVERY_TYPE = """
    SELECT * FROM (VALUES
        (DATE '2026-01-02', TIMESTAMP '2026-01-02 03:04:05', true, 1, 2::BIGINT, 1.5,
         1.25::DECIMAL(10, 2), 'b1', ['x', 'y'], 4::UTINYINT, NULL::VARCHAR, 'keep'),
        (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'keep'),
        (DATE '2026-01-03', NULL, false, 3, NULL, NULL, NULL, 'b2', [], 0, NULL, 'drop')
    ) AS t(posted, seen, flag, n, big, score, amount, batch_id, words, tiny, never, filter)
    WHERE filter = ?
"""


@pytest.mark.parametrize("kept", ["keep", "drop", "none"])
def test_fetched_frame_is_what_df_gives(kept):
    """Checks fetch their rows through Arrow; the frame (dtypes, missing values) is exactly
    DuckDB's `.df()`, with rows, with one row, and with none."""
    con = duckdb.connect()
    expected = con.execute(_EVERY_TYPE, [kept]).df()
    fetched = fetched_frame(con, _EVERY_TYPE, [kept])
    assert list(fetched.columns) == list(expected.columns)
    assert fetched.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(fetched, expected)

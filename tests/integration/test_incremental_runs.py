"""Nightly increments on the real stack: only new or changed files are read, a changed posting
replaces its old version, batches accumulate, and a rebuild from raw is one run.

The runs are the shared two-batch warehouse (`tests.support.build_two_batches`): the samples,
then a batch with new postings, one posting scraped again unchanged and one edited. Rerunning
the same inputs is `test_pipeline.py::test_rerun_is_idempotent`.
"""

import shutil

import duckdb
import pytest

from pipeline.settings import Settings
from tests.support import (
    CHANGED_DUTY,
    FIRST_BATCH,
    SECOND_BATCH,
    WAREHOUSE_NAME,
    TwoBatches,
    built_tables,
    execute,
    run_dbt_side_by_side,
    warehouse_state,
)

pytestmark = pytest.mark.integration


def test_the_second_batch_reads_only_its_new_files_and_loads_new_or_changed_postings(
    two_batches: TwoBatches,
):
    first, later = two_batches.after_first, two_batches.after_later
    files = len(list(two_batches.later.sources[0].path.iterdir()))
    batch, files_read, files_unchanged, read, loaded, replaced, unchanged = later["ingest"]
    assert (batch, files_read, files_unchanged) == (SECOND_BATCH, files, 0)
    assert (read, loaded, replaced, unchanged) == (files, files - 1, 1, 1)
    assert first["ingest"][0] == FIRST_BATCH and first["ingest"][5:] == (0, 0)


def test_a_changed_posting_replaces_its_old_version(two_batches: TwoBatches):
    later, changed = two_batches.after_later, two_batches.changed_id
    assert later["superseded"] == [(FIRST_BATCH, changed, SECOND_BATCH)]
    where = {(b, pid) for b, pid, _ in later["postings"] if pid == changed}
    assert where == {(SECOND_BATCH, changed)}
    with duckdb.connect(str(two_batches.later.published_path), read_only=True) as con:
        ((batch, text),) = con.execute(
            "SELECT batch_id, description_text FROM clean.postings WHERE posting_id = ?",
            [changed],
        ).fetchall()
    assert batch == SECOND_BATCH and CHANGED_DUTY in text
    # the unchanged one stays where it was first loaded, once
    unchanged = [(b, pid) for b, pid, _ in later["postings"] if pid == two_batches.unchanged_id]
    assert unchanged == [(FIRST_BATCH, two_batches.unchanged_id)]


def test_only_new_and_changed_postings_are_processed(two_batches: TwoBatches):
    later, run_id = two_batches.after_later, two_batches.result.run_id
    new_or_changed = two_batches.after_later["ingest"][4]
    assert {(stage, n) for stage, rid, n in later["processed_by"] if rid == run_id} == {
        (stage, new_or_changed) for stage in ("normalise", "extract", "classify", "role_types")
    }
    # the first batch's items are untouched
    first_items = [i for i in two_batches.after_first["items"] if i[1] != two_batches.changed_id]
    assert set(first_items) <= set(later["items"])


def test_stage_checks_validate_what_the_run_wrote(two_batches: TwoBatches):
    checks = {c.check_name: c for c in two_batches.result.get_asset_check_evaluations()}
    loaded = two_batches.after_later["ingest"][4]
    assert checks["clean_postings_suite"].passed
    assert f"({loaded} rows)" in checks["clean_postings_suite"].description
    accounting = checks["records_accounted_for"]
    assert accounting.passed and accounting.metadata["unchanged"].value == 1


def copy_of_later(two_batches: TwoBatches, tmp_path) -> Settings:
    """Settings of the second run on a copy of its data dir, so the shared warehouse stays as
    the other tests expect it."""
    data = tmp_path / "data"
    shutil.copytree(two_batches.later.data_dir, data, symlinks=True)
    return Settings(
        data_dir=data,
        sources=two_batches.later.sources,
        batch_id=SECOND_BATCH,
        reference_report=two_batches.later.reference_report,
    )


def test_rebuild_from_raw_redoes_every_posting_and_gives_the_same_marts(
    two_batches: TwoBatches, tmp_path
):
    copy = copy_of_later(two_batches, tmp_path)
    result = execute(copy, run_config={"ops": {"clean_postings": {"config": {"rebuild": True}}}})
    assert result.success
    rebuilt = warehouse_state(copy.published_path)
    assert rebuilt["ingest"][1:3] == (0, two_batches.after_later["ingest"][1])  # nothing read
    assert {rid for _, rid, _ in rebuilt["processed_by"]} == {result.run_id}
    postings = len(two_batches.after_later["postings"])
    assert {(stage, n) for stage, _, n in rebuilt["processed_by"]} == {
        (stage, postings) for stage in ("normalise", "extract", "classify", "role_types")
    }
    assert rebuilt["marts"] == two_batches.after_later["marts"]
    assert rebuilt["items"] == two_batches.after_later["items"]


def test_incremental_dbt_models_match_a_full_refresh(two_batches: TwoBatches, tmp_path):
    """The second run's dbt models were built incrementally, from the postings the stages
    changed (new, replaced, reflagged as reposts); rebuilding them from scratch
    (`dbt run --full-refresh`) on a copy gives the same intermediate tables and marts."""
    shutil.copy(two_batches.later.published_path, tmp_path / WAREHOUSE_NAME)
    run_dbt_side_by_side({tmp_path: ("--full-refresh",)})
    incremental = built_tables(two_batches.later.published_path)
    from_scratch = built_tables(tmp_path / WAREHOUSE_NAME)
    assert incremental.keys() == from_scratch.keys()
    assert "intermediate.int_responsibilities__labelled" in incremental
    for name, rows in incremental.items():
        assert rows == from_scratch[name], name


def test_the_second_dbt_build_tests_only_the_postings_changed_since_the_first(
    two_batches: TwoBatches,
):
    run_id = two_batches.result.run_id
    with duckdb.connect(str(two_batches.later.published_path), read_only=True) as con:
        tested = set(
            con.execute("SELECT batch_id, posting_id FROM meta.postings_to_test").fetchall()
        )
        builds = con.execute("SELECT run_id FROM meta.dbt_builds ORDER BY finished_at").fetchall()
        every = set(con.execute("SELECT batch_id, posting_id FROM clean.postings").fetchall())
        processed = set(
            con.execute(
                "SELECT batch_id, posting_id FROM meta.stage_state WHERE run_id = ?", [run_id]
            ).fetchall()
        )
    assert [run for (run,) in builds] == [two_batches.first_result.run_id, run_id]
    # what this run's stages wrote is tested; the first batch's untouched postings are not
    assert processed and processed <= tested
    assert len(tested & every) < len(every)

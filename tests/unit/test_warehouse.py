"""The warehouse file operations: atomic publish with real DuckDB files; chunked stages."""

import duckdb
import polars as pl
import pytest

from pipeline import warehouse
from pipeline.warehouse import publish


def make_db(path, value: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT ? AS v", [value])


def read_v(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT v FROM t").fetchone()[0]


def test_publish_replaces_the_snapshot_and_clears_a_killed_publish(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "pub" / "roleprint.duckdb"
    make_db(work, 1)
    publish(work, published)
    assert read_v(published) == 1
    # what a publish killed between copy and rename leaves behind
    stale = published.with_name(f".{published.name}.99999.tmp")
    stale.write_bytes(b"half a copy")
    make_db(work, 2)
    publish(work, published)
    assert read_v(published) == 2
    assert sorted(p.name for p in published.parent.iterdir()) == ["roleprint.duckdb"]


def test_a_reader_keeps_its_snapshot_while_a_new_one_is_published(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "roleprint.duckdb"
    make_db(work, 1)
    publish(work, published)
    with duckdb.connect(str(published), read_only=True) as reader:
        make_db(work, 2)
        publish(work, published)
        # the open connection still reads the file it opened, whole
        assert reader.execute("SELECT v FROM t").fetchone()[0] == 1
    assert read_v(published) == 2


def test_computed_chunks_keep_order_and_read_in_the_callers_thread(monkeypatch):
    """Chunks are computed in worker threads but read, and yielded, in order in the
    caller's thread; no more than `workers` chunks are in flight at once."""
    import threading
    import time

    monkeypatch.setattr(warehouse, "CHUNK_POSTINGS", 3)
    keys = pl.DataFrame({"batch_id": ["b"] * 10, "posting_id": [f"p{i:02d}" for i in range(10)]})
    caller = threading.get_ident()
    readers, computers, in_flight, peak = set(), set(), [0], [0]
    lock = threading.Lock()

    def read(part):
        readers.add(threading.get_ident())
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        return part["posting_id"].to_list()

    def compute(ids):
        computers.add(threading.get_ident())
        time.sleep(0.01 if ids[0] == "p00" else 0)  # the first chunk finishes last
        return [i.upper() for i in ids]

    seen = []
    for number, part, result in warehouse.computed_chunks(keys, read, compute, workers=2):
        assert result == [i.upper() for i in part["posting_id"].to_list()]
        seen.append(number)
        with lock:
            in_flight[0] -= 1
    assert seen == [1, 2, 3, 4]
    assert readers == {caller}
    assert caller not in computers
    assert peak[0] <= 2


def test_computed_chunks_raise_a_workers_error():
    keys = pl.DataFrame({"batch_id": ["b"], "posting_id": ["p1"]})

    def compute(_):
        raise ValueError("bad chunk")

    with pytest.raises(ValueError, match="bad chunk"):
        list(warehouse.computed_chunks(keys, lambda part: part, compute))


# --- the change log dbt's incremental models read ------------------------------------------


def _changes(con) -> dict[tuple[str, str], int]:
    rows = con.execute("SELECT batch_id, posting_id, change_seq FROM meta.posting_changes")
    return {(batch, posting): seq for batch, posting, seq in rows.fetchall()}


def _role_types(*postings: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    keys = pl.DataFrame(
        {"batch_id": "b1", "posting_id": list(postings), "raw_hash": [f"h{p}" for p in postings]}
    )
    output = keys.select(
        "posting_id",
        "batch_id",
        role_type=pl.lit("ai-first"),
        score=pl.lit(0.9),
        method=pl.lit("rules"),
        reason=pl.lit("test"),
    )
    return keys, output


def _raw_posting(con, posting_id: str) -> None:
    con.execute(
        "INSERT INTO raw.postings (posting_id, source, source_uri, batch_id, description_format, "
        "raw_hash, ingested_at) VALUES (?, 's', 'f.jsonl', 'b1', 'text', ?, now())",
        [posting_id, f"h{posting_id}"],
    )


def test_each_write_of_derived_rows_gives_its_postings_the_next_change_number(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        warehouse.ensure_tables(con)
        warehouse.write_stage(con, "role_types", *_role_types("p1", "p2"), "fp", "run-1")
        assert _changes(con) == {("b1", "p1"): 1, ("b1", "p2"): 1}
        warehouse.write_stage(con, "role_types", *_role_types("p2"), "fp", "run-2")
        assert _changes(con) == {("b1", "p1"): 1, ("b1", "p2"): 2}
        # p2's raw version is gone (replaced): removing its rows is a change too
        _raw_posting(con, "p1")
        assert warehouse.drop_orphans(con) == 2  # its role type and its stage state
        assert _changes(con) == {("b1", "p1"): 1, ("b1", "p2"): 3}
        # nothing left to remove: nothing recorded
        assert warehouse.drop_orphans(con) == 0
        assert _changes(con) == {("b1", "p1"): 1, ("b1", "p2"): 3}
        warehouse.reset_derived(con)
        assert _changes(con) == {("b1", "p1"): 4, ("b1", "p2"): 4}


def _clean_posting(con, posting_id: str, text: str, title: str) -> None:
    con.execute(
        "INSERT INTO clean.postings (posting_id, source, source_uri, batch_id, title, "
        "description_format, raw_hash, ingested_at, description_text, language, "
        "pii_redactions, dedup_key, is_analysed) "
        "VALUES (?, 's', 'f.jsonl', 'b1', ?, 'text', 'h', now(), ?, 'en', 0, md5(?), true)",
        [posting_id, title, text, text],
    )
    con.execute(
        "INSERT INTO clean.posting_signatures VALUES (?, 'b1', lower(?), ?)",
        [posting_id, title, [hash((posting_id, i)) % 2**63 for i in range(64)]],
    )


def test_only_postings_whose_duplicate_flags_change_are_recorded(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        warehouse.ensure_tables(con)
        _clean_posting(con, "p1", "Build agents.", "AI Engineer")
        _clean_posting(con, "p2", "Build agents.", "Applied AI Engineer")  # exact duplicate
        _clean_posting(con, "p3", "Ship evals.", "ML Engineer")
        warehouse.assign_duplicates(con, dedup=True)
        assert _changes(con) == {("b1", "p2"): 1}
        flags = con.execute(
            "SELECT posting_id, duplicate_of, is_analysed FROM clean.postings ORDER BY 1"
        ).fetchall()
        assert flags == [("p1", None, True), ("p2", "p1", False), ("p3", None, True)]
        # the same flags again: no write, no change
        warehouse.assign_duplicates(con, dedup=True)
        assert _changes(con) == {("b1", "p2"): 1}
        # dedup off: duplicates are analysed too, so p2's flags change again
        warehouse.assign_duplicates(con, dedup=False)
        assert _changes(con) == {("b1", "p2"): 2}


def _done(con, stage: str) -> list[str]:
    rows = con.execute(
        "SELECT posting_id FROM meta.stage_state WHERE stage = ? ORDER BY 1", [stage]
    )
    return [p for (p,) in rows.fetchall()]


def test_a_stage_writer_commits_every_so_many_postings_and_an_error_loses_only_the_open_ones(
    tmp_path,
):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        warehouse.ensure_tables(con)
        with (
            pytest.raises(RuntimeError, match="chunk 4 failed"),
            warehouse.StageWriter(con, "role_types", "fp", "run-1", postings_per_commit=3) as w,
        ):
            w.write(*_role_types("p1", "p2"))
            w.write(*_role_types("p3"))  # 3 postings: committed
            assert w.committed == 3 and w.uncommitted == 0
            w.write(*_role_types("p4"))
            assert w.uncommitted == 1
            raise RuntimeError("chunk 4 failed")
        # p4's rows and state were rolled back; the next run finds it still pending
        assert _done(con, "role_types") == ["p1", "p2", "p3"]
        typed = con.execute("SELECT posting_id FROM clean.posting_role_types ORDER BY 1")
        assert [p for (p,) in typed.fetchall()] == ["p1", "p2", "p3"]
        # leaving the block without an error commits what is left
        with warehouse.StageWriter(con, "role_types", "fp", "run-2", postings_per_commit=10) as w:
            w.write(*_role_types("p4"))
            w.write(*_role_types("p1"))  # replaces p1's rows, in the same transaction
        assert _done(con, "role_types") == ["p1", "p2", "p3", "p4"]
        count = con.execute("SELECT count(*) FROM clean.posting_role_types").fetchone()[0]
        assert count == 4


def test_a_stage_writer_told_its_total_leaves_no_short_last_transaction(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        warehouse.ensure_tables(con)
        ids = [f"p{i}" for i in range(1, 9)]
        with warehouse.StageWriter(
            con, "role_types", "fp", "run-1", postings_per_commit=3, total=len(ids)
        ) as w:
            w.write(*_role_types(*ids[0:3]))  # 5 left after it: committed
            assert (w.committed, w.uncommitted) == (3, 0)
            w.write(*_role_types(*ids[3:6]))  # would leave 2 for the last: stays open
            assert (w.committed, w.uncommitted) == (3, 3)
            w.write(*_role_types(*ids[6:8]))  # the last chunk: committed with the open ones
            assert (w.committed, w.uncommitted) == (8, 0)
        assert _done(con, "role_types") == sorted(ids)
        # without a total, every transaction closes as soon as it holds enough postings
        with warehouse.StageWriter(con, "role_types", "fp", "run-2", postings_per_commit=3) as w:
            w.write(*_role_types(*ids[0:3]))
            w.write(*_role_types(*ids[3:6]))
            assert (w.committed, w.uncommitted) == (6, 0)


def test_a_warehouse_from_before_the_change_log_counts_its_postings_as_changed_once(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        warehouse.ensure_tables(con)
        warehouse.write_stage(con, "role_types", *_role_types("p1"), "fp", "run-1")
        con.execute("DROP TABLE meta.posting_changes")
        warehouse.ensure_tables(con)
        assert _changes(con) == {("b1", "p1"): 0}


def test_dbt_tests_check_the_postings_changed_since_the_last_successful_build(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        warehouse.ensure_tables(con)
        scoped = lambda: sorted(  # noqa: E731
            p for (p,) in con.execute("SELECT posting_id FROM meta.postings_to_test").fetchall()
        )
        warehouse.write_stage(con, "role_types", *_role_types("p1", "p2"), "fp", "run-1")
        assert warehouse.scope_dbt_tests(con, full_refresh=False) == (2, 1)  # first build
        warehouse.record_dbt_build(con, "run-1", 1, full_refresh=False)
        warehouse.write_stage(con, "role_types", *_role_types("p2"), "fp", "run-2")
        assert warehouse.scope_dbt_tests(con, full_refresh=False) == (1, 2)
        assert scoped() == ["p2"]
        # that build failed (not recorded): the next one still tests p2, and p3
        warehouse.write_stage(con, "role_types", *_role_types("p3"), "fp", "run-3")
        assert warehouse.scope_dbt_tests(con, full_refresh=False) == (2, 3)
        assert scoped() == ["p2", "p3"]
        warehouse.record_dbt_build(con, "run-3", 3, full_refresh=False)
        assert warehouse.scope_dbt_tests(con, full_refresh=False) == (0, 3)
        assert warehouse.scope_dbt_tests(con, full_refresh=True) == (3, 3)


def test_a_warehouse_from_before_a_dropped_column_loses_it_and_keeps_its_rows(tmp_path):
    old_postings = warehouse.DDL["clean.postings"].replace(
        "description_format VARCHAR", "description_raw VARCHAR, description_format VARCHAR"
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("CREATE SCHEMA clean")
        con.execute(f"CREATE TABLE clean.postings ({old_postings})")
        con.execute(
            """INSERT INTO clean.postings (posting_id, source, source_uri, batch_id,
                   description_raw, description_format, raw_hash, ingested_at, language,
                   pii_redactions, is_analysed)
               VALUES ('p1', 's', 'u', 'b1', '<p>Build</p>', 'html', 'h', now(), 'en', 0, true)"""
        )
        warehouse.ensure_tables(con)
        columns = [c for (c, *_) in con.execute("DESCRIBE clean.postings").fetchall()]
        assert columns == warehouse.columns_of("clean.postings")
        assert con.execute("SELECT posting_id FROM clean.postings").fetchall() == [("p1",)]
        warehouse.ensure_tables(con)  # a second run has nothing left to drop


def test_the_contract_check_sees_a_missing_table_a_missing_column_and_a_dropped_one():
    with duckdb.connect(":memory:") as con:
        assert not warehouse._contract_in_place(con)
        warehouse.ensure_tables(con)
        assert warehouse._contract_in_place(con)
        con.execute("ALTER TABLE raw.ingest_accounting DROP COLUMN replaced")
        assert not warehouse._contract_in_place(con)
        warehouse.ensure_tables(con)
        assert warehouse._contract_in_place(con)
        con.execute("ALTER TABLE clean.postings ADD COLUMN description_raw VARCHAR")
        assert not warehouse._contract_in_place(con)
        warehouse.ensure_tables(con)
        assert warehouse._contract_in_place(con)
        con.execute("DROP TABLE meta.dedup_pending")
        assert not warehouse._contract_in_place(con)


def test_a_staging_table_left_by_an_older_ingest_is_dropped():
    with duckdb.connect(":memory:") as con:
        warehouse.ensure_tables(con)
        # what an ingest of an earlier version, killed before it committed, left behind
        con.execute("CREATE TABLE meta.ingest_staging (posting_id VARCHAR)")
        assert not warehouse._contract_in_place(con)
        warehouse.ensure_tables(con)
        assert warehouse._contract_in_place(con)
        assert not con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'ingest_staging'"
        ).fetchone()[0]


def test_read_postings_reads_the_keys_rows_and_only_those_meeting_a_condition(tmp_path):
    """Role types are given the primary labels only (ROLE_TYPE_LABELS): the other postings'
    rows and the lower ranks are not read."""
    from pipeline.classify import ROLE_TYPE_LABEL_COLUMNS, ROLE_TYPE_LABELS

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        warehouse.ensure_tables(con)
        for posting_id, position, category, rank in [
            ("p1", 0, "agents", 1),
            ("p1", 0, "rag_retrieval", 2),
            ("p1", 1, "frontend_ui", 1),
            ("p2", 0, "agents", 1),
        ]:
            con.execute(
                "INSERT INTO clean.responsibility_labels (posting_id, batch_id, position, "
                "category, rank, score, classifier) VALUES (?, 'b1', ?, ?, ?, 0.5, 'rules')",
                [posting_id, position, category, rank],
            )
        keys = pl.DataFrame({"batch_id": ["b1"], "posting_id": ["p1"]})
        every = warehouse.read_postings(con, "clean.responsibility_labels", keys)
        primary = warehouse.read_postings(
            con, "clean.responsibility_labels", keys, ROLE_TYPE_LABEL_COLUMNS, ROLE_TYPE_LABELS
        )
    assert every.height == 3 and set(every["posting_id"]) == {"p1"}
    assert primary.columns == list(ROLE_TYPE_LABEL_COLUMNS)
    assert sorted(primary.select("position", "category").rows()) == [
        (0, "agents"),
        (1, "frontend_ui"),
    ]


def test_a_chunk_replaces_and_reads_its_own_postings_rows_and_no_others_in_its_key_range(
    tmp_path,
):
    """Writes and reads bound a chunk's keys by constants (so DuckDB skips the row groups
    outside them); the postings inside those bounds that are not in the chunk are left as
    they are, whichever batch they are in."""

    def typed(keys: list[tuple[str, str]], role_type: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        frame = pl.DataFrame(keys, schema=["batch_id", "posting_id"], orient="row")
        output = frame.select(
            "posting_id",
            "batch_id",
            role_type=pl.lit(role_type),
            score=pl.lit(0.5),
            method=pl.lit("rules"),
            reason=pl.lit("test"),
        )
        return frame.with_columns(raw_hash=pl.lit("h")), output

    every = [("b1", "p1"), ("b1", "p4"), ("b1", "p5"), ("b2", "p3"), ("b2", "p4"), ("b2", "p9")]
    chunk = [("b1", "p5"), ("b2", "p3")]  # bounds: b1..b2, p3..p5
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        warehouse.ensure_tables(con)
        warehouse.write_stage(con, "role_types", *typed(every, "old"), "fp", "run-1")
        warehouse.write_stage(con, "role_types", *typed(chunk, "new"), "fp", "run-2")
        rows = con.execute(
            "SELECT batch_id, posting_id, role_type FROM clean.posting_role_types ORDER BY 1, 2"
        ).fetchall()
        assert rows == [
            (batch, posting, "new" if (batch, posting) in chunk else "old")
            for batch, posting in every
        ]
        read = warehouse.read_postings(con, "clean.posting_role_types", typed(chunk, "")[0])
    assert sorted(read.select("batch_id", "posting_id").rows()) == chunk
    assert warehouse.key_bounds(typed(chunk, "")[0]) == {
        "first_batch": "b1",
        "last_batch": "b2",
        "first_posting": "p3",
        "last_posting": "p5",
    }

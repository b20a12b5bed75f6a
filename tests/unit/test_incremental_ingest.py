"""Change detection in ingest: the file manifest, known postings, and the transactional write
that lets a file be re-read without duplicating or losing a record (real DuckDB files)."""

import dataclasses
import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.assets.checks import ACCOUNTING_BY_SOURCE, accounting_problems
from pipeline.settings import SourceSpec
from pipeline.sources.ingest import (
    KnownPosting,
    KnownPostings,
    hashed_files,
    ingest_sources,
    plan_files,
)
from pipeline.warehouse import (
    abort_ingest,
    begin_ingest,
    ensure_tables,
    file_manifest,
    finish_ingest,
    ingest_run_row,
    known_postings,
    load_postings,
    write_ingest,
)

NOW = datetime(2026, 5, 1, 6, 0)


def posting(pid: str, text: str) -> str:
    return json.dumps({"id": pid, "title": "AI Engineer", "description": text})


def test_files_are_hashed_in_their_order_and_an_unreadable_one_has_no_hash(tmp_path):
    contents = [f"file {i} ".encode() * (i * 1000 + 1) for i in range(6)]
    paths = []
    for i, content in enumerate(contents):
        (tmp_path / f"{i}.json").write_bytes(content)
        paths.append(tmp_path / f"{i}.json")
    paths.insert(3, tmp_path / "gone.json")
    expected = [(hashlib.sha256(c).hexdigest(), len(c)) for c in contents]
    assert hashed_files(paths) == [*expected[:3], (None, 0), *expected[3:]]


def test_plan_reads_new_and_changed_files_and_skips_unchanged_ones(tmp_path):
    for name in ("a.json", "b.json", "c.json"):
        (tmp_path / name).write_text(posting(name, "Build things"))
    spec = SourceSpec("s", tmp_path)
    to_read, unchanged = plan_files([spec], {})
    assert [f.path.name for f in to_read] == ["a.json", "b.json", "c.json"] and not unchanged
    manifest = {(f.source, str(f.path)): f for f in to_read}
    (tmp_path / "b.json").write_text(posting("b.json", "Build other things"))
    (tmp_path / "d.json").write_text(posting("d.json", "New"))
    to_read, unchanged = plan_files([spec], manifest)
    assert [f.path.name for f in to_read] == ["b.json", "d.json"]
    assert [f.path.name for f in unchanged] == ["a.json", "c.json"]
    # the same file under another source name is another source's file
    to_read, _ = plan_files([SourceSpec("t", tmp_path)], manifest)
    assert len(to_read) == 4


def known_as_columns(known: dict[str, KnownPosting]) -> KnownPostings:
    """The same known postings in the columnar form `known_postings` reads them into."""
    frame = pl.DataFrame([{"posting_id": pid, **dataclasses.asdict(k)} for pid, k in known.items()])
    return KnownPostings.of_frame(frame)


@pytest.mark.parametrize("form", [dict, known_as_columns])
def test_known_postings_are_unchanged_replaced_or_new(tmp_path, form):
    (tmp_path / "x.jsonl").write_text(
        "\n".join(
            [
                posting("same", "Build RAG systems"),
                posting("edited", "Build agents, now with evals"),
                posting("fresh", "Ship features"),
                posting("same", "Build RAG systems"),  # again in this run: a duplicate
            ]
        )
    )
    first = ingest_sources([SourceSpec("s", tmp_path)], "b1", NOW)
    hashes = dict(zip(first.postings["posting_id"], first.postings["raw_hash"], strict=True))
    known = form(
        {
            "same": KnownPosting("s", hashes["same"], "b0"),
            "edited": KnownPosting("s", "an older hash", "b0"),
        }
    )
    assert known["edited"] == KnownPosting("s", "an older hash", "b0") and "fresh" not in known
    result = ingest_sources([SourceSpec("s", tmp_path)], "b1", NOW, known=known, run_id="r1")
    assert result.totals() == {
        "records_read": 4,
        "loaded": 2,
        "quarantined": 0,
        "duplicates": 1,
        "unchanged": 1,
        "replaced": 1,
    }
    assert sorted(result.postings["posting_id"]) == ["edited", "fresh"]
    assert result.superseded.to_dicts() == [{"batch_id": "b0", "posting_id": "edited"}]
    assert set(result.postings["ingest_run_id"]) == {"r1"}
    assert set(result.postings["source_file"]) == {str(tmp_path / "x.jsonl")}


def test_a_vanished_file_stays_out_of_the_manifest(tmp_path):
    (tmp_path / "gone.json").write_text(posting("g", "text"))
    files, _ = plan_files([SourceSpec("s", tmp_path)], {})
    (tmp_path / "gone.json").unlink()
    result = ingest_sources([SourceSpec("s", tmp_path)], "b1", NOW, files=files)
    assert result.totals()["quarantined"] == 1
    assert result.manifest.height == 0  # read again once it is back


def ingest_into(db: Path, folder: Path, batch: str, run_id: str) -> dict:
    """One ingest as the asset does it: plan, known postings, read, write."""
    spec = SourceSpec("s", folder)
    with duckdb.connect(str(db)) as con:
        ensure_tables(con)
        to_read, unchanged = plan_files([spec], file_manifest(con))
        known = known_postings(con, batch, [(f.source, str(f.path)) for f in to_read])
        result = ingest_sources([spec], batch, NOW, files=to_read, known=known, run_id=run_id)
        totals = result.totals()
        run = ingest_run_row(run_id, batch, "[]", NOW, result, len(to_read), len(unchanged))
        write_ingest(con, result, run, NOW)
        rows = con.execute(ACCOUNTING_BY_SOURCE).fetchall()
        assert accounting_problems(rows) == []
        postings = con.execute(
            "SELECT batch_id, posting_id FROM raw.postings ORDER BY ALL"
        ).fetchall()
        superseded = con.execute(
            "SELECT batch_id, posting_id FROM raw.superseded_postings ORDER BY ALL"
        ).fetchall()
    return {"totals": totals, "postings": postings, "superseded": superseded}


def test_rereading_files_never_duplicates_or_loses_a_record(tmp_path):
    db, week1, week2 = tmp_path / "w.duckdb", tmp_path / "week1", tmp_path / "week2"
    week1.mkdir()
    week2.mkdir()
    (week1 / "a.jsonl").write_text(posting("p1", "One") + "\n" + posting("p2", "Two"))
    first = ingest_into(db, week1, "b1", "r1")
    assert first["postings"] == [("b1", "p1"), ("b1", "p2")]

    # the same folder again: nothing read
    again = ingest_into(db, week1, "b1", "r2")
    assert again["totals"]["records_read"] == 0 and again["postings"] == first["postings"]

    # the file edited within its batch: p2 changed, p3 added, p1 dropped from the file.
    # The file's contribution to the batch is replaced: no superseded copy, no stale row.
    (week1 / "a.jsonl").write_text(posting("p2", "Two, edited") + "\n" + posting("p3", "Three"))
    edited = ingest_into(db, week1, "b1", "r3")
    assert edited["postings"] == [("b1", "p2"), ("b1", "p3")] and edited["superseded"] == []

    # next week: p3 again as is, p2 edited again, p4 new
    (week2 / "b.jsonl").write_text(
        "\n".join(
            [posting("p3", "Three"), posting("p2", "Two, edited twice"), posting("p4", "Four")]
        )
    )
    later = ingest_into(db, week2, "b2", "r4")
    assert later["totals"] == {
        "records_read": 3,
        "loaded": 2,
        "quarantined": 0,
        "duplicates": 0,
        "unchanged": 1,
        "replaced": 1,
    }
    assert later["postings"] == [("b1", "p3"), ("b2", "p2"), ("b2", "p4")]
    assert later["superseded"] == [("b1", "p2")]


def test_a_new_field_mapping_rereads_the_files_and_reloads_their_postings(tmp_path):
    (tmp_path / "a.json").write_text(
        json.dumps({"id": "1", "Headline": "AI Engineer", "description": "x"})
    )
    spec = SourceSpec("board", tmp_path)
    plain, _ = plan_files([spec], {})
    mapped = {"board": {"title": ("Headline",)}}
    manifest = {(f.source, str(f.path)): f for f in plain}
    to_read, unchanged = plan_files([spec], manifest, mapped)
    assert len(to_read) == 1 and not unchanged
    before = ingest_sources([spec], "b1", NOW).postings.row(0, named=True)
    known = {before["posting_id"]: KnownPosting("board", before["raw_hash"], "b1")}
    after = ingest_sources([spec], "b2", NOW, field_maps=mapped, known=known)
    assert after.totals()["replaced"] == 1
    assert after.postings["title"].to_list() == ["AI Engineer"]


def test_an_unchanged_file_is_not_read_again_but_a_touched_or_racy_one_is(tmp_path, monkeypatch):
    import os

    import pipeline.sources.ingest as ingest

    path = tmp_path / "a.json"
    path.write_text(posting("a", "Build things"))
    spec = SourceSpec("s", tmp_path)
    (first,), _ = plan_files([spec], {})
    hashed = []
    monkeypatch.setattr(ingest, "hash_file", lambda p: hashed.append(p) or ("x" * 64, 1))
    # recorded long after the file was last modified: trusted by size and mtime, not read
    read_long_after = dataclasses.replace(first, read_at_ns=first.modified_ns + 10**10)
    _, unchanged = plan_files([spec], {("s", str(path)): read_long_after})
    assert [f.path for f in unchanged] == [path] and hashed == []
    assert unchanged[0].file_digest == first.file_digest
    # modified just before it was read: the same timestamp could hide a change, so it is read
    racy = dataclasses.replace(first, read_at_ns=first.modified_ns + 10**6)
    plan_files([spec], {("s", str(path)): racy})
    assert hashed == [path]
    # touched since (another modification time): read again
    os.utime(path, ns=(first.modified_ns + 10**9, first.modified_ns + 10**9))
    plan_files([spec], {("s", str(path)): read_long_after})
    assert hashed == [path, path]


def ingest_in_chunks(db: Path, folder: Path, batch: str, run_id: str, handed: list) -> dict:
    """One ingest as the asset does it: postings loaded chunk by chunk as they are read
    (begin_ingest, load_postings, finish_ingest), one transaction."""
    spec = SourceSpec("s", folder)
    with duckdb.connect(str(db)) as con:
        ensure_tables(con)
        to_read, unchanged = plan_files([spec], file_manifest(con))
        rereading = [(f.source, str(f.path)) for f in to_read]
        known = known_postings(con, batch, rereading)
        begin_ingest(con, batch, rereading)

        def sink(rows: pl.DataFrame, replaced: pl.DataFrame) -> None:
            handed.append((sorted(rows["posting_id"]), sorted(replaced["posting_id"])))
            load_postings(con, rows, replaced, batch, run_id, NOW)

        result = ingest_sources(
            [spec], batch, NOW, files=to_read, known=known, run_id=run_id, sink=sink
        )
        run = ingest_run_row(run_id, batch, "[]", NOW, result, len(to_read), len(unchanged))
        finish_ingest(con, result, run, NOW)
        return {
            "postings": con.execute(
                "SELECT batch_id, posting_id, source_file FROM raw.postings ORDER BY ALL"
            ).fetchall(),
            "superseded": con.execute(
                """SELECT batch_id, posting_id, superseded_by_batch_id, superseded_by_run_id
                   FROM raw.superseded_postings ORDER BY ALL"""
            ).fetchall(),
        }


def test_chunks_go_in_with_the_versions_they_replace_even_in_the_same_batch(tmp_path, monkeypatch):
    monkeypatch.setattr("pipeline.sources.ingest.SINK_ROWS", 1)
    db, folder = tmp_path / "w.duckdb", tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(posting("p1", "One") + "\n" + posting("p2", "Two"))
    handed: list = []
    ingest_in_chunks(db, folder, "b1", "r1", handed)
    assert handed == [(["p1"], []), (["p2"], []), ([], [])]
    # a new file of the same batch edits p2: the new version keeps the key (b1, p2), so the
    # old one must leave raw.postings before the chunk holding the new one goes in
    (folder / "c.jsonl").write_text(posting("p5", "Five") + "\n" + posting("p2", "Two, edited"))
    handed.clear()
    after = ingest_in_chunks(db, folder, "b1", "r2", handed)
    assert handed == [(["p5"], []), (["p2"], ["p2"]), ([], [])]
    assert after["postings"] == [
        ("b1", "p1", str(folder / "a.jsonl")),
        ("b1", "p2", str(folder / "c.jsonl")),
        ("b1", "p5", str(folder / "c.jsonl")),
    ]
    assert after["superseded"] == [("b1", "p2", "b1", "r2")]


def test_a_failed_ingest_leaves_the_warehouse_as_it_was(tmp_path):
    db, folder = tmp_path / "w.duckdb", tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(posting("p1", "One"))
    before = ingest_in_chunks(db, folder, "b1", "r1", [])
    (folder / "a.jsonl").write_text(posting("p1", "One, edited") + "\n" + posting("p2", "Two"))
    with duckdb.connect(str(db)) as con:
        to_read, _ = plan_files([SourceSpec("s", folder)], file_manifest(con))
        rereading = [(f.source, str(f.path)) for f in to_read]
        begin_ingest(con, "b1", rereading)  # deletes the file's earlier rows
        result = ingest_sources([SourceSpec("s", folder)], "b1", NOW, files=to_read)
        load_postings(con, result.postings, result.superseded, "b1", "r2", NOW)
        abort_ingest(con)
        rows = con.execute(
            "SELECT batch_id, posting_id, source_file FROM raw.postings ORDER BY ALL"
        ).fetchall()
    assert rows == before["postings"]

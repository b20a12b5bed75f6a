"""Reading files in worker processes: the same rows, reasons and counts, in the same order, as
reading them one after the other; and the exact-output shortcuts the readers take."""

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.settings import SourceSpec
from pipeline.sources import reading
from pipeline.sources.ingest import (
    POSTINGS_SCHEMA,
    KnownPosting,
    ingest_sources,
    plan_files,
    postings_frame,
)
from pipeline.sources.mapping import canonical_json
from pipeline.sources.reading import batches, dict_excerpt
from tests.unit.test_bad_inputs import write_corpus

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def ingest_both_ways(root: Path, **kwargs) -> tuple:
    a, b = write_corpus(root)
    sources = [SourceSpec("a", a), SourceSpec("b", b)]
    files, _ = plan_files(sources, {})
    (a / "vanished.yaml").unlink()  # listed and hashed, gone before it is read
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reading, "BATCH_FILES", 3)  # several batches, so both workers get some
        assert sum(remote for *_, remote in batches([f.size_bytes for f in files])) > 2
        return tuple(
            ingest_sources(sources, "2026-06-01", NOW, files=files, workers=workers, **kwargs)
            for workers in (1, 2)
        )


def assert_same(serial, parallel) -> None:
    for name in ("postings", "quarantine", "accounting", "superseded", "manifest"):
        left, right = getattr(serial, name), getattr(parallel, name)
        assert left.equals(right), name  # the same rows in the same order


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    # an earlier run's postings: one seen again unchanged, one replaced by a new version
    root = tmp_path_factory.mktemp("parallel")
    known = {
        "12": KnownPosting("a", "not the hash", "2026-05-01"),
        "15": KnownPosting("a", "also not", "2026-05-01"),
    }
    return ingest_both_ways(root, known=known)


def test_parallel_reading_gives_the_serial_rows_in_the_serial_order(both):
    serial, parallel = both
    assert serial.postings.height > 10 and serial.quarantine.height > 5
    assert_same(serial, parallel)


def test_a_bad_file_in_a_parallel_batch_is_quarantined_with_its_reason(both):
    _, parallel = both
    reasons = dict(
        parallel.quarantine.select(
            pl.col("source_uri").str.split("/").list.last(), "reason"
        ).iter_rows()
    )
    assert reasons["malformed.json"].startswith("malformed JSON")
    assert reasons["binary.yaml"].startswith("binary content")
    assert reasons["vanished.yaml"].startswith("file vanished")
    assert reasons["dup_b.yaml"].startswith("duplicate id '11'")
    # the vanished file is read again next time: it stays out of the manifest
    assert not parallel.manifest["source_file"].str.ends_with("vanished.yaml").any()


def test_parallel_reading_with_a_sink_hands_over_the_same_rows(tmp_path, monkeypatch):
    monkeypatch.setattr("pipeline.sources.ingest.SINK_ROWS", 3)
    monkeypatch.setattr(reading, "BATCH_FILES", 3)
    frames: dict[str, list[pl.DataFrame]] = {"serial": [], "parallel": []}
    a, b = write_corpus(tmp_path)
    sources = [SourceSpec("a", a), SourceSpec("b", b)]
    for label, workers in (("serial", 1), ("parallel", 2)):
        result = ingest_sources(
            sources,
            "2026-06-01",
            NOW,
            sink=lambda rows, _replaced, into=frames[label]: into.append(rows),
            workers=workers,
        )
        assert result.postings.height == 0
    assert pl.concat(frames["serial"]).equals(pl.concat(frames["parallel"]))
    assert [f.height for f in frames["serial"]] == [f.height for f in frames["parallel"]]


def test_batches_keep_the_files_order_and_read_a_huge_file_here():
    big = reading.PARALLEL_MAX_FILE_BYTES + 1
    step = reading.BATCH_BYTES // 2
    runs = batches([step, step, step, big, 10, 10])
    assert runs == [(0, 2, True), (2, 3, True), (3, 4, False), (4, 6, True)]
    assert batches([1] * (reading.BATCH_FILES + 1)) == [
        (0, reading.BATCH_FILES, True),
        (reading.BATCH_FILES, reading.BATCH_FILES + 1, True),
    ]
    assert batches([]) == []


@pytest.mark.parametrize(
    "text",
    [
        "plain " * 60,
        "we're hiring " * 30,  # a ' and no ": repr quotes with "
        'we\'re a "team" ' * 30,  # both: repr quotes with ' and escapes the '
        "short 'head' then " + '"' + "x" * 300,  # the head alone would pick another quote
        "tabs\tnew\nlines\\ and é ü \x00 \x7f \u200b " * 20,
        "'" + "a" * 300 + "'",
    ],
)
def test_an_excerpt_is_the_records_repr_cut_at_200(text):
    record = {"id": 7, "title": "AI 'Engineer'", "tags": ["a", None], "description": text}
    assert dict_excerpt(record) == str(record)[:200]
    assert dict_excerpt({"description": text, "id": 1}) == str({"description": text, "id": 1})[:200]
    assert dict_excerpt({"id": 1}) == str({"id": 1})
    assert dict_excerpt(None) == "None"


@pytest.mark.parametrize(
    "value",
    [
        {"b": "x" * 100, "a": None, "c": 1, "d": 1.5, "e": True, "f": [1, "y"], "g": {"z": 1}},
        {"quotes": '"\\' * 40, "controls": "".join(chr(c) for c in range(32)) * 3},
        {"unicode": "é ü 🙂 \u2028 \ufeff" * 20, "surrogate": "\ud800" * 70},
        {"date": date(2026, 1, 2), "when": datetime(2026, 1, 2, 3, 4), "nan": math.nan},
        {2: "int keys", 1: "are left to the json module"},
        ["not", "a", "dict"],
        "a string",
        {},
    ],
)
def test_canonical_json_is_json_dumps_byte_for_byte(value):
    expected = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    assert canonical_json(value) == expected


def test_postings_frame_is_the_frame_of_the_row_dicts():
    row = {name: None for name in POSTINGS_SCHEMA} | {
        "posting_id": "p1",
        "posted_date": date(2026, 1, 1),
        "precomputed_responsibilities": ["a"],
        "ingested_at": datetime(2026, 1, 1),
    }
    rows = [row, {"posting_id": "p2"}, row | {"title": "T", "precomputed_responsibilities": None}]
    assert postings_frame(rows).equals(pl.DataFrame(rows, schema=POSTINGS_SCHEMA))
    assert postings_frame([]).equals(pl.DataFrame([], schema=POSTINGS_SCHEMA))

"""Readers and field mapping: every record becomes a posting or a quarantine reason."""

import json
from datetime import date, datetime

import polars as pl
import pytest

from pipeline.settings import SAMPLE_POSTINGS_DIR, Settings, SourceSpec, default_batch_id
from pipeline.sources.files import discover_files, read_records
from pipeline.sources.ingest import ingest_sources
from pipeline.sources.mapping import RecordError, load_field_map, map_record, parse_date

NOW = datetime(2026, 3, 1, 12, 0)


def test_yaml_record_maps_known_fields_and_keeps_the_rest(tmp_path):
    f = tmp_path / "1_a.yaml"
    f.write_text(
        "job_id: 17\ntitle: AI Engineer\ncompany: Acme\nposted_date: 2026-02-01\nlevel: Senior\ndescription: |\n  Build things.\n"
    )
    (rec,) = list(read_records(f))
    row = map_record(rec.data)
    assert row["posting_id"] == "17"
    assert row["posted_date"] == date(2026, 2, 1)
    assert row["description_format"] == "text"
    assert json.loads(row["extra"]) == {"level": "Senior"}


def test_malformed_yaml_is_a_failure_record_with_reason(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text('title: "unclosed\n  description: x\n')
    (rec,) = list(read_records(f))
    assert not rec.ok
    assert rec.error.startswith("malformed YAML")


def test_jsonl_bad_line_is_located(tmp_path):
    f = tmp_path / "x.jsonl"
    f.write_text(
        '{"id": 1, "title": "A", "description": "d one"}\n{"id": 2, "title": \n{"id": 3, "title": "C", "description": "d three"}\n'
    )
    recs = list(read_records(f))
    assert [r.ok for r in recs] == [True, False, True]
    assert recs[1].locator == "line 2"


def test_json_array_and_wrapped_jobs(tmp_path):
    (tmp_path / "a.json").write_text(
        json.dumps([{"id": "a", "title": "T", "body": "x"}, "not an object"])
    )
    (tmp_path / "b.json").write_text(
        json.dumps({"jobs": [{"id": "b", "title": "T", "content": "<p>x</p>"}]})
    )
    a = list(read_records(tmp_path / "a.json"))
    b = list(read_records(tmp_path / "b.json"))
    assert [r.ok for r in a] == [True, False] and "not a posting object" in a[1].error
    assert map_record(b[0].data)["description_format"] == "html"


def test_csv_row_with_wrong_field_count(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text('id,title,description\n1,A,"multi\nline, with comma"\n2,B\n')
    recs = list(read_records(f))
    assert recs[0].ok and recs[0].data["description"] == "multi\nline, with comma"
    assert not recs[1].ok and "fields" in recs[1].error


def test_parquet_and_unsupported_file(tmp_path):
    pl.DataFrame({"id": ["p1"], "title": ["T"], "description": ["text"]}).write_parquet(
        tmp_path / "x.parquet"
    )
    (tmp_path / "notes.docx").write_bytes(b"\x00\x01")
    (tmp_path / "README.md").write_text("docs are not postings")
    files = discover_files(tmp_path)
    assert [f.name for f in files] == ["notes.docx", "x.parquet"]
    assert list(read_records(files[0]))[0].error.startswith("unsupported file type")
    assert list(read_records(files[1]))[0].data["id"] == "p1"


def test_non_utf8_file_is_quarantined(tmp_path):
    f = tmp_path / "x.json"
    f.write_bytes('{"title": "caf\xe9"}'.encode("latin-1"))
    (rec,) = list(read_records(f))
    assert "not UTF-8" in rec.error


def test_record_without_description_is_rejected():
    with pytest.raises(RecordError, match="no description"):
        map_record({"id": "1", "title": "AI Engineer"})
    with pytest.raises(RecordError, match="type"):
        map_record({"id": "1", "title": ["a", "list"], "description": "x"})


def test_enriched_record_carries_responsibilities_and_role_type():
    row = map_record(
        {
            "company": {"name": "Acme"},
            "position": {
                "title": "AI Engineer",
                "responsibilities": ["Build RAG", "Ship it"],
                "ai_type": {"type": "AI-First"},
            },
            "meta": {"job_id": "42"},
        }
    )
    assert row["posting_id"] == "42" and row["company"] == "Acme" and row["title"] == "AI Engineer"
    assert row["precomputed_responsibilities"] == ["Build RAG", "Ship it"]
    assert row["precomputed_role_type"] == "ai-first"
    assert row["description_format"] == "none"


def test_posting_id_falls_back_to_content_hash():
    a = map_record({"title": "T", "description": "same"})
    b = map_record({"title": "T", "description": "same"})
    assert a["posting_id"] == b["posting_id"] and a["posting_id"].startswith("h_")


def test_an_id_less_posting_listed_twice_is_a_duplicate_not_an_id_conflict(tmp_path):
    # CSV exports number their rows: the same posting twice differs only in the row number
    (tmp_path / "jobs.csv").write_text(
        ",title,description,salary\n"
        '1,AI Engineer,"Build RAG systems",100k\n'
        '2,AI Engineer,"Build RAG systems",110k\n'
        '3,AI Engineer,"Evaluate agents",100k\n'
    )
    result = ingest_sources([SourceSpec("board", tmp_path)], "b1", NOW)
    totals = result.totals()
    assert (totals["loaded"], totals["duplicates"], totals["quarantined"]) == (2, 1, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-11T09:30:00Z", date(2026, 2, 11)),
        ("2026/02/11", date(2026, 2, 11)),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_batch_id_from_path_date():
    assert default_batch_id([SourceSpec.parse("/x/2026-02-04/postings")]) == "2026-02-04"
    assert default_batch_id([SourceSpec.parse("/x/postings")], now=NOW) == "2026-03-01"


def test_bundled_samples_account_for_every_record():
    result = ingest_sources([SourceSpec("sample", SAMPLE_POSTINGS_DIR)], "b1", NOW)
    totals = result.totals()
    assert totals["records_read"] == totals["loaded"] + totals["quarantined"] + totals["duplicates"]
    assert totals["loaded"] >= 40
    assert totals["quarantined"] >= 2  # the malformed YAML file and the truncated JSONL line
    reasons = " ".join(result.quarantine["reason"].to_list())
    assert "malformed YAML" in reasons and "malformed JSON line" in reasons
    assert result.postings["posting_id"].is_unique().all()


def test_duplicate_ids_within_a_batch_are_counted(tmp_path):
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps({"id": "same", "title": "T", "description": "x"}))
    result = ingest_sources([SourceSpec("s", tmp_path)], "b1", NOW)
    assert result.totals() == {
        "records_read": 2,
        "loaded": 1,
        "quarantined": 0,
        "duplicates": 1,
        "unchanged": 0,
        "replaced": 0,
    }


def test_missing_source_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ingest_sources([SourceSpec("s", tmp_path / "nope")], "b1", NOW)


def test_a_source_can_bring_its_own_field_mapping(tmp_path):
    src = tmp_path / "board"
    src.mkdir()
    (src / "export.csv").write_text("Req,Headline,Org,Text\nR-1,AI Engineer,Acme,Build agents\n")
    mapping = tmp_path / "board.yaml"
    mapping.write_text("posting_id: Req\ntitle: Headline\ncompany: [Org]\ndescription: Text\n")
    settings = Settings.from_env({"ROLEPRINT_FIELD_MAPS": f"board={mapping}"})
    result = ingest_sources(
        [SourceSpec("board", src)], "b1", NOW, field_maps=settings.load_field_maps()
    )
    row = result.postings.row(0, named=True)
    assert (row["posting_id"], row["title"], row["company"], row["description_raw"]) == (
        "R-1",
        "AI Engineer",
        "Acme",
        "Build agents",
    )
    assert row["extra"] is None
    # without it the same file has no description the defaults recognise
    assert ingest_sources([SourceSpec("board", src)], "b1", NOW).totals()["quarantined"] == 1


def test_field_mapping_names_unknown_fields(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("headline: Title\n")
    with pytest.raises(ValueError, match="unknown fields \\['headline'\\]"):
        load_field_map(mapping)


def test_place_id_rules():
    from pipeline.sources.ingest import place_id

    seen = {"7": ("a", "h1", "a.yaml"), "b:7": ("c", "h3", "c.yaml")}
    assert place_id(seen, "a", "8", "h9") == ("new", "8")
    assert place_id(seen, "a", "7", "h1") == ("duplicate", "7")  # the same record again
    assert place_id(seen, "a", "7", "h2") == ("conflict", "7")  # same id, other content
    assert place_id({"7": seen["7"]}, "b", "7", "h2") == ("new", "b:7")  # another source
    # `b:7` is taken by a source literally named with that id: fall back to the hash
    assert place_id(seen, "b", "7", "h2abcdef0123456") == ("new", "b:7:h2abcdef0123")

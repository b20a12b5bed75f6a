"""Source types and sources.yaml: each shape is a named type with its mapping in config.

Records are written here in each shape (fictional content)."""

import json
from datetime import date, datetime

import pytest
import yaml

from pipeline.settings import Settings
from pipeline.sources.catalog import SourcesError, load_sources, sample_source, source_types
from pipeline.sources.mapping import map_record, parse_date, unescape_escaped_html

NOW = datetime(2026, 5, 1, 6, 0)
SHAPES = {
    "remoteok_api": {
        "id": "901",
        "position": "AI Engineer",
        "company": "Quill",
        "location": "Worldwide",
        "date": "2026-03-16T00:00:03+00:00",
        "description": "<p>Build agents</p>",
    },
    "greenhouse_board": {
        "id": 77,
        "title": "ML Engineer",
        "company_name": "Lotmart",
        "location": {"name": "Lisbon, Portugal"},
        "first_published": "2025-06-05T05:06:01-04:00",
        "content": "&lt;p&gt;Ship ranking models&lt;/p&gt;",
    },
    "glassdoor_csv": {
        "Job Title": "Data Scientist",
        "Company Name": "Tarn Analytics",
        "Location": "Austin, TX",
        "Job Description": "Model churn",
    },
    "linkedin_jsonl": {
        "id": "5",
        "linkedin_job_id": "1983",
        "title": "ML Engineer",
        "company_name": "Snapfin",
        "location": "Seattle, WA",
        "created": "2020-08-22 05:23:39",
        "description": "Train models",
    },
    "hn_whoishiring": {
        "id": 468,
        "time": 1770053906,
        "text": "Acme | Remote | AI Engineer<p>Join us",
    },
    "lever_postings": {
        "id": "lv-1",
        "text": "ML Engineer",
        "categories": {"location": "Remote"},
        "createdAt": 1772000000000,
        "description": "<p>Train models</p>",
    },
    "ashby_job_board": {
        "id": "as-1",
        "title": "AI Engineer",
        "location": "Berlin",
        "publishedAt": "2026-02-20T08:00:00.000+00:00",
        "descriptionHtml": "<p>Ship agents</p>",
    },
}
EXPECTED = {
    "remoteok_api": ("901", "AI Engineer", "Quill", "Worldwide", date(2026, 3, 16)),
    "greenhouse_board": ("77", "ML Engineer", "Lotmart", "Lisbon, Portugal", date(2025, 6, 5)),
    "glassdoor_csv": (None, "Data Scientist", "Tarn Analytics", "Austin, TX", None),
    "linkedin_jsonl": ("1983", "ML Engineer", "Snapfin", "Seattle, WA", date(2020, 8, 22)),
    "hn_whoishiring": ("468", None, None, None, date(2026, 2, 2)),
    "lever_postings": ("lv-1", "ML Engineer", None, "Remote", date(2026, 2, 25)),
    "ashby_job_board": ("as-1", "AI Engineer", None, "Berlin", date(2026, 2, 20)),
}


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_each_type_maps_its_shape(kind, tmp_path):
    path = tmp_path / "sources.yaml"
    (tmp_path / "data").mkdir()
    path.write_text(yaml.safe_dump({"sources": [{"name": "s", "type": kind, "path": "data"}]}))
    (source,) = load_sources(path)
    row = map_record(SHAPES[kind], source.field_map)
    got = (row["title"], row["company"], row["location"], row["posted_date"])
    expected_id, *expected = EXPECTED[kind]
    assert got == tuple(expected)
    if expected_id:
        assert row["posting_id"] == expected_id
    assert row["description_format"] == "html" or kind in ("glassdoor_csv", "linkedin_jsonl")


def test_every_type_in_the_catalog_is_tested():
    assert set(source_types()) == set(SHAPES) | {"files"}


def test_a_sources_own_mapping_comes_before_its_types(tmp_path):
    (tmp_path / "d").mkdir()
    path = tmp_path / "sources.yaml"
    entry = {"name": "b", "type": "remoteok_api", "path": "d", "mapping": {"title": "headline"}}
    path.write_text(yaml.safe_dump({"sources": [entry]}))
    (source,) = load_sources(path)
    assert source.field_map["title"][:2] == ("headline", "position")
    assert source.field_map["title"][-1] == "name"  # the defaults last


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "a", "type": "nope", "path": "d"}, "unknown type 'nope'"),
        ({"name": "a", "path": "missing"}, "does not exist"),
        ({"name": "a", "path": "d", "mapping": {"salary": "pay"}}, "unknown fields ['salary']"),
        ({"name": "a", "path": "d", "url": "x"}, "unknown keys ['url']"),
        ({"type": "files", "path": "d"}, "missing ['name']"),
    ],
)
def test_invalid_sources_files_say_where_and_why(tmp_path, entry, message):
    (tmp_path / "d").mkdir()
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [entry]}))
    with pytest.raises(SourcesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_sources(path)


def test_sample_and_settings_use_the_file(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "jobs.json").write_text(json.dumps([{"legal": "terms"}, SHAPES["remoteok_api"]]))
    path = tmp_path / "sources.yaml"
    path.write_text(
        yaml.safe_dump({"sources": [{"name": "ro", "type": "remoteok_api", "path": "d"}]})
    )
    (source,) = load_sources(path)
    lines = sample_source(source, 2)
    assert lines[0] == "1 file(s)"
    assert "quarantined: not a posting" in lines[1]
    assert "id=901 title='AI Engineer'" in lines[2]
    settings = Settings.from_env({"ROLEPRINT_SOURCES_FILE": str(path)})
    assert [s.name for s in settings.sources] == ["ro"]
    assert settings.load_field_maps()["ro"]["title"][0] == "position"


def test_escaped_html_is_decoded_and_unix_seconds_are_dates():
    assert unescape_escaped_html("&lt;p&gt;A &amp;amp; B&lt;/p&gt;") == "<p>A &amp; B</p>"
    assert unescape_escaped_html("<p>x &lt;b&gt;</p>") == "<p>x &lt;b&gt;</p>"  # real HTML: kept
    assert unescape_escaped_html("5 &lt; 6") == "5 &lt; 6"
    assert parse_date("1770053906") == date(2026, 2, 2)
    assert parse_date("2026") is None


def test_value_rules_of_a_type_clean_and_read_the_first_line():
    from pipeline.sources.catalog import type_rules

    glassdoor = type_rules()["glassdoor_csv"]
    assert glassdoor.apply({"company": "Tarn Analytics\n3.8"})["company"] == "Tarn Analytics"
    assert glassdoor.apply({"company": "Studio 54"})["company"] == "Studio 54"
    hn = type_rules()["hn_whoishiring"]
    row = {"company": None, "title": None, "location": None}
    row["description_raw"] = "Quill Labs | Staff ML Engineer | Lisbon, Portugal | Hybrid<p>About us"
    assert hn.apply(dict(row)) == {
        **row,
        "company": "Quill Labs",
        "title": "Staff ML Engineer",
        "location": "Lisbon, Portugal",
    }
    prose = {**row, "description_raw": "We hire engineers in Berlin, all levels.<p>more"}
    assert hn.apply(dict(prose)) == prose  # no header line: nothing guessed
    mapped = {**row, "title": "Given", "description_raw": row["description_raw"]}
    assert hn.apply(dict(mapped))["title"] == "Given"  # the mapping wins


def test_invalid_rules_are_reported():
    from pipeline.sources.rules import parse_rules

    with pytest.raises(ValueError, match="clean.company: not a regular expression"):
        parse_rules("t", {"clean": {"company": "("}})
    with pytest.raises(ValueError, match="unknown keys"):
        parse_rules("t", {"first_line": {"sep": "|"}})


def test_new_rules_reread_the_files(tmp_path):
    from pipeline.settings import SourceSpec
    from pipeline.sources.ingest import plan_files
    from pipeline.sources.rules import SourceRules

    (tmp_path / "a.csv").write_text("Company Name,Job Description\nAcme,x\n")
    spec = SourceSpec("g", tmp_path)
    plain, _ = plan_files([spec], {})
    manifest = {(f.source, str(f.path)): f for f in plain}
    ruled = {"g": SourceRules(clean=(("company", r"\d$"),))}
    assert len(plan_files([spec], manifest, None, ruled)[0]) == 1
    assert len(plan_files([spec], manifest)[0]) == 0


def test_a_source_gives_defaults_for_fields_its_records_never_carry(tmp_path):
    (tmp_path / "d").mkdir()
    path = tmp_path / "sources.yaml"
    entry = {"name": "lm", "api": "lever", "board": "lotmart", "defaults": {"company": "Lotmart"}}
    path.write_text(yaml.safe_dump({"sources": [entry]}))
    (source,) = load_sources(path, tmp_path / "landing")
    assert source.spec.path == (tmp_path / "landing" / "lm").resolve()
    row = source.rules.apply(map_record(SHAPES["lever_postings"], source.field_map))
    assert (row["company"], row["title"]) == ("Lotmart", "ML Engineer")
    assert source.rules.fingerprint  # a new default reloads the board's postings
    path.write_text(yaml.safe_dump({"sources": [{**entry, "defaults": {"salary": "1"}}]}))
    with pytest.raises(SourcesError, match="defaults must give text"):
        load_sources(path)


def test_an_apis_metadata_element_is_quarantined_as_not_a_posting(tmp_path):
    from pipeline.settings import SourceSpec
    from pipeline.sources.catalog import type_rules
    from pipeline.sources.ingest import ingest_sources

    (tmp_path / "api.json").write_text(
        json.dumps([{"legal": "Terms of use", "last_updated": 1}, SHAPES["remoteok_api"]])
    )
    maps = {"ro": load_sources_map("remoteok_api")}
    result = ingest_sources(
        [SourceSpec("ro", tmp_path)],
        "b1",
        NOW,
        field_maps=maps,
        rules={"ro": type_rules()["remoteok_api"]},
    )
    assert (result.totals()["loaded"], result.totals()["quarantined"]) == (1, 1)
    reason = result.quarantine["reason"][0]
    assert reason.startswith("not a posting: no ['id']") and "legal" in reason


def load_sources_map(kind: str):
    from pipeline.sources.catalog import merged_map

    return merged_map(source_types()[kind])

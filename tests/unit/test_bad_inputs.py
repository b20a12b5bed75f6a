"""The bad-input corpus: every kind of broken or awkward posting ends in a clear outcome, and the
rest of the batch is processed. Files are written here (fictional postings), big and binary ones
generated at test time.

Each case names its file, the expected outcome (loaded / quarantined / duplicate) and, for a
quarantine, words its reason must contain.
"""

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.extract.rules import extract_responsibilities
from pipeline.settings import SourceSpec
from pipeline.sources import ingest as ingest_module
from pipeline.sources.ingest import ingest_sources
from pipeline.text.clean import clean_batch

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DUTIES = (
    "Responsibilities:\n- Build retrieval pipelines over product documents\n"
    "- Evaluate model quality with offline test sets\n"
)


def indented(text: str) -> str:
    return "".join(f"  {line}\n" for line in text.splitlines())


def yaml_posting(pid: str | None, title: str, description: str) -> str:
    head = f"id: '{pid}'\n" if pid else ""
    return f"{head}title: {title}\ndescription: |\n{indented(description)}"


# (case, file under source a unless noted, outcome, words of the reason)
CASES = [
    ("malformed YAML", "malformed.yaml", "quarantined", "malformed YAML"),
    ("malformed JSON", "malformed.json", "quarantined", "malformed JSON"),
    (
        "malformed JSON line (others load)",
        "lines.jsonl#line 2",
        "quarantined",
        "malformed JSON line",
    ),
    ("CSV row with too few fields", "rows.csv#row 2", "quarantined", "CSV row has 2 fields"),
    ("Windows-1252 file", "cp1252.yaml", "quarantined", "not UTF-8 text; re-save as UTF-8"),
    ("binary file", "binary.yaml", "quarantined", "binary content"),
    ("empty description", "empty_description.yaml", "quarantined", "no description"),
    ("title of the wrong type", "wrong_type.yaml", "quarantined", "field 'title' has type list"),
    (
        "file vanishes after discovery",
        "vanished.yaml",
        "quarantined",
        "vanished before it could be read",
    ),
    ("same id, other content, same source", "dup_b.yaml", "quarantined", "duplicate id '11'"),
    ("same record twice in a source", "copy_b.yaml", "duplicate", ""),
    ("mojibake", "mojibake.yaml", "loaded", ""),
    ("huge description (several MB)", "huge.yaml", "loaded", ""),
    ("missing id", "missing_id.yaml", "loaded", ""),
    ("id colliding with another source", "b/collide.yaml", "loaded", ""),
    ("HTML with script and style", "html.json", "loaded", ""),
    ("another language", "german.yaml", "loaded", ""),
    ("no responsibilities section", "no_section.yaml", "loaded", ""),
    ("title of seniority words only", "seniority_title.yaml", "loaded", ""),
]


def write_corpus(root: Path) -> tuple[Path, Path]:
    a, b = root / "a", root / "b"
    a.mkdir()
    b.mkdir()

    def put(name: str, text: str) -> None:
        (a / name).write_text(text, encoding="utf-8")

    put("malformed.yaml", "id: 1\ntitle: AI Engineer\ndescription: |\n  text\n bad: [unclosed\n")
    put("malformed.json", '{"id": "2", "title": "AI Engineer", "description": "x"')
    put(
        "lines.jsonl",
        json.dumps({"id": "3a", "title": "ML Engineer", "description": DUTIES}) + "\n{broken\n",
    )
    put("rows.csv", 'id,title,description\n4a,AI Engineer,"' + DUTIES + '"\n4b,Only two\n')
    (a / "cp1252.yaml").write_bytes(
        "id: '5'\ntitle: Ingénieur IA\ndescription: Développer des modèles\n".encode("cp1252")
    )
    (a / "binary.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + random.Random(1).randbytes(4096))
    put("empty_description.yaml", "id: '7'\ntitle: AI Engineer\ndescription: ''\n")
    put("wrong_type.yaml", "id: '17'\ntitle: [AI, Engineer]\ndescription: text\n")
    put("dup_a.yaml", yaml_posting("11", "AI Engineer", "First text. " + DUTIES))
    put("dup_b.yaml", yaml_posting("11", "AI Engineer", "Other text. " + DUTIES))
    put("copy_a.yaml", yaml_posting("12", "AI Engineer", DUTIES))
    put("copy_b.yaml", yaml_posting("12", "AI Engineer", DUTIES))
    put(
        "mojibake.yaml",
        yaml_posting(
            "6", "AI Engineer", "Weâ€™re hiring.\n" + DUTIES.replace("product", "customersâ€™")
        ),
    )
    huge = "".join(
        f"- Build and evaluate retrieval pipeline number {i} for search quality\n"
        for i in range(60_000)
    )
    put("huge.yaml", yaml_posting("8", "AI Engineer", "Responsibilities:\n" + huge))
    put("missing_id.yaml", yaml_posting(None, "AI Engineer", DUTIES))
    (b / "collide.yaml").write_text(
        yaml_posting("3a", "Data Engineer", "Another board's posting.\n" + DUTIES), encoding="utf-8"
    )
    put(
        "html.json",
        json.dumps(
            {
                "id": "13",
                "title": "AI Engineer",
                "description": "<style>p{color:red}</style><script>alert('x')</script>"
                "<h3>Responsibilities</h3><ul><li>Build agents that call internal tools</li>"
                "<li>Monitor LLM latency and cost in production</li></ul>",
            }
        ),
    )
    put(
        "german.yaml",
        yaml_posting(
            "14",
            "KI-Ingenieur",
            "Ihre Aufgaben:\n- Entwicklung von Sprachmodellen für unsere Kunden und Partner\n"
            "- Zusammenarbeit mit dem Produktteam und der Datenplattform im Unternehmen\n",
        ),
    )
    put("no_section.yaml", yaml_posting("15", "AI Engineer", "We are a small team. Apply today."))
    put("seniority_title.yaml", yaml_posting("16", "Senior", DUTIES))
    put("vanished.yaml", yaml_posting("18", "AI Engineer", DUTIES))
    return a, b


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("bad_inputs")
    a, b = write_corpus(root)
    discover = ingest_module.discover_files

    def discover_then_vanish(path):
        files = discover(path)
        (a / "vanished.yaml").unlink(missing_ok=True)  # deleted between listing and reading
        return files

    patch = pytest.MonkeyPatch()
    patch.setattr(ingest_module, "discover_files", discover_then_vanish)
    request.addfinalizer(patch.undo)
    result = ingest_sources([SourceSpec("a", a), SourceSpec("b", b)], "2026-06-01", NOW)
    return root, result


def outcome_of(root: Path, result, where: str) -> tuple[str, str]:
    name, _, locator = where.partition("#")
    path = str(root / (name if name.startswith("b/") else f"a/{name}"))
    quarantined = result.quarantine.filter(
        (pl.col("source_uri") == path) & ((pl.col("locator") == locator) if locator else True)
    )
    if quarantined.height:
        return "quarantined", quarantined["reason"][0]
    uri = f"{path}#{locator}" if locator else path
    if result.postings.filter(pl.col("source_uri") == uri).height:
        return "loaded", ""
    counts = result.accounting.filter(pl.col("source_uri") == path)
    if counts.height and counts["duplicates"][0]:
        return "duplicate", ""
    return "missing", ""


@pytest.mark.parametrize(
    ("case", "where", "expected", "reason_words"), CASES, ids=[c[0] for c in CASES]
)
def test_each_bad_input_has_a_clear_outcome(corpus, case, where, expected, reason_words):
    root, result = corpus
    outcome, reason = outcome_of(root, result, where)
    assert outcome == expected, f"{case}: {outcome} ({reason})"
    for words in reason_words.split("; ") if reason_words else []:
        assert words in reason, f"{case}: reason {reason!r} lacks {words!r}"


def test_every_record_read_is_accounted_for_per_source(corpus):
    _, result = corpus
    by_source = result.accounting.group_by("source").agg(
        pl.col("records_read", "loaded", "quarantined", "duplicates").sum()
    )
    for row in by_source.iter_rows(named=True):
        assert row["records_read"] == row["loaded"] + row["quarantined"] + row["duplicates"], row
    assert result.postings.height == result.accounting["loaded"].sum()
    assert result.quarantine.height == result.accounting["quarantined"].sum()
    assert result.postings["posting_id"].is_unique().all()


def test_ids_are_unique_and_a_colliding_id_is_qualified_by_its_source(corpus):
    _, result = corpus
    ids = dict(result.postings.select("posting_id", "source").iter_rows())
    assert ids["3a"] == "a" and ids["b:3a"] == "b"
    assert any(pid.startswith("h_") for pid in ids)  # the posting without an id


def test_loaded_awkward_postings_normalise_and_extract(corpus):
    _, result = corpus
    clean = clean_batch(result.postings).sort("posting_id")
    by_id = {r["posting_id"]: r for r in clean.iter_rows(named=True)}
    html = by_id["13"]["description_text"]
    assert "alert" not in html and "color:red" not in html and "Build agents" in html
    assert "We're hiring" in by_id["6"]["description_text"]  # mojibake repaired
    assert "â€" not in by_id["6"]["description_text"]
    assert by_id["14"]["language"] == "de"
    assert by_id["16"]["title_normalized"] == "Senior"
    assert len(by_id["8"]["description_text"]) > 3_000_000
    items = extract_responsibilities(clean)
    per_posting = dict(items.group_by("posting_id").len().iter_rows())
    assert per_posting.get("15", 0) == 0  # nothing that reads as a duty: no items, no error
    assert per_posting["13"] == 2 and per_posting["8"] > 1000

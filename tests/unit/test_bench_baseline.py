"""The naive benchmark baseline, on postings written for these tests."""

import re

import pandas as pd
import pytest

from pipeline.bench.baseline import run_baseline, to_python_regex
from pipeline.classify.categories import _case_insensitive, classify_texts
from pipeline.extract import rules
from pipeline.taxonomy import load_taxonomy
from pipeline.text import normalise

HTML_POSTING = (
    "<h2>About Lumen Freight</h2><p>We route parcels across three continents.</p>"
    "<h3>Responsibilities</h3><ul>"
    "<li>Build retrieval-augmented generation pipelines over our shipping manuals</li>"
    "<li>Design evaluation suites for the dispatch assistant</li>"
    "<li>Partner with operations leads on rollout plans</li>"
    "</ul><h3>Requirements</h3><ul>"
    "<li>4+ years of Python experience</li><li>Familiarity with vector databases</li>"
    "</ul><p>Questions? Write to jobs.team@lumen-freight.example</p>"
)
RAG_DUTY = "Build retrieval-augmented generation pipelines over our shipping manuals"


def raw_frame(*rows: tuple[str, str | None, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "posting_id": [f"p{i}" for i in range(len(rows))],
            "batch_id": ["b1"] * len(rows),
            "title": [title for title, _, _ in rows],
            "description_raw": [text for _, text, _ in rows],
            "description_format": [fmt for _, _, fmt in rows],
            "precomputed_responsibilities": [None] * len(rows),
        }
    )


@pytest.fixture(scope="module")
def result():
    return run_baseline(
        raw_frame(
            ("Senior AI Engineer (Remote)", HTML_POSTING, "html"),
            ("Data Scientist", None, "none"),
        )
    )


def test_html_is_normalised_to_text_with_bullets_and_email_redacted(result):
    text = result.clean.loc[result.clean.posting_id == "p0", "description_text"].item()
    assert "<" not in text
    assert "Responsibilities\n\n- Build retrieval-augmented generation" in text
    assert "- Design evaluation suites for the dispatch assistant" in text
    assert "[email]" in text and "@" not in text
    row = result.clean.set_index("posting_id").loc["p0"]
    assert row.pii_redactions == 1
    assert row.title_normalized == "AI Engineer"
    assert row.seniority == "senior"
    assert row.language == "en"


def test_extracts_exactly_the_three_duties(result):
    items = result.items[result.items.posting_id == "p0"]
    assert items["text"].tolist() == [
        RAG_DUTY,
        "Design evaluation suites for the dispatch assistant",
        "Partner with operations leads on rollout plans",
    ]
    assert items["position"].tolist() == [0, 1, 2]
    assert set(items["section"]) == {"Responsibilities"}
    assert result.responsibilities == 3  # the posting without a description gives none
    assert set(result.seconds) == {"normalise", "extract", "classify"}
    assert result.postings == 2


def test_rag_duty_gets_the_fast_classifiers_primary_label(result):
    fast = classify_texts([RAG_DUTY], load_taxonomy())
    expected = fast.filter(fast["rank"] == 1)["category"].item()
    assert expected != "other"
    labels = result.labels_frame
    primary = labels[(labels.posting_id == "p0") & (labels.position == 0) & (labels["rank"] == 1)]
    assert primary["category"].item() == expected
    assert result.labels == len(labels)


def test_every_pattern_of_the_three_stages_compiles():
    taxonomy = load_taxonomy()
    patterns = [
        normalise.MOJIBAKE_HINT,
        normalise.EMAIL,
        normalise.PHONE,
        r"[^\p{L}\p{N}]+",
        r"[^\p{L}\p{N},;:]+",
        r"([^\n:]{40}[^\n.:!?])\n[ ]*(\p{Ll})",
        r"(?is)<(script|style|noscript)\b.*?</(script|style|noscript)\s*>",
        *(
            getattr(rules, name)
            for name in dir(rules)
            if name.isupper() and isinstance(getattr(rules, name), str)
        ),
        _case_insensitive(taxonomy.ai_context),
        *(_case_insensitive(p.regex) for c in taxonomy.categories for p in c.all_patterns),
    ]
    assert len(patterns) > 150
    for pattern in patterns:
        re.compile(to_python_regex(pattern))


def test_translation_of_rust_only_syntax():
    assert re.fullmatch(to_python_regex(r"(?<head>\p{L}+)\x{2d}\p{N}"), "Zürich-7")
    assert re.fullmatch(to_python_regex(r"[^\p{L}\p{N}]+"), "_ -") is not None
    assert re.search(to_python_regex(r"[^\p{L}\p{N}]"), "é9") is None
    # a flag set mid-pattern holds to the end of its group, across alternatives
    translated = to_python_regex("a(?i)b|c")
    assert re.fullmatch(translated, "aB") and re.fullmatch(translated, "C")
    assert not re.fullmatch(translated, "AB")

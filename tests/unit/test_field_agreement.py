"""Field agreement between two shapes of the same postings."""

import polars as pl

from pipeline.evaluation.field_agreement import (
    description_coverage,
    field_agreement,
    location_contained,
    unmatched,
)


def frame(rows: list[tuple]) -> pl.DataFrame:
    cols = ["posting_id", "title", "company", "location", "posted_date", "description_text"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def test_measures_per_field():
    words = "build retrieval pipelines over product manuals for the support team every week"
    reference = frame(
        [
            ("1", "AI Engineer", "Acme", "Porto, PRT", "2026-04-02", words),
            ("2", "ML Engineer", "Beta", None, "2026-04-03", "train models daily for ranking"),
            ("3", "Only here", "C", None, None, "x"),
        ]
    )
    candidate = frame(
        [
            (
                "1",
                "ai  engineer",
                "Acme",
                "Porto, Porto District, PRT",
                "2026-04-02",
                words + " more",
            ),
            (
                "2",
                "ML Engineer",
                "Beta Inc",
                "Lisbon",
                "2026-04-03",
                "something else entirely here",
            ),
        ]
    )
    rows = {r["field"]: r for r in field_agreement(reference, candidate)}
    assert rows["title"] == {"field": "title", "compared": 2, "reference_missing": 0, "equal": 2}
    assert rows["company"]["equal"] == 1
    assert (
        rows["location"]["compared"],
        rows["location"]["equal"],
        rows["location"]["contained"],
    ) == (1, 0, 1)
    assert rows["description_text"]["coverage_at_least_0.95"] == 1
    assert rows["description_text"]["lowest_coverage"] == 0.0
    assert unmatched(reference, candidate) == (1, 0)


def test_coverage_and_containment():
    assert description_coverage("a b c d e f", "x a b c d e f y") == 1.0
    assert description_coverage("a b c d e f", "a b c d e") == 0.5  # 1 of its 2 five-grams
    assert description_coverage("", "anything") == 1.0
    assert location_contained("Noida, IND", "Noida, Uttar Pradesh, IND")
    assert not location_contained("Noida, IND", "Pune, IND")
    assert not location_contained("Noida", None)

"""How well one source shape reproduces another's fields for the same postings (e.g. job pages'
JSON-LD against the same postings' YAML), matched on posting_id.

Pure: two frames of clean postings in, one row of figures per field out.
"""

from __future__ import annotations

import re

import polars as pl

FIELDS = ("title", "company", "location", "posted_date", "description_text")
COVERAGE_SHINGLE = 5  # words per shingle when comparing descriptions
COVERAGE_MIN = 0.95


def _norm(value: object) -> str:
    return " ".join(str(value).lower().split()) if value is not None else ""


def _shingles(text: str | None) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", (text or "").lower())
    n = COVERAGE_SHINGLE
    return {tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1))}


def description_coverage(reference: str | None, candidate: str | None) -> float:
    """Share of the reference description's word 5-grams found in the candidate's."""
    ref = _shingles(reference)
    return len(ref & _shingles(candidate)) / len(ref) if ref else 1.0


def location_contained(reference: str | None, candidate: str | None) -> bool:
    """Every comma-separated part of the reference location appears in the candidate's (a
    candidate may add a region or more places)."""
    parts = [p.strip().lower() for p in (reference or "").split(",") if p.strip()]
    return bool(candidate) and all(p in candidate.lower() for p in parts)


def field_agreement(reference: pl.DataFrame, candidate: pl.DataFrame) -> list[dict]:
    """One row per field: postings compared, equal after case/space normalisation, and for
    location and description the looser measures above."""
    joined = reference.select("posting_id", *FIELDS).join(
        candidate.select("posting_id", *FIELDS), on="posting_id", suffix="_candidate"
    )
    rows = []
    for field in FIELDS:
        pairs = list(zip(joined[field], joined[f"{field}_candidate"], strict=True))
        with_ref = [(a, b) for a, b in pairs if a is not None]
        row = {
            "field": field,
            "compared": len(with_ref),
            "reference_missing": len(pairs) - len(with_ref),
            "equal": sum(_norm(a) == _norm(b) for a, b in with_ref),
        }
        if field == "location":
            row["contained"] = sum(location_contained(a, b) for a, b in with_ref)
        if field == "description_text":
            coverage = [description_coverage(a, b) for a, b in with_ref]
            row[f"coverage_at_least_{COVERAGE_MIN}"] = sum(c >= COVERAGE_MIN for c in coverage)
            row["lowest_coverage"] = round(min(coverage), 4) if coverage else None
        rows.append(row)
    return rows


def unmatched(reference: pl.DataFrame, candidate: pl.DataFrame) -> tuple[int, int]:
    """(postings only in the reference, postings only in the candidate)."""
    ref, cand = set(reference["posting_id"]), set(candidate["posting_id"])
    return len(ref - cand), len(cand - ref)

"""Frame functions run on parts in threads give the same result as on the whole frame."""

import polars as pl
import pytest

from pipeline import parallel
from pipeline.classify.categories import classify_texts
from pipeline.extract.rules import extract_responsibilities
from pipeline.taxonomy import load_taxonomy
from pipeline.text.clean import clean_batch


@pytest.fixture
def three_workers(monkeypatch):
    """Split even small frames, three ways."""
    monkeypatch.setattr(parallel, "workers", lambda: 3)
    monkeypatch.setattr(parallel, "MIN_ROWS_PER_PART", 2)


def test_row_slices_cover_every_row_once_in_order(three_workers):
    frame = pl.DataFrame({"n": list(range(10))})
    slices = parallel.row_slices(frame)
    assert [s.height for s in slices] == [4, 4, 2]
    assert pl.concat(slices)["n"].to_list() == list(range(10))
    assert parallel.row_slices(frame.head(0))[0].height == 0


def test_key_parts_keep_each_keys_rows_together(three_workers):
    frame = pl.DataFrame({"k": [i % 7 for i in range(70)], "v": list(range(70))})
    parts = parallel.key_parts(frame, ["k"])
    assert len(parts) > 1
    assert sum(p.height for p in parts) == 70
    seen = [set(p["k"].to_list()) for p in parts]
    for i, keys in enumerate(seen):
        for other in seen[i + 1 :]:
            assert not keys & other


def test_map_in_threads_returns_results_in_part_order(three_workers):
    parts = [pl.DataFrame({"n": [i]}) for i in range(6)]
    out = parallel.map_in_threads(lambda f: f.with_columns(m=pl.col("n") * 2), parts)
    assert [f["m"][0] for f in out] == [0, 2, 4, 6, 8, 10]


def _raw(n: int) -> pl.DataFrame:
    descriptions = [
        f"<p>About us</p><h3>Responsibilities</h3><ul><li>Build retrieval pipeline {i} for "
        f"search</li><li>Evaluate model {i % 3} quality weekly</li></ul>"
        if i % 2
        else f"What you will do:\n- Ship feature {i} to production\n- Monitor latency and cost"
        for i in range(n)
    ]
    return pl.DataFrame(
        {
            "batch_id": ["b1"] * n,
            "posting_id": [f"p{i}" for i in range(n)],
            "title": ["AI Engineer" if i % 2 else "Senior ML Engineer" for i in range(n)],
            "description_raw": descriptions,
            "description_format": ["html" if i % 2 else "text" for i in range(n)],
            "precomputed_responsibilities": pl.Series([None] * n, dtype=pl.List(pl.String)),
        }
    )


def test_stages_split_in_threads_equal_the_whole_batch(monkeypatch):
    raw = _raw(12)
    whole_clean = clean_batch(raw)
    whole_items = extract_responsibilities(whole_clean)
    taxonomy = load_taxonomy(None)
    texts = whole_items["text"].to_list()
    whole_labels = classify_texts(texts, taxonomy)

    monkeypatch.setattr(parallel, "workers", lambda: 3)
    monkeypatch.setattr(parallel, "MIN_ROWS_PER_PART", 2)
    assert len(parallel.row_slices(raw)) == 3
    split_clean = clean_batch(raw)
    assert split_clean.equals(whole_clean)
    assert extract_responsibilities(split_clean).equals(whole_items)
    assert classify_texts(texts, taxonomy).equals(whole_labels)

"""The naive baseline and the fast path, side by side on the same raw postings.

Both run in this process, one after the other, on the same rows read by the real ingest code:
normalisation, extraction and classification. The ratio of their throughputs is the speed-up.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from pipeline.bench.stages import timed_stages
from pipeline.settings import SourceSpec

FAST_STAGES = ("normalise", "extract", "classify")


def raw_postings(source: Path) -> pl.DataFrame:
    """The raw.postings rows the ingest makes of `source` (without a warehouse)."""
    from pipeline.sources.ingest import ingest_sources

    result = ingest_sources([SourceSpec("synthetic", source)], "b1", datetime(2026, 11, 1))
    return result.postings


def fast_path(raw: pl.DataFrame, taxonomy_path: Path | None = None) -> dict:
    """The pipeline's own stage functions on `raw`, timed (no warehouse I/O)."""
    from pipeline.classify.categories import classify_responsibilities
    from pipeline.extract.rules import extract_responsibilities
    from pipeline.taxonomy import load_taxonomy
    from pipeline.text.clean import clean_batch

    taxonomy = load_taxonomy(taxonomy_path)
    seconds, _, items, labels = timed_stages(
        raw,
        clean_batch,
        extract_responsibilities,
        lambda found: classify_responsibilities(found, taxonomy),
    )
    return {
        "seconds": seconds,
        "postings": raw.height,
        "responsibilities": items.height,
        "labels": labels.height,
    }


def compare_with_baseline(source: Path, progress=print) -> dict:
    """Time the baseline and the fast path on the postings under `source`."""
    from pipeline.bench.baseline import run_baseline

    raw = raw_postings(source)
    progress(f"bench: baseline comparison on {raw.height:,} postings: fast path first")
    fast = fast_path(raw)
    progress(f"bench: fast path {sum(fast['seconds'].values()):.1f} s; now the naive baseline")
    naive = run_baseline(raw.to_pandas())
    slow = {
        "seconds": dict(naive.seconds),
        "postings": naive.postings,
        "responsibilities": naive.responsibilities,
        "labels": naive.labels,
    }
    fast_total = sum(fast["seconds"].values())
    slow_total = sum(slow["seconds"][s] for s in FAST_STAGES)
    return {
        "postings": raw.height,
        "fast": fast,
        "baseline": slow,
        "ratio": {
            **{s: slow["seconds"][s] / fast["seconds"][s] for s in FAST_STAGES},
            "normalise + extract + classify": slow_total / fast_total,
        },
        "fast_postings_per_second": raw.height / fast_total,
        "baseline_postings_per_second": raw.height / slow_total,
    }

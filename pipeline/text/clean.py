"""raw.postings rows -> clean.postings rows (one batch), all as Polars expressions."""

from __future__ import annotations

import polars as pl

from pipeline.text.normalise import count_pii, description_text, detect_language, redact_pii
from pipeline.text.titles import normalise_title, seniority


def dedup_key(text: pl.Expr) -> pl.Expr:
    """Descriptions that differ only in case, punctuation or spacing count as the same posting."""
    squashed = text.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    return (
        pl.when(squashed.str.len_chars() > 0).then(squashed.hash().cast(pl.String)).otherwise(None)
    )


def clean_batch(raw: pl.DataFrame) -> pl.DataFrame:
    """Normalise one batch. Duplicate flags are left null here: they depend on every batch in
    the warehouse, so the warehouse assigns them (see `warehouse.assign_duplicates`)."""
    text = description_text(pl.col("description_raw"), pl.col("description_format"))
    # enriched records carry no description: their extracted items stand in for dedup purposes
    dedup_source = pl.coalesce(
        pl.col("_text"), pl.col("precomputed_responsibilities").list.join("\n")
    )
    return (
        raw.with_columns(_text=text)
        .with_columns(
            description_text=redact_pii(pl.col("_text")),
            pii_redactions=count_pii(pl.col("_text")),
            title_normalized=normalise_title(pl.col("title")),
            seniority=seniority(pl.col("title")),
            language=detect_language(pl.col("_text")),
            dedup_key=dedup_key(dedup_source),
            duplicate_of=pl.lit(None, pl.String),
            duplicate_of_batch_id=pl.lit(None, pl.String),
            duplicate_reason=pl.lit(None, pl.String),
            is_analysed=pl.lit(True),
        )
        .drop("_text")
    )

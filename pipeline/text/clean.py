"""raw.postings rows -> clean.postings rows (one batch), all as Polars expressions."""

from __future__ import annotations

import polars as pl

from pipeline.parallel import by_row_slices
from pipeline.text.dedup import signatures
from pipeline.text.normalise import (
    count_pii,
    description_text,
    language_hits_of_words,
    language_of_hits,
    redact_pii,
    word_hashes,
    word_tokens,
)
from pipeline.text.titles import normalise_title, seniority


def dedup_key(text: pl.Expr) -> pl.Expr:
    """Descriptions that differ only in case, punctuation or spacing count as the same posting."""
    return key_of_tokens(word_tokens(text))


#: What the stored output of normalise depends on besides the code version (part of its
#: stage fingerprint): bumped when a change gives clean.postings other values, so that a
#: warehouse built before it normalises every posting again rather than comparing old and
#: new values (3: dedup_key hashes the word tokens one space apart).
NORMALISE_METHOD = "normalise 3"


def key_of_tokens(tokens: pl.Expr) -> pl.Expr:
    """`dedup_key` of a text already split by `word_tokens`: the hash of its words, one space
    apart (the words and their order decide it)."""
    return tokens.map_batches(_hash_non_empty, return_dtype=pl.String)


def _hash_non_empty(words: pl.Series) -> pl.Series:
    """The hash of each text as a string; null for an empty text (it identifies nothing)."""
    keys = words.hash().cast(pl.String)
    return keys.zip_with(words.fill_null("") != "", pl.Series([None], dtype=pl.String))


def clean_batch(raw: pl.DataFrame) -> pl.DataFrame:
    """Normalise one batch. Duplicate flags are left null here: they depend on every batch in
    the warehouse, so the warehouse assigns them (see `warehouse.assign_duplicates`).

    Every output row depends on its own raw row only, so slices of the batch are normalised
    in threads (one per core)."""
    return by_row_slices(_clean_rows, raw)


def _clean_rows(raw: pl.DataFrame) -> pl.DataFrame:
    """`clean_batch` of some rows.

    Intermediate columns (`_text`, `_tokens`, `_hits`) are materialised once each and read by
    the steps after them."""
    # enriched records carry no description: their extracted items stand in for dedup purposes
    dedup_tokens = pl.coalesce(
        pl.col("_tokens"), word_tokens(pl.col("precomputed_responsibilities").list.join("\n"))
    )
    return (
        raw.with_columns(
            _text=description_text(pl.col("description_raw"), pl.col("description_format"))
        )
        .with_columns(_tokens=word_tokens(pl.col("_text")))
        .with_columns(_dedup_tokens=dedup_tokens)
        # hashed once: the language's function-word counts and the MinHash signature read them
        .with_columns(_words=word_hashes(pl.col("_dedup_tokens")))
        .with_columns(
            # a record without a description has no language (its items stand in for dedup only)
            _hits=pl.when(pl.col("_tokens").is_not_null()).then(
                language_hits_of_words(pl.col("_words"))
            )
        )
        .with_columns(
            pii_redactions=count_pii(pl.col("_text")),
            language=language_of_hits(pl.col("_hits")),
            dedup_key=key_of_tokens(pl.col("_dedup_tokens")),
            duplicate_of=pl.lit(None, pl.String),
            duplicate_of_batch_id=pl.lit(None, pl.String),
            duplicate_reason=pl.lit(None, pl.String),
            is_analysed=pl.lit(True),
        )
        .with_columns(description_text=redact_pii(pl.col("_text"), pl.col("pii_redactions")))
        .pipe(_with_title_columns)
        .pipe(_with_signatures)
        .drop("_text", "_tokens", "_dedup_tokens", "_words", "_hits")
    )


def title_key(title: pl.Expr) -> pl.Expr:
    """The title near duplicates must share: lower-cased, spaces collapsed."""
    return title.fill_null("").str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


def _with_title_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `title_normalized`, `seniority` and `title_key`: functions of the title alone,
    worked out once per distinct title (an employer posts the same titles again and again)."""
    titles = (
        frame.select("title")
        .unique()
        .with_columns(
            title_normalized=normalise_title(pl.col("title")),
            seniority=seniority(pl.col("title")),
            title_key=title_key(pl.col("title")),
        )
    )
    return frame.join(titles, on="title", how="left", nulls_equal=True, maintain_order="left")


def _with_signatures(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `signature` (MinHash of the dedup text; null without words)."""
    frame = frame.with_row_index("_row")
    signed = signatures(
        frame.filter(pl.col("_dedup_tokens").is_not_null()).select(
            key="_row", tokens="_dedup_tokens", w="_words"
        )
    ).rename({"key": "_row"})
    return frame.join(signed, on="_row", how="left", maintain_order="left").drop("_row")

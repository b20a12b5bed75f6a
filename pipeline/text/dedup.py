"""Duplicate postings: exact (same normalised description) and near (a repost with small edits).

Near duplicates are found with MinHash over word 3-shingles and locality-sensitive hashing,
all in Polars expressions:

- shingles: the posting's lower-cased words, three at a time ("build rag pipelines");
- signature: for each of NUM_PERM seeded hash functions, the smallest hash of any shingle; two
  postings agree on a position with probability equal to the Jaccard similarity of their
  shingle sets;
- candidates: postings that agree on all ROWS_PER_BAND positions of at least one band
  (BANDS bands), so only likely pairs are compared, never all pairs;
- similarity: the share of signature positions two candidates agree on (an estimate of their
  Jaccard similarity); a pair at or above the threshold is a near duplicate.
- group: only postings of the same group are compared (the caller passes the lower-cased
  title): a repost keeps its title, while an employer's template shared by many different
  roles ("Lead AI Engineer (Platform)", "Lead AI Engineer (Search)") would otherwise merge
  distinct positions.

Duplicates form groups (a repost of a repost is in its original's group); the canonical
posting of a group is its earliest by (batch_id, posting_id), so loading batches in another
order gives the same answer. Polars' seeded hash is stable for a given Polars version, and
signatures are recomputed every run, never stored.
"""

from __future__ import annotations

import polars as pl

NUM_PERM = 64
BANDS = 16
ROWS_PER_BAND = NUM_PERM // BANDS
SHINGLE_WORDS = 3
#: Estimated Jaccard similarity of shingle sets at or above which two postings are one.
NEAR_DUPLICATE_THRESHOLD = 0.9
_SIGNATURE = [f"m{i}" for i in range(NUM_PERM)]


def shingles(texts: pl.DataFrame) -> pl.DataFrame:
    """(key, text) -> distinct (key, shingle): word 3-grams; a text of fewer words is one shingle."""
    words = (
        texts.select("key", words=pl.col("text").str.to_lowercase().str.extract_all(r"[a-z0-9]+"))
        .explode("words")
        .drop_nulls("words")
        .with_columns(position=pl.int_range(pl.len()).over("key"))
    )
    following = [
        pl.col("words").shift(-i).over("key", order_by="position") for i in range(SHINGLE_WORDS)
    ]
    grams = words.select("key", shingle=pl.concat_str(following, separator=" ")).drop_nulls()
    short = (
        words.group_by("key")
        .agg(
            pl.col("words").sort_by("position").str.join(" ").alias("shingle"), pl.len().alias("n")
        )
        .filter(pl.col("n") < SHINGLE_WORDS)
        .select("key", "shingle")
    )
    return pl.concat([grams, short]).unique()


def signatures(shingled: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """(key, shingle) -> one row per key with its group and MinHash signature m0..m63."""
    return (
        shingled.group_by("key")
        .agg(
            [pl.col("shingle").hash(seed=i).min().alias(name) for i, name in enumerate(_SIGNATURE)]
        )
        .join(groups, on="key")
    )


def candidate_pairs(signed: pl.DataFrame) -> pl.DataFrame:
    """Pairs (key_a < key_b) that agree on a whole band of their signatures."""
    bands = pl.concat(
        [
            signed.select(
                "key",
                band=pl.lit(b),
                band_hash=pl.struct(
                    ["group", *_SIGNATURE[b * ROWS_PER_BAND : (b + 1) * ROWS_PER_BAND]]
                ).hash(),
            )
            for b in range(BANDS)
        ]
    )
    return (
        bands.join(bands, on=["band", "band_hash"], suffix="_b")
        .filter(pl.col("key") < pl.col("key_b"))
        .join(signed.select("key", "group"), on="key")
        .join(signed.select(key_b="key", group_b="group"), on="key_b")
        .filter(pl.col("group").eq_missing(pl.col("group_b")))  # not just an equal band hash
        .select(key_a="key", key_b="key_b")
        .unique()
    )


def similarity(signed: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """The estimated Jaccard similarity of each pair: the share of agreeing signature positions."""
    a = signed.rename({"key": "key_a", **{m: f"{m}_a" for m in _SIGNATURE}})
    b = signed.rename({"key": "key_b", **{m: f"{m}_b" for m in _SIGNATURE}})
    agree = pl.sum_horizontal(
        [(pl.col(f"{m}_a") == pl.col(f"{m}_b")).cast(pl.Int32) for m in _SIGNATURE]
    )
    return (
        pairs.join(a, on="key_a")
        .join(b, on="key_b")
        .select("key_a", "key_b", similarity=agree / NUM_PERM)
    )


def near_duplicate_pairs(
    texts: pl.DataFrame, threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> pl.DataFrame:
    """(key, text, group) -> pairs (key_a < key_b) of one group with similarity >= threshold."""
    empty = pl.DataFrame(schema={"key_a": pl.String, "key_b": pl.String, "similarity": pl.Float64})
    texts = texts.filter(pl.col("text").is_not_null() & (pl.col("text").str.len_chars() > 0))
    if texts.height < 2:
        return empty
    signed = signatures(shingles(texts), texts.select("key", "group"))
    pairs = candidate_pairs(signed)
    if pairs.height == 0:
        return empty
    return (
        similarity(signed, pairs).filter(pl.col("similarity") >= threshold).sort("key_a", "key_b")
    )


def duplicate_groups(
    keys: list[str], exact_pairs: list[tuple[str, str]], near_pairs: list[tuple[str, str]]
) -> dict[str, str]:
    """key -> canonical key (the smallest key of its group) for every key in a group of 2+."""
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in [*exact_pairs, *near_pairs]:
        ra, rb = find(a), find(b)
        if ra != rb:
            # the smaller key stays the root, so the root is always the group's minimum
            parent[max(ra, rb)] = min(ra, rb)
    return {k: find(k) for k in keys if find(k) != k}


FLAG_SCHEMA = {
    "batch_id": pl.String,
    "posting_id": pl.String,
    "duplicate_of": pl.String,
    "duplicate_of_batch_id": pl.String,
    "duplicate_reason": pl.String,
}
_SEP = "\x00"  # sorts below every character, so keys order like (batch_id, posting_id)


def duplicate_flags(
    postings: pl.DataFrame, threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> pl.DataFrame:
    """(batch_id, posting_id, dedup_key, text, title_key) of every posting in the warehouse ->
    the duplicates among them, each with its canonical posting and reason.

    `exact`: same normalised description (dedup_key). `near-duplicate (similarity S)`: same
    title and an estimated shingle similarity S >= threshold with its canonical posting, or
    `near-duplicate (through a repost)` when it reached the group through another member.
    """
    frame = postings.with_columns(key=pl.concat_str("batch_id", pl.lit(_SEP), "posting_id"))
    exact = (
        frame.filter(pl.col("dedup_key").is_not_null())
        .with_columns(first=pl.col("key").min().over("dedup_key"))
        .filter(pl.col("key") != pl.col("first"))
        .select("first", "key")
    )
    near = near_duplicate_pairs(frame.select("key", "text", group="title_key"), threshold=threshold)
    canonical = duplicate_groups(
        frame["key"].to_list(),
        list(exact.iter_rows()),
        list(near.select("key_a", "key_b").iter_rows()),
    )
    if not canonical:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    dedup_key = dict(frame.select("key", "dedup_key").iter_rows())
    pair_similarity = {(a, b): s for a, b, s in near.iter_rows()}
    rows = []
    for key, first in sorted(canonical.items()):
        if dedup_key[key] is not None and dedup_key[key] == dedup_key[first]:
            reason = "exact"
        elif (first, key) in pair_similarity:
            reason = f"near-duplicate (similarity {pair_similarity[(first, key)]:.2f})"
        else:
            reason = "near-duplicate (through a repost)"
        batch_id, posting_id = key.split(_SEP)
        first_batch, first_id = first.split(_SEP)
        rows.append((batch_id, posting_id, first_id, first_batch, reason))
    return pl.DataFrame(rows, schema=FLAG_SCHEMA, orient="row")

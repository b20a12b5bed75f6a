"""Duplicate postings: exact (same normalised description) and near (a repost with small edits).

Near duplicates are found with MinHash over word 3-shingles and locality-sensitive hashing,
in Polars expressions (and numpy for the per-bucket minimum and the signatures' estimate):

- shingles: the posting's lower-cased words, three at a time ("build rag pipelines");
- signature: one-permutation MinHash. Each shingle is hashed once; the hash's low bits pick
  one of NUM_PERM buckets and the smallest hash in each bucket is the signature's value there
  (null for a bucket no shingle fell in, which only happens to short texts). Two postings
  agree on a bucket with probability equal to the Jaccard similarity of their shingle sets.
  One hash per shingle (not one per shingle and bucket) keeps it cheap at millions of
  postings, and a signature depends on its own posting only, so it is computed once, when
  the posting is normalised, and stored (`clean.posting_signatures`);
- candidates: postings that agree on all ROWS_PER_BAND buckets of at least one band (BANDS
  bands), so only likely pairs are compared, never all pairs;
- similarity: the Jaccard similarity of the two shingle sets, computed exactly for the
  candidates whose signatures estimate it near the threshold (they are few); a pair at or
  above the threshold is a near duplicate. Memory is bounded by batches, not by the number
  of postings: candidates are found one band at a time on row numbers, and exact
  similarities are computed a few thousand pairs at a time.
- group: only postings of the same group are compared (the caller passes the lower-cased
  title): a repost keeps its title, while an employer's template shared by many different
  roles ("Lead AI Engineer (Platform)", "Lead AI Engineer (Search)") would otherwise merge
  distinct positions.

Duplicates form groups (a repost of a repost is in its original's group); the canonical
posting of a group is its earliest by (batch_id, posting_id), so loading batches in another
order gives the same answer. Polars' seeded hash is stable for a given Polars version; the
roleprint version is part of the normalise stage's fingerprint, so an upgrade recomputes them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.text.normalise import WORD_HASH_SEED, word_hashes, word_tokens

NUM_PERM = 64
_BUCKET_MASK = np.uint64(NUM_PERM - 1)
assert NUM_PERM & (NUM_PERM - 1) == 0, "NUM_PERM must be a power of two"
BANDS = 8
ROWS_PER_BAND = NUM_PERM // BANDS
SHINGLE_WORDS = 3
#: Estimated Jaccard similarity of shingle sets at or above which two postings are one.
NEAR_DUPLICATE_THRESHOLD = 0.9
_SEED = WORD_HASH_SEED
#: Candidates whose estimated similarity is this far below the threshold are not measured
#: (the estimate's standard error is about 0.04 with 64 buckets).
ESTIMATE_MARGIN = 0.2


_MIX = 0x9E3779B97F4A7C15  # odd 64-bit constant: combines word hashes into a shingle hash


def shingle_hashes(tokens: pl.DataFrame) -> pl.DataFrame:
    """(key, tokens) -> (key, h): one 64-bit hash per word 3-gram ("build rag then", "rag then
    ship", ...) of a text split by `word_tokens`; a text of one or two words is one shingle.
    Given a column `w` of the texts' `word_hashes` too, the words are not hashed again.

    Words are hashed once each, inside each text's list of words (no exploded frame of word
    strings), and a 3-gram's hash is mixed from its words' hashes in numpy, so no shingle
    string is built (millions of postings have billions of shingles)."""
    hashed = pl.col("w") if "w" in tokens.columns else word_hashes(pl.col("tokens"))
    words = tokens.select("key", w=hashed).with_columns(n=pl.col("w").list.len())
    short = words.filter(pl.col("n").is_between(1, SHINGLE_WORDS - 1))
    short_hashes = tokens.join(
        short.select("key"),
        on="key",
        how="semi",
        maintain_order="left",
        # a text split by `word_tokens` is its words one space apart: that is the shingle
    ).select("key", h=pl.col("tokens").hash(seed=_SEED))
    long = words.filter(pl.col("n") >= SHINGLE_WORDS)
    counts = long["n"].to_numpy().astype(np.int64)
    w = long["w"].explode().to_numpy()
    # the 3-gram starting at every word: ((w0 * MIX) + w1) * MIX + w2, wrapping at 64 bits;
    # in place, on slices (no gathers: these arrays have a value per word of the batch)
    mix = np.uint64(_MIX)
    mixed = w[: len(w) - (SHINGLE_WORDS - 1)] * mix
    for i in range(1, SHINGLE_WORDS):
        mixed += w[i : len(w) - (SHINGLE_WORDS - 1) + i]
        if i < SHINGLE_WORDS - 1:
            mixed *= mix
    # a 3-gram whose last word is in the next text is not one: the last two words of each
    # text (but the last text, whose are cut off already) start none
    keep = np.ones(len(mixed), dtype=bool)
    ends = np.cumsum(counts)[:-1]
    for back in range(1, SHINGLE_WORDS):
        keep[ends - back] = False
    grams = pl.DataFrame(
        {
            "key": long["key"].to_numpy().repeat(counts - (SHINGLE_WORDS - 1)),
            "h": pl.Series(mixed[keep], dtype=pl.UInt64).hash(seed=_SEED),
        }
    )
    return pl.concat([grams, short_hashes])


def signatures(tokens: pl.DataFrame) -> pl.DataFrame:
    """(key, tokens) -> (key, signature): one-permutation MinHash, a list of NUM_PERM values
    (null where no shingle fell in the bucket); texts without words get no row. An optional
    column `w` holds the texts' `word_hashes` (see `shingle_hashes`)."""
    if tokens.height == 0:
        return pl.DataFrame(schema={"key": tokens.schema["key"], "signature": pl.List(pl.UInt64)})
    # numbered rows as keys, so a shingle's row is its position in the signature matrix
    numbered = tokens.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("key"),
        "tokens",
        *(["w"] if "w" in tokens.columns else []),
    )
    hashed = shingle_hashes(numbered)
    h = hashed["h"].to_numpy()
    # NUM_PERM is a power of two: the low bits pick the bucket (a mask, not a division)
    slot = hashed["key"].to_numpy().astype(np.int64) * NUM_PERM + (h & _BUCKET_MASK).astype(
        np.int64
    )
    # the smallest hash per (row, bucket), reduced in place: no group-by and pivot of
    # hundreds of shingles per posting
    smallest = np.full(tokens.height * NUM_PERM, np.iinfo(np.uint64).max, dtype=np.uint64)
    np.minimum.at(smallest, slot, h)
    filled = np.zeros(tokens.height * NUM_PERM, dtype=bool)
    filled[slot] = True
    values = pl.select(
        pl.when(pl.Series(filled)).then(pl.Series(smallest, dtype=pl.UInt64))
    ).to_series()
    matrix = values.reshape((tokens.height, NUM_PERM)).cast(pl.List(pl.UInt64))
    signed = filled.reshape(tokens.height, NUM_PERM).any(axis=1)
    return pl.DataFrame({"key": tokens["key"], "signature": matrix}).filter(pl.Series(signed))


def text_signatures(texts: pl.DataFrame) -> pl.DataFrame:
    """(key, text) -> (key, signature), see `signatures`."""
    return signatures(texts.select("key", tokens=word_tokens(pl.col("text"))))


def band_hash(signature: pl.Expr, band: int) -> pl.Expr:
    """The hash of one band of a signature (its ROWS_PER_BAND buckets): the stored band rows
    and the candidate search must agree on it."""
    return signature.list.slice(band * ROWS_PER_BAND, ROWS_PER_BAND).hash(seed=_SEED)


def band_hashes(signature: pl.Expr) -> pl.Expr:
    """The BANDS hashes of a signature's bands, as a list."""
    return pl.concat_list([band_hash(signature, b) for b in range(BANDS)])


def posting_bands(signed: pl.DataFrame) -> pl.DataFrame:
    """(batch_id, posting_id, title_key, signature) -> one row per band: (batch_id, posting_id,
    title_key, band, band_hash). Stored, so that the postings sharing a band with a new one
    are found by a join in the warehouse (`warehouse.assign_duplicates`)."""
    return (
        signed.select(
            "batch_id",
            "posting_id",
            "title_key",
            band=pl.int_ranges(0, BANDS, dtype=pl.Int32),
            band_hash=band_hashes(pl.col("signature")),
        )
        .explode("band", "band_hash")
        .select("posting_id", "batch_id", "title_key", "band", "band_hash")
    )


def candidate_rows(group: pl.Series, signature: pl.Series) -> pl.DataFrame:
    """Row numbers (a < b) of the signatures of one group that agree on a whole band.

    One band at a time, on integer rows and group numbers: the self-join's output is the
    only frame that grows with the data, and it holds two integers a row, not two keys."""
    n = signature.len()
    rows = pl.int_range(n, dtype=pl.UInt32, eager=True)
    # groups as numbers (a null group is a group of its own, as in a join on nulls)
    groups = group.rank("dense").fill_null(0).cast(pl.UInt32)
    found = []
    for band in range(BANDS):
        banded = pl.DataFrame({"a": rows, "g": groups}).with_columns(
            h=band_hash(pl.lit(signature), band)
        )
        found.append(
            banded.join(banded.rename({"a": "b"}), on=["g", "h"])
            .filter(pl.col("a") < pl.col("b"))
            .select("a", "b")
        )
    return pl.concat(found).unique().sort("a", "b")


#: Pairs whose signatures are compared at once (two NUM_PERM-long rows each).
ESTIMATE_BATCH_PAIRS = 100_000


def estimated_similarity(signature: pl.Series, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The signatures' estimate of the Jaccard similarity of rows a[i] and b[i]: the share of
    buckets they agree on among the buckets either has. Computed on the pairs' rows only, a
    batch of pairs at a time."""
    estimates = np.empty(len(a), dtype=np.float64)
    for start in range(0, len(a), ESTIMATE_BATCH_PAIRS):
        part = slice(start, start + ESTIMATE_BATCH_PAIRS)
        values_a, filled_a = _signature_matrix(signature.gather(a[part]))
        values_b, filled_b = _signature_matrix(signature.gather(b[part]))
        agree = (filled_a & filled_b & (values_a == values_b)).sum(axis=1)
        either = (filled_a | filled_b).sum(axis=1)
        estimates[part] = agree / np.maximum(either, 1)
    return estimates


def _signature_matrix(signature: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Signatures (lists of NUM_PERM values, null for an empty bucket) as a values matrix
    (0 where empty) and a matrix of which buckets are filled."""
    flat = signature.explode()
    if flat.len() != signature.len() * NUM_PERM:
        raise ValueError(f"signatures must have {NUM_PERM} buckets each")
    shape = (signature.len(), NUM_PERM)
    return (
        flat.fill_null(0).to_numpy().reshape(shape),
        flat.is_not_null().to_numpy().reshape(shape),
    )


#: Pairs whose exact similarity is computed at once: their postings' shingles are in memory
#: together, so this bounds the exact step's memory whatever the number of candidates
#: (at most twice as many postings as pairs).
JACCARD_BATCH_PAIRS = 2_000


def jaccard(texts: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """(key, text) of the postings in `pairs` -> each pair's Jaccard similarity of shingle
    sets, computed exactly (candidates are few, so the estimate is not needed here), a batch
    of JACCARD_BATCH_PAIRS pairs at a time."""
    parts = [
        _jaccard(texts, pairs.slice(start, JACCARD_BATCH_PAIRS))
        for start in range(0, pairs.height, JACCARD_BATCH_PAIRS)
    ]
    if not parts:
        return pairs.select("key_a", "key_b", similarity=pl.lit(None, pl.Float64))
    return pl.concat(parts)


def _jaccard(texts: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """`jaccard` of one batch of pairs: each text's distinct shingles as a list, and each
    pair's shared shingles counted by a list intersection (a join of the two texts'
    shingles built a row per shingle of every pair: 12.0 s against 4.3 s on a million
    postings' 29,280 candidate pairs). A pair with a text without shingles gets no row."""
    # integer ids for the batch's keys: the shingle sets are built and joined on them
    ids = (
        pl.concat([pairs["key_a"], pairs["key_b"]])
        .unique()
        .to_frame("key")
        .join(texts.select("key").unique(), on="key")
        .with_row_index("id")
    )
    sets = (
        shingle_hashes(
            texts.join(ids, on="key").select(key="id", tokens=word_tokens(pl.col("text")))
        )
        .group_by("key")
        .agg(pl.col("h").unique())
    )
    shared = pl.col("shingles_a").list.set_intersection("shingles_b").list.len()
    return (
        pairs.join(ids.rename({"key": "key_a", "id": "id_a"}), on="key_a")
        .join(ids.rename({"key": "key_b", "id": "id_b"}), on="key_b")
        .join(sets.select(id_a="key", shingles_a="h"), on="id_a")
        .join(sets.select(id_b="key", shingles_b="h"), on="id_b")
        .select(
            "key_a",
            "key_b",
            similarity=shared
            / (pl.col("shingles_a").list.len() + pl.col("shingles_b").list.len() - shared),
        )
    )


def near_pairs_of(
    signed: pl.DataFrame,
    texts_of,
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
    candidates: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """(key, group, signature) -> pairs (key_a < key_b) of one group whose shingle sets have
    a Jaccard similarity >= threshold. `texts_of(keys)` gives the (key, text) of the
    candidates' postings (from memory or from the warehouse).

    The candidates are the pairs of one group that agree on a whole band (`candidate_rows`),
    or, when given, the pairs of `candidates` (key_a, key_b): the same pairs found otherwise,
    e.g. by a join of the stored bands in the warehouse. `signed` then needs only the rows of
    their keys."""
    empty = pl.DataFrame(schema={"key_a": pl.String, "key_b": pl.String, "similarity": pl.Float64})
    if signed.height < 2:
        return empty
    if candidates is None:
        rows = candidate_rows(signed["group"], signed["signature"])
    else:
        rows = _rows_of_pairs(signed["key"], candidates)
    if rows.height == 0:
        return empty
    # the signatures' estimate first: only pairs it puts near the threshold are measured
    a, b = rows["a"].to_numpy(), rows["b"].to_numpy()
    likely = estimated_similarity(signed["signature"], a, b) >= threshold - ESTIMATE_MARGIN
    if not likely.any():
        return empty
    keys = signed["key"]
    found = pl.DataFrame({"a": keys.gather(a[likely]), "b": keys.gather(b[likely])})
    # each pair as (smaller key, larger key), like the canonical posting and its duplicate
    pairs = found.select(
        key_a=pl.min_horizontal("a", "b"), key_b=pl.max_horizontal("a", "b")
    ).unique()
    involved = pl.concat([pairs["key_a"], pairs["key_b"]]).unique()
    return (
        jaccard(texts_of(involved), pairs)
        .filter(pl.col("similarity") >= threshold)
        .sort("key_a", "key_b")
    )


def _rows_of_pairs(keys: pl.Series, pairs: pl.DataFrame) -> pl.DataFrame:
    """(a, b): the rows of `keys` of each pair (key_a, key_b) of `pairs`, once per pair
    whichever its order; a pair with a key not in `keys` is an error."""
    numbered = keys.to_frame("key").with_row_index("row")
    rows = (
        pairs.join(numbered.rename({"key": "key_a", "row": "a"}), on="key_a", how="left")
        .join(numbered.rename({"key": "key_b", "row": "b"}), on="key_b", how="left")
        .select("a", "b")
    )
    if rows.null_count().sum_horizontal().item():
        raise ValueError("candidate pairs name keys that have no signature row")
    return (
        rows.select(a=pl.min_horizontal("a", "b"), b=pl.max_horizontal("a", "b"))
        .filter(pl.col("a") < pl.col("b"))
        .unique()
        .sort("a", "b")
    )


def near_duplicate_pairs(
    texts: pl.DataFrame, threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> pl.DataFrame:
    """(key, text, group) -> pairs (key_a < key_b) of one group with similarity >= threshold."""
    texts = texts.filter(pl.col("text").is_not_null() & (pl.col("text").str.len_chars() > 0))
    signed = text_signatures(texts).join(texts.select("key", "group"), on="key")
    return near_pairs_of(
        signed, lambda keys: texts.filter(pl.col("key").is_in(keys.implode())), threshold
    )


def duplicate_groups(
    exact_pairs: list[tuple[str, str]], near_pairs: list[tuple[str, str]]
) -> dict[str, str]:
    """key -> canonical key (the smallest key of its group) for every key in a group of 2+."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in [*exact_pairs, *near_pairs]:
        ra, rb = find(a), find(b)
        if ra != rb:
            # the smaller key stays the root, so the root is always the group's minimum
            parent[max(ra, rb)] = min(ra, rb)
    return {k: root for k in sorted(parent) if (root := find(k)) != k}


FLAG_SCHEMA = {
    "batch_id": pl.String,
    "posting_id": pl.String,
    "duplicate_of": pl.String,
    "duplicate_of_batch_id": pl.String,
    "duplicate_reason": pl.String,
}
KEY_SEP = "\x00"  # sorts below every character, so keys order like (batch_id, posting_id)


def posting_key(batch_id: pl.Expr, posting_id: pl.Expr) -> pl.Expr:
    """One string per posting that orders like (batch_id, posting_id)."""
    return pl.concat_str(batch_id, pl.lit(KEY_SEP), posting_id)


def duplicate_flags(
    postings: pl.DataFrame, threshold: float = NEAR_DUPLICATE_THRESHOLD
) -> pl.DataFrame:
    """(batch_id, posting_id, dedup_key, text, title_key) of every posting in the warehouse ->
    the duplicates among them, each with its canonical posting and reason (see `flags`)."""
    frame = postings.with_columns(key=posting_key(pl.col("batch_id"), pl.col("posting_id")))
    near = near_duplicate_pairs(frame.select("key", "text", group="title_key"), threshold)
    return flags(frame.select("key", "dedup_key"), near)


def flags(keys: pl.DataFrame, near: pl.DataFrame) -> pl.DataFrame:
    """(key, dedup_key) of every posting and the near-duplicate pairs among them -> the
    duplicates, each with its canonical posting and reason.

    `exact`: same normalised description (dedup_key). `near-duplicate (similarity S)`: same
    title and a shingle (Jaccard) similarity S >= threshold with its canonical posting, or
    `near-duplicate (through a repost)` when it reached the group through another member.
    """
    exact = (
        keys.filter(pl.col("dedup_key").is_not_null())
        .with_columns(first=pl.col("key").min().over("dedup_key"))
        .filter(pl.col("key") != pl.col("first"))
        .select("first", "key")
    )
    canonical = duplicate_groups(
        list(exact.iter_rows()), list(near.select("key_a", "key_b").iter_rows())
    )
    if not canonical:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    involved = {*canonical, *canonical.values()}
    dedup_key = dict(keys.filter(pl.col("key").is_in(list(involved))).iter_rows())
    pair_similarity = {(a, b): s for a, b, s in near.iter_rows()}
    rows = []
    for key, first in sorted(canonical.items()):
        if dedup_key[key] is not None and dedup_key[key] == dedup_key[first]:
            reason = "exact"
        elif (first, key) in pair_similarity:
            reason = f"near-duplicate (similarity {pair_similarity[(first, key)]:.2f})"
        else:
            reason = "near-duplicate (through a repost)"
        batch_id, posting_id = key.split(KEY_SEP)
        first_batch, first_id = first.split(KEY_SEP)
        rows.append((batch_id, posting_id, first_id, first_batch, reason))
    return pl.DataFrame(rows, schema=FLAG_SCHEMA, orient="row")

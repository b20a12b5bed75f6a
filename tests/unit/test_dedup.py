"""Duplicate detection: exact and near (MinHash + LSH) with literal texts."""

import numpy as np
import polars as pl
import pytest

from pipeline.text import dedup
from pipeline.text.dedup import (
    NUM_PERM,
    duplicate_flags,
    duplicate_groups,
    near_duplicate_pairs,
    text_signatures,
)
from pipeline.text.normalise import word_tokens

POSTING = (
    "build retrieval pipelines over product documents evaluate model quality with offline "
    "test sets ship agents that call internal tools monitor latency and cost in production "
    "work with designers and product managers on new assistant features write clear design "
    "documents review code mentor engineers improve prompt templates run experiments on "
    "ranking and summarisation own the inference service and its dashboards on call rotation "
    "partner with data engineering on ingestion and labelling tools for support teams"
)
WORDS = POSTING.split(" ")
REPOST = POSTING.replace("on call rotation", "on call rotation every other month")
OTHER = " ".join(reversed(WORDS[:40])) + " design react components for analytics dashboards"


def test_signatures_read_lower_cased_words_and_give_short_texts_one_too():
    frame = pl.DataFrame(
        {
            "key": ["a", "b", "c", "d", "e"],
            "text": [
                "Build RAG, then ship it",
                "build rag -- THEN ship it!",
                "ship it then build rag",
                "Short text",
                "",
            ],
        }
    )
    signed = dict(text_signatures(frame).iter_rows())
    assert set(signed) == {"a", "b", "c", "d"}  # no words, no signature
    assert len(signed["a"]) == NUM_PERM
    # same words in the same order (case and punctuation aside): the same shingles
    assert signed["a"] == signed["b"]
    # same words in another order: other 3-grams
    assert signed["a"] != signed["c"]
    # fewer than three words: the whole text is one shingle, in one bucket
    assert sum(v is not None for v in signed["d"]) == 1


def test_a_texts_shingles_do_not_depend_on_the_texts_batched_with_it():
    texts = ["one two three", "solo", "a b c d", "two words", "", "x y z w v u"]
    tokens = pl.DataFrame({"key": range(len(texts)), "text": texts}).select(
        "key", tokens=word_tokens(pl.col("text"))
    )
    batched = dedup.shingle_hashes(tokens)
    for key, text in enumerate(texts):
        alone = dedup.shingle_hashes(tokens.filter(pl.col("key") == key))
        assert sorted(batched.filter(pl.col("key") == key)["h"]) == sorted(alone["h"])
        words = len(text.split())
        # n - 2 three-word shingles; one for a text of one or two words; none without words
        assert alone.height == (words - 2 if words >= 3 else min(words, 1))


def test_a_repost_with_a_small_edit_is_a_near_duplicate_of_the_same_title_only():
    texts = pl.DataFrame(
        {
            "key": ["1", "2", "3", "4"],
            "text": [POSTING, REPOST, OTHER, REPOST],
            "group": ["ai engineer", "ai engineer", "ai engineer", "data engineer"],
        }
    )
    pairs = near_duplicate_pairs(texts)
    assert pairs.select("key_a", "key_b").rows() == [("1", "2")]
    assert 0.9 <= pairs["similarity"][0] < 1.0
    # deterministic: the same input gives the same pairs and similarities
    assert near_duplicate_pairs(texts).equals(pairs)


def test_groups_take_their_smallest_key_as_canonical_even_through_a_chain():
    assert duplicate_groups([("b", "c")], [("a", "b")]) == {"b": "a", "c": "a"}
    assert duplicate_groups([], []) == {}


def test_duplicate_flags_name_the_canonical_posting_and_the_reason():
    postings = pl.DataFrame(
        {
            "batch_id": ["2026-02", "2026-01", "2026-02", "2026-02"],
            "posting_id": ["9", "5", "7", "8"],
            "dedup_key": ["k1", "k1", "k2", "k3"],
            "text": [POSTING, POSTING, REPOST, OTHER],
            "title_key": ["ai engineer"] * 4,
        }
    )
    flags = {r["posting_id"]: r for r in duplicate_flags(postings).iter_rows(named=True)}
    # the earliest batch holds the canonical posting, whatever the ids
    assert flags["9"]["duplicate_of"] == "5" and flags["9"]["duplicate_of_batch_id"] == "2026-01"
    assert flags["9"]["duplicate_reason"] == "exact"
    assert flags["7"]["duplicate_of"] == "5"
    assert flags["7"]["duplicate_reason"].startswith("near-duplicate (similarity 0.9")
    assert set(flags) == {"9", "7"}  # 5 is canonical, 8 is another posting


def _reposts(n: int) -> pl.DataFrame:
    """n postings of one title: pairs of a text and its repost, each pair on other words."""
    texts, keys = [], []
    for i in range(n // 2):
        words = [f"{w}{i}" if j % 5 == 0 else w for j, w in enumerate(WORDS)]
        text = " ".join(words)
        texts += [text, text.replace("on call rotation", "on call rotation every week")]
        keys += [f"{i:03d}a", f"{i:03d}b"]
    return pl.DataFrame({"key": keys, "text": texts, "group": ["ai engineer"] * len(keys)})


def test_batches_of_pairs_give_the_pairs_of_one_pass(monkeypatch):
    texts = _reposts(12)
    whole = near_duplicate_pairs(texts)
    assert whole.height == 6  # each text with its repost only
    monkeypatch.setattr(dedup, "ESTIMATE_BATCH_PAIRS", 1)
    monkeypatch.setattr(dedup, "JACCARD_BATCH_PAIRS", 1)
    assert near_duplicate_pairs(texts).equals(whole)


def test_candidate_rows_pair_rows_of_one_group_sharing_a_band():
    signed = text_signatures(
        pl.DataFrame({"key": ["a", "b", "c", "d"], "text": [POSTING, POSTING, POSTING, OTHER]})
    )
    rows = dedup.candidate_rows(pl.Series(["x", "x", None, None]), signed["signature"])
    # a and b: same group and signature; c is in the null group, with d only, another text
    assert rows.rows() == [(0, 1)]
    rows = dedup.candidate_rows(pl.Series([None, "x", None, None]), signed["signature"])
    assert rows.rows() == [(0, 2)]  # null groups match each other, like a join on nulls


def test_candidates_given_as_key_pairs_give_the_pairs_the_band_search_gives():
    # the last repost under another title: no pair with its original
    texts = _reposts(8).with_columns(
        group=pl.when(pl.col("key") == "003b")
        .then(pl.lit("other title"))
        .otherwise(pl.col("group"))
    )
    signed = text_signatures(texts).join(texts.select("key", "group"), on="key")

    def texts_of(keys: pl.Series) -> pl.DataFrame:
        return texts.filter(pl.col("key").is_in(keys.implode()))

    searched = dedup.near_pairs_of(signed, texts_of)
    assert searched.select("key_a", "key_b").rows() == [
        ("000a", "000b"),
        ("001a", "001b"),
        ("002a", "002b"),
    ]
    # the pairs agreeing on a band, as the warehouse's join of stored bands finds them (both
    # orders, and a pair listed twice), with only their keys' signature rows
    bands = signed.select(
        "key", "group", band=pl.int_ranges(0, dedup.BANDS), h=dedup.band_hashes(pl.col("signature"))
    ).explode("band", "h")
    joined = (
        bands.join(bands, on=["group", "band", "h"], suffix="_b")
        .filter(pl.col("key") != pl.col("key_b"))
        .select(key_a="key", key_b="key_b")
    )
    involved = pl.concat([joined["key_a"], joined["key_b"]]).unique()
    given = dedup.near_pairs_of(
        signed.filter(pl.col("key").is_in(involved.implode())), texts_of, candidates=joined
    )
    assert given.equals(searched)
    with pytest.raises(ValueError, match="no signature row"):
        dedup.near_pairs_of(signed.head(3), texts_of, candidates=joined)


def test_estimated_similarity_counts_buckets_either_signature_has():
    signature = pl.Series(
        [[1, 2, None, 4] + [None] * (NUM_PERM - 4), [1, 3, None, None] + [None] * (NUM_PERM - 4)],
        dtype=pl.List(pl.UInt64),
    )
    a, b = np.array([0, 0]), np.array([1, 0])
    # agree on bucket 0 of the 3 buckets either has; a signature with itself: 1
    assert dedup.estimated_similarity(signature, a, b).tolist() == [1 / 3, 1.0]


def test_exact_jaccard_counts_distinct_shingles_of_each_pair():
    texts = pl.DataFrame(
        {
            "key": ["a", "b", "c", "d", "e", "f"],
            "text": [
                "Build, test and ship",  # shingles: build test and / test and ship
                "build test and deploy",  # build test and / test and deploy
                "build test and build test and",  # 3 distinct of 4: a repeat counts once
                "",  # no word: no shingle
                "ship it",  # two words: one shingle
                "SHIP   it!",
            ],
        }
    )
    pairs = pl.DataFrame(
        {
            "key_a": ["a", "a", "c", "a", "e"],
            "key_b": ["b", "c", "d", "a", "f"],
        }
    )
    got = {(a, b): s for a, b, s in dedup.jaccard(texts, pairs).iter_rows()}
    assert got == {
        ("a", "b"): 1 / 3,
        ("a", "c"): 1 / 4,  # shared: build test and; union: 2 + 3 - 1
        ("a", "a"): 1.0,
        ("e", "f"): 1.0,
    }  # (c, d) has no row: d has no shingle
    # pairs are measured in batches: the same answers one pair at a time
    for a, b in got:
        one = pairs.filter((pl.col("key_a") == a) & (pl.col("key_b") == b))
        assert dedup.jaccard(texts, one)["similarity"].to_list() == [got[(a, b)]]

"""Rules-based, multi-label category classifier for responsibilities.

Scoring (Polars expressions find the matches; the sums over them are numpy array operations,
see ``scoring``; no Python loop runs per item):

1. Normalise each text once (``normalize_text_expr``): lower-case; drop possessive "'s";
   every run of characters that are not letters, digits or clause separators becomes one
   space ("AI-powered" -> "ai powered", "CI/CD" -> "ci cd"); commas, semicolons and colons
   become " , " so that the items of a list ("product, data, engineering teams") do not run
   together into a phrase. Null text becomes "" and ends up as ``other``.
2. For every pattern of every category (category-level and sub-pattern patterns alike) find
   the character offset of its first match (``str.find``; patterns with upper-case literals
   get ``(?i)``). A pattern is only searched in the texts that hold its required literals
   (``literals``: one Aho-Corasick pass over the texts finds them for every pattern; a text
   without them cannot match, so the offsets are the same). A match adds the pattern's
   weight to its category. A positive weight is
   boosted by up to ``POSITION_BOOST`` (x1.5 at offset 0, decaying linearly to x1.0 at
   ``POSITION_SPAN`` characters) because the head of a responsibility ("Collaborate with...",
   "Fine-tune...", "Stay current with...") usually names the problem it addresses.
   Negative weights (dampers for misleading contexts) are added unboosted.
3. Example similarity, a second, lexical signal for wordings the patterns miss: every
   category has a TF-IDF profile built once per taxonomy object from its example
   responsibilities (``Category.all_examples``: the category's ``examples``, its
   ``what_people_do`` and its sub-patterns' ``examples``). Terms are stemmed word unigrams
   and bigrams without stopwords (``_terms``); a profile's term weight is
   ``(1 + log tf) * idf`` with idf over the profiles, so words every category uses ("build",
   "ai") count little. An item's cosine similarity ``sim`` to a profile adds
   ``example_weight * clip((sim - EXAMPLE_FLOOR) / (EXAMPLE_CEILING - EXAMPLE_FLOOR), 0, 1)``
   (default weight 1.0: at most one clear cue) to that category's raw score and is reported
   in ``evidence`` as ``example:<category>=<sim>``. ``example_weight=0`` switches it off.
4. A category's raw score is the sum of its contributions, floored at 0. When the taxonomy
   defines ``ai_context`` (a regex saying the item concerns AI at all) and the item does not
   match it, the raw score of a category with ``ai_context_factor < 1`` (problems that only
   count when they concern AI: production operations, speed, UI, security) is multiplied by
   that factor, so generic software duties fall back to a weaker label or to ``other`` as
   the annotation guide asks. The raw score is squashed into [0, 1) with
   ``score = 1 - exp(-raw)``: one clear cue (weight 1.0) scores 0.63-0.78 depending on where
   it sits, two clear cues about 0.86 or more.
5. Labels are the categories with ``score >= min_score`` (default 0.55, i.e. raw >= 0.8:
   one clear cue, or several weak ones) and, after the first, ``score >= min_relative *``
   the item's best score (default 0.7), so a weak side mention does not ride along with a
   strong primary; a third or later label needs ``score >= max(min_relative,
   min_relative_third) *`` the best score (default 0.74): most responsibilities address
   one or two problems, so a third is kept only when it is nearly as clear. At most
   ``max_labels`` per item, ordered by score (descending) then taxonomy order, ranked 1..n.
   An item with no label gets one ``other`` row: rank 1, score 0.0, null subpattern, empty
   evidence.
6. ``subpattern`` is the category's sub-pattern with the largest positive contribution
   (ties: taxonomy order), null when only category-level patterns matched; ``evidence`` is
   the comma-separated ids of the category's matched positive-weight patterns, in taxonomy
   order, followed by ``example:<category>=<sim>`` when the example similarity contributed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import polars as pl

from pipeline.classify.literals import candidate_rows, required_literals
from pipeline.classify.scoring import (
    Matches,
    best_subpatterns,
    contributions,
    evidence_ids,
    pattern_sums,
    pattern_table,
)
from pipeline.parallel import map_in_threads, row_slices, workers
from pipeline.taxonomy import FALLBACK_CATEGORY, Category, Taxonomy
from pipeline.text.normalise import is_ascii

__all__ = [
    "DEFAULT_EXAMPLE_WEIGHT",
    "DEFAULT_MAX_LABELS",
    "DEFAULT_MIN_RELATIVE",
    "DEFAULT_MIN_RELATIVE_THIRD",
    "DEFAULT_MIN_SCORE",
    "OUTPUT_SCHEMA",
    "classifier_name",
    "classify_responsibilities",
    "classify_texts",
    "normalize_text_expr",
]

DEFAULT_MAX_LABELS = 3
DEFAULT_MIN_SCORE = 0.55
DEFAULT_MIN_RELATIVE = 0.7
#: A third (or later) label must reach this fraction of the item's best score.
DEFAULT_MIN_RELATIVE_THIRD = 0.74
BATCH_ROWS = 25_000
#: Example similarity: a category whose example profile has cosine similarity ``sim`` with
#: the item adds ``example_weight * clip((sim - EXAMPLE_FLOOR) / (EXAMPLE_CEILING -
#: EXAMPLE_FLOOR), 0, 1)`` to its raw score (nothing at or below the floor; profiles are
#: long, so cosines of short items stay small and 0.2 is already a very close match).
DEFAULT_EXAMPLE_WEIGHT = 1.0
EXAMPLE_FLOOR = 0.065
EXAMPLE_CEILING = 0.2

# Function words carry no category signal and are dropped before terms are formed.
_STOPWORD_TEXT = """
    a an the and or but nor of to in on at by for with from into onto over under as is are be
    been being was were it its this that these those their our your my we you they he she them
    us i me which who whom whose what when where while how than then so such via per across
    within without about around through throughout between among up down out off other others
    all any each every both either more most less many much few several some new also etc e g
    ie eg can will would should could may might must shall do does did done has have had not
    no only own same very just using use used including include includes like well
"""
_STOPWORDS = tuple(_STOPWORD_TEXT.split())
# Crude suffix stripping so that "deploying", "deployed" and "deploys" share one term.
_STEM = r"^([a-z0-9]{3,}?)(?:ies|ations?|ings?|ers?|ed|es|s|ly|e)$"

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "posting_id": pl.String(),
    "position": pl.Int64(),
    "category": pl.String(),
    "subpattern": pl.String(),
    "rank": pl.Int32(),
    "score": pl.Float64(),
    "classifier": pl.String(),
    "evidence": pl.String(),
}

_ROW = "__row"
_AI = "__ai"
_TEXT = "__text"


def classifier_name(taxonomy: Taxonomy) -> str:
    return f"rules:{taxonomy.label}"


def normalize_text_expr(column: str = "text") -> pl.Expr:
    """Lower-case, drop possessive 's, turn punctuation runs into one space and clause
    separators (, ; :) into " , ", trim. Null becomes ""."""
    return (
        pl.col(column)
        .cast(pl.String)
        .fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"['\u2019]s\b", "")
        # a run of other characters becomes one space; the runs that are one space already
        # (between nearly every two words) are left unmatched: replacing them is most of the
        # cost of `[^\p{L}\p{N},;:]+` and changes nothing
        .str.replace_all(r"[^\p{L}\p{N},;:]*[^\p{L}\p{N},;: ][^\p{L}\p{N},;:]*| {2,}", " ")
        .str.replace_all(r"\s*[,;:][\s,;:]*", " , ")
        .str.strip_chars(" ,")
    )


# The regex rewrites are pure functions of a pattern, asked for every pattern of every batch:
# worked out once each (a few hundred patterns).
@lru_cache(maxsize=4096)
def _case_insensitive(regex: str) -> str:
    """Make ``regex`` match the lower-cased text case-insensitively.

    The text is already lower-case, so a pattern without upper-case literals matches as is;
    only patterns with upper-case literals get the (slower to compile) ``(?i)`` flag.
    """
    i = 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            # skip the escaped character, and a \p{...} / \P{...} class name
            if regex[i + 1 : i + 2] in ("p", "P") and regex[i + 2 : i + 3] == "{":
                end = regex.find("}", i)
                i = end + 1 if end > 0 else len(regex)
            else:
                i += 2
            continue
        if ch.isupper():
            return "(?i)" + regex
        i += 1
    return regex


@lru_cache(maxsize=4096)
def ascii_word_boundaries(regex: str) -> str:
    """``regex`` with its word boundaries (``\\b``, ``\\B``, outside character classes) made
    ASCII-only: ``(?-u:\\b)``.

    On a text of ASCII characters only, both kinds of boundary are at the same places (an
    ASCII character is a word character under both definitions or under neither), and the
    regex engine finds the ASCII kind faster: about a quarter less time over the taxonomy's
    patterns."""
    out: list[str] = []
    depth = 0  # inside how many character classes ([...], nested in Rust's syntax)
    i = 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\" and i + 1 < len(regex):
            pair = regex[i : i + 2]
            out.append(f"(?-u:{pair})" if depth == 0 and pair in ("\\b", "\\B") else pair)
            i += 2
            continue
        if ch == "[":
            depth += 1
            out.append(ch)
            i += 1
            # a "]" right after "[" or "[^" is a literal, not the class's end
            if regex[i : i + 1] == "^":
                out.append("^")
                i += 1
            if regex[i : i + 1] == "]":
                out.append("]")
                i += 1
            continue
        if ch == "]" and depth:
            depth -= 1
        out.append(ch)
        i += 1
    return "".join(out)


def _first_matches(base: pl.DataFrame, regexes: list[str]) -> Matches:
    """The first match of each regex in each row of ``base``'s text (``Matches``, rows as in
    ``base``).

    The texts of ASCII characters only (nearly all) are searched with ASCII word boundaries
    (``ascii_word_boundaries``: the same answers there), and each regex only in the texts that
    hold one of its required literals (``literals``: one Aho-Corasick pass for all regexes);
    the other texts with every regex as written."""
    texts = base[_TEXT]
    ascii_only = pl.select(is_ascii(pl.lit(texts))).to_series()
    found: list[tuple[np.ndarray, int, np.ndarray]] = []  # (rows, pattern, offsets)

    def search(rows: np.ndarray, subset: pl.Series, k: int, regex: str) -> None:
        offsets = subset.str.find(regex)
        hit = offsets.is_not_null().to_numpy()
        if hit.any():
            found.append((rows[hit], k, offsets.filter(pl.Series(hit)).to_numpy()))

    ascii_rows = np.flatnonzero(ascii_only.to_numpy())
    ascii_texts = texts.gather(ascii_rows)
    candidates = candidate_rows(ascii_texts, [required_literals(r) for r in regexes])
    for k, (regex, at) in enumerate(zip(regexes, candidates, strict=True)):
        if at is None:
            search(ascii_rows, ascii_texts, k, ascii_word_boundaries(regex))
        elif len(at):
            search(ascii_rows[at], ascii_texts.gather(at), k, ascii_word_boundaries(regex))
    other_rows = np.flatnonzero(~ascii_only.to_numpy())
    if len(other_rows):
        other_texts = texts.gather(other_rows)
        for k, regex in enumerate(regexes):
            search(other_rows, other_texts, k, regex)
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return Matches(empty, empty, np.zeros(0, dtype=np.float64))
    row = np.concatenate([rows for rows, _, _ in found]).astype(np.int64)
    pattern = np.concatenate([np.full(len(rows), k, dtype=np.int64) for rows, k, _ in found])
    offset = np.concatenate([offsets for _, _, offsets in found]).astype(np.float64)
    # collected pattern by pattern (a row is in one of the two groups): a stable sort by row
    # makes it (row, pattern), as ``matches_of``
    order = np.argsort(row, kind="stable")
    return Matches(row[order], pattern[order], offset[order])


def _terms(frame: pl.LazyFrame, key: str, *, counts: bool = False) -> pl.LazyFrame:
    """(key, term) for the unigram and bigram terms of the normalised ``__text`` column,
    unique per key (or with their count ``__tf`` when ``counts``).

    Tokens are stemmed (``_STEM``) and stopwords dropped before bigrams are formed, so "deploy
    models to production" yields "deploy model", "model production"; terms never span a
    clause separator."""
    # flat (one row per token) rather than per-row lists: list.eval is much slower
    tokens = (
        frame.select(key, __tok=pl.col(_TEXT).str.split(" "))
        .explode("__tok")
        .filter(pl.col("__tok").is_not_null() & (pl.col("__tok") != ""))
        .filter(~pl.col("__tok").is_in(list(_STOPWORDS)))
    )
    # tokens repeat a lot: each distinct one is stemmed once
    vocabulary = tokens.select("__tok").unique()
    stems = vocabulary.with_columns(__stem=pl.col("__tok").str.replace(_STEM, "${1}"))
    tokens = tokens.join(stems, on="__tok", how="left", maintain_order="left")
    # a token and the next one of the same row make a bigram
    same_row = pl.col(key).shift(-1) == pl.col(key)
    pairs = pl.when(same_row).then(pl.col("__stem") + " " + pl.col("__stem").shift(-1))
    terms = pl.concat(
        [
            tokens.select(key, term="__stem"),
            tokens.select(key, term=pairs),
        ]
    ).filter(pl.col("term").is_not_null() & ~pl.col("term").str.contains(",", literal=True))
    if counts:
        return terms.group_by(key, "term").agg(pl.len().cast(pl.Float64).alias("__tf"))
    return terms.unique()


@dataclass(frozen=True)
class _ExampleIndex:
    """One TF-IDF profile per category, built from all of its example responsibilities
    (``Category.all_examples``) once per taxonomy object: term weight ``(1 + log tf) * idf``
    with idf over the categories' profiles, L2-normalised."""

    idf: pl.DataFrame  # term, __idf, __tid (row of `weights`)
    categories: tuple[int, ...]  # taxonomy index of each column of `weights`
    weights: np.ndarray  # (terms, categories): the profiles' L2-normalised term weights
    oov_idf: float


_INDEX_CACHE: dict[int, tuple[Taxonomy, _ExampleIndex | None]] = {}


def _example_index(taxonomy: Taxonomy) -> _ExampleIndex | None:
    cached = _INDEX_CACHE.get(id(taxonomy))
    if cached is not None and cached[0] is taxonomy:
        return cached[1]
    cis: list[int] = []
    texts: list[str] = []
    for ci, cat in enumerate(taxonomy.categories):
        if cat.id == FALLBACK_CATEGORY or not cat.all_examples:
            continue
        cis.append(ci)
        # " , " keeps bigrams from spanning two examples
        texts.append(" , ".join(text for _, text in cat.all_examples))
    index: _ExampleIndex | None = None
    if texts:
        frame = pl.LazyFrame(
            {"__ci": cis, "text": texts}, schema={"__ci": pl.Int32, "text": pl.String}
        ).select("__ci", normalize_text_expr("text").alias(_TEXT))
        terms = _terms(frame, "__ci", counts=True).collect()
        n = len(texts)
        idf = (
            terms.group_by("term")
            .agg(pl.len().alias("__df"))
            .select("term", ((n + 1) / (pl.col("__df") + 1)).log().add(1.0).alias("__idf"))
        )
        idf = idf.sort("term").with_row_index("__tid")
        postings = (
            terms.join(idf, on="term")
            .with_columns(((1.0 + pl.col("__tf").log()) * pl.col("__idf")).alias("__w"))
            .select(
                "__tid",
                "__ci",
                (pl.col("__w") / (pl.col("__w") ** 2).sum().over("__ci").sqrt()).alias("__w"),
            )
        )
        weights = np.zeros((idf.height, len(cis)), dtype=np.float64)
        column = {ci: j for j, ci in enumerate(cis)}
        weights[
            postings["__tid"].to_numpy(),
            postings["__ci"].replace_strict(column, return_dtype=pl.Int64).to_numpy(),
        ] = postings["__w"].to_numpy()
        index = _ExampleIndex(
            idf=idf, categories=tuple(cis), weights=weights, oov_idf=math.log(n + 1) + 1.0
        )
    if len(_INDEX_CACHE) > 16:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[id(taxonomy)] = (taxonomy, index)
    return index


def _example_similarity(base: pl.DataFrame, index: _ExampleIndex) -> pl.DataFrame:
    """One column ``__xs<ci>`` per profiled category: the cosine similarity of each row's
    terms to the category's profile (0.0 when they share no term), in ``base``'s row order.
    Terms unknown to every profile count in the row's norm with the highest idf.

    The terms are those of ``_terms`` (stemmed unigrams and bigrams of the tokens left after
    the stopwords, never across a clause separator), worked out on integer codes: each
    distinct token is stemmed once, each distinct stem numbered, a bigram is the pair of its
    stems' numbers, and a row's distinct terms come from one sort of (row, term) codes. The
    product of the rows' known terms with the profiles' dense (terms x categories) weights is
    summed per row with ``np.bincount``: no string is built per term and no join repeats a
    term once per category sharing it."""
    terms = _row_terms(base, index)
    rows, tids, idf = terms.rows, terms.tids, terms.idf
    norm = np.sqrt(np.bincount(rows, idf * idf, minlength=base.height))
    known = tids >= 0
    rows, tids = rows[known], tids[known]
    x = idf[known] / norm[rows]
    # one category at a time, from its row of the transposed weights (small enough to stay
    # in cache): a (terms x categories) product matrix would be read column by column
    by_category = np.ascontiguousarray(index.weights.T)
    return pl.DataFrame(
        {
            # rounded so that float noise in the sum cannot change a label
            f"__xs{ci}": np.round(
                np.bincount(rows, by_category[j][tids] * x, minlength=base.height), 6
            )
            for j, ci in enumerate(index.categories)
        }
    )


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (a sort and a neighbour test: numpy's hash-based
    ``np.unique`` took several times longer on millions of int64 codes)."""
    # stable: a merge-based sort, several times faster here (the values come in runs by row)
    ordered = np.sort(values, kind="stable")
    if len(ordered) == 0:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


@dataclass(frozen=True)
class _RowTerms:
    """Every distinct (row, term) of a batch: the row, the term's row in the profiles'
    weights (-1 when no profile has it) and its idf (the out-of-vocabulary idf if unknown)."""

    rows: np.ndarray
    tids: np.ndarray
    idf: np.ndarray


def _row_terms(base: pl.DataFrame, index: _ExampleIndex) -> _RowTerms:
    tokens = (
        base.select(_ROW, __tok=pl.col(_TEXT).str.split(" "))
        .explode("__tok")
        .filter(pl.col("__tok").is_not_null() & (pl.col("__tok") != ""))
        .filter(~pl.col("__tok").is_in(list(_STOPWORDS)))
    )
    # each distinct token stemmed once, each distinct stem numbered (in stem order)
    vocabulary = (
        tokens.select("__tok")
        .unique()
        .with_columns(__stem=pl.col("__tok").str.replace(_STEM, "${1}"))
    )
    stems = vocabulary.select("__stem").unique().sort("__stem").with_row_index("__sid")
    coded = tokens.join(
        vocabulary.join(stems, on="__stem").select("__tok", "__sid"),
        on="__tok",
        how="left",
        maintain_order="left",
    )
    rows = coded[_ROW].to_numpy().astype(np.int64)
    sids = coded["__sid"].to_numpy().astype(np.int64)
    n_stems = max(stems.height, 1)
    separator = stems.filter(pl.col("__stem").str.contains(",", literal=True))["__sid"]
    is_separator = np.zeros(n_stems, dtype=bool)
    is_separator[separator.to_numpy()] = True

    # unigrams: stems other than the clause separator; bigrams: two consecutive stems of a
    # row, neither a separator, coded as first * n_stems + second (after every unigram code)
    unigram = ~is_separator[sids]
    pair = (rows[:-1] == rows[1:]) & unigram[:-1] & unigram[1:]
    term_rows = np.concatenate([rows[unigram], rows[:-1][pair]])
    codes = np.concatenate([sids[unigram], n_stems + sids[:-1][pair] * n_stems + sids[1:][pair]])
    span = n_stems + n_stems * n_stems
    distinct = _sorted_unique(term_rows * span + codes)
    term_rows, codes = distinct // span, distinct % span

    # the profiles' terms in the same codes: a unigram is its stem's number, a bigram the
    # pair of its stems' numbers (terms with a stem this batch does not have cannot occur)
    known = index.idf.with_columns(__parts=pl.col("term").str.split(" ")).with_columns(
        __first=pl.col("__parts").list.get(0),
        __second=pl.col("__parts").list.get(1, null_on_oob=True),
    )
    sid_of = stems.rename({"__stem": "__first", "__sid": "__a"})
    known = known.join(sid_of, on="__first").join(
        sid_of.rename({"__first": "__second", "__a": "__b"}), on="__second", how="left"
    )
    known_codes = np.where(
        known["__second"].is_null().to_numpy(),
        known["__a"].to_numpy().astype(np.int64),
        n_stems
        + known["__a"].to_numpy().astype(np.int64) * n_stems
        + known["__b"].fill_null(0).to_numpy().astype(np.int64),
    )
    keep = known["__second"].is_null().to_numpy() | known["__b"].is_not_null().to_numpy()
    order = np.argsort(known_codes[keep], kind="stable")
    sorted_codes = known_codes[keep][order]
    sorted_tids = known["__tid"].to_numpy().astype(np.int64)[keep][order]
    sorted_idf = known["__idf"].to_numpy()[keep][order]

    at = np.searchsorted(sorted_codes, codes)
    found = at < len(sorted_codes)
    found[found] = sorted_codes[at[found]] == codes[found]
    tids = np.full(len(codes), -1, dtype=np.int64)
    idf = np.full(len(codes), index.oov_idf, dtype=np.float64)
    tids[found] = sorted_tids[at[found]]
    idf[found] = sorted_idf[at[found]]
    return _RowTerms(term_rows, tids, idf)


def _candidates(
    base: pl.DataFrame, cats: list[tuple[int, Category]], example_weight: float, min_score: float
) -> pl.DataFrame:
    """(_ROW, posting_id, position, order, category, score, evidence, subpattern) for every
    (row, category) whose score reaches ``min_score``; ``order`` is the category's position
    in ``cats`` (taxonomy order). Scores are summed over the rows' pattern matches only (see
    ``scoring``); the example contribution comes last, as in the rules' sum."""
    table = pattern_table([cat for _, cat in cats])
    matches = _first_matches(base, [_case_insensitive(r) for r in table.regexes])
    contribution = contributions(matches, table)
    n = base.height
    raw = pattern_sums(matches, contribution, table, n)
    if example_weight > 0:
        sims = np.column_stack([base[f"__xs{ci}"].to_numpy() for ci, _ in cats])
        closeness = np.clip((sims - EXAMPLE_FLOOR) / (EXAMPLE_CEILING - EXAMPLE_FLOOR), 0.0, 1.0)
        example = example_weight * closeness
        raw = raw + example
    else:
        sims = example = np.zeros_like(raw)
    raw = np.maximum(raw, 0.0)
    # categories that only count when the item concerns AI (a factor of 1.0 changes nothing)
    about_ai = base[_AI].fill_null(False).to_numpy()
    factor = np.array([cat.ai_context_factor for _, cat in cats], dtype=np.float64)
    raw = np.where(about_ai[:, None], raw, raw * factor)

    scores = pl.select(score=(1.0 - (-pl.Series(raw.ravel())).exp()).round(4)).to_series()
    kept = np.flatnonzero((scores >= min_score).to_numpy())
    width = len(cats)
    at_rows, at_cats = kept // width, kept % width
    ids = [cat.id for _, cat in cats]
    shown_example = example[at_rows, at_cats] > 0
    return (
        pl.DataFrame(
            {
                _ROW: pl.Series(at_rows, dtype=pl.UInt32),
                "posting_id": base["posting_id"].gather(at_rows),
                "position": base["position"].gather(at_rows),
                "order": pl.Series(at_cats, dtype=pl.Int32),
                "category": pl.Series(ids, dtype=pl.String).gather(at_cats),
                "score": scores.gather(kept),
                "__sim": sims[at_rows, at_cats],
                "__example": shown_example,
                "subpattern": best_subpatterns(matches, contribution, table, n, at_rows, at_cats),
            }
        )
        .with_row_index("__pair")
        .join(
            evidence_ids(matches, table, n, at_rows, at_cats),
            on="__pair",
            how="left",
            maintain_order="left",
        )
        .select(
            _ROW,
            "posting_id",
            "position",
            "order",
            "category",
            "score",
            evidence=pl.concat_str(
                pl.col("__ids"),
                pl.when(pl.col("__example")).then(
                    pl.lit("example:")
                    + pl.col("category")
                    + pl.lit("=")
                    + pl.col("__sim").round(2).cast(pl.String)
                ),
                separator=",",
                ignore_nulls=True,
            ).fill_null(""),
            subpattern="subpattern",
        )
    )


def _empty_output() -> pl.DataFrame:
    return pl.DataFrame(schema=OUTPUT_SCHEMA)


def classify_responsibilities(
    df: pl.DataFrame,
    taxonomy: Taxonomy,
    *,
    max_labels: int = DEFAULT_MAX_LABELS,
    min_score: float = DEFAULT_MIN_SCORE,
    min_relative: float = DEFAULT_MIN_RELATIVE,
    example_weight: float = DEFAULT_EXAMPLE_WEIGHT,
    min_relative_third: float = DEFAULT_MIN_RELATIVE_THIRD,
) -> pl.DataFrame:
    """Label each (posting_id, position, text) row with up to ``max_labels`` categories.

    Returns one row per label with columns ``OUTPUT_SCHEMA``, sorted by input order then rank.
    Every input row yields at least one row (``other`` when nothing reaches ``min_score``).
    """
    missing = {"posting_id", "position", "text"} - set(df.columns)
    if missing:
        raise ValueError(f"classify_responsibilities: missing columns {sorted(missing)}")
    if max_labels < 1:
        raise ValueError("max_labels must be >= 1")
    if df.height == 0:
        return _empty_output()
    # Labels depend on the text alone, and responsibilities repeat across postings (reposts,
    # employers' templates, stock phrases): each distinct text is scored once.
    rows = df.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW),
        pl.col("posting_id").cast(pl.String),
        pl.col("position").cast(pl.Int64),
        pl.col("text").cast(pl.String),
    )
    distinct = (
        rows.select("text")
        .unique(maintain_order=True)
        .select(
            pl.lit("").alias("posting_id"),
            pl.int_range(pl.len(), dtype=pl.Int64).alias("position"),
            "text",
        )
    )
    # Scoring is vectorised over rows; batches bound the memory of the wide intermediate
    # frame (two columns per pattern) on very large inputs, and run in threads (one per core).
    # A batch's labels depend on its own texts only.
    batches = row_slices(distinct, max(workers(), -(-distinct.height // BATCH_ROWS)))
    parts = map_in_threads(
        lambda batch: _classify_batch(
            batch,
            taxonomy,
            max_labels,
            min_score,
            min_relative,
            example_weight,
            max(min_relative, min_relative_third),
        ),
        batches,
    )
    labelled = (parts[0] if len(parts) == 1 else pl.concat(parts, how="vertical")).rename(
        {"position": "__text_id"}
    )
    return (
        rows.join(
            distinct.select("text", __text_id="position"), on="text", how="left", nulls_equal=True
        )
        .join(labelled.drop("posting_id"), on="__text_id")
        .sort(_ROW, "rank")
        .select(list(OUTPUT_SCHEMA))
    )


def _classify_batch(
    df: pl.DataFrame,
    taxonomy: Taxonomy,
    max_labels: int,
    min_score: float,
    min_relative: float,
    example_weight: float,
    min_relative_third: float,
) -> pl.DataFrame:
    cats = [
        (ci, c)
        for ci, c in enumerate(taxonomy.categories)
        if c.id != FALLBACK_CATEGORY and c.all_patterns
    ]
    classifier = classifier_name(taxonomy)

    base = (
        df.lazy()
        .select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(_ROW),
            pl.col("posting_id").cast(pl.String),
            pl.col("position").cast(pl.Int64),
            normalize_text_expr("text").alias(_TEXT),
        )
        .with_columns(
            (
                pl.col(_TEXT).str.contains(_case_insensitive(taxonomy.ai_context))
                if taxonomy.ai_context
                else pl.lit(True)
            ).alias(_AI)
        )
        .collect()
    )

    index = _example_index(taxonomy) if example_weight > 0 and cats else None
    if index is None:
        example_weight = 0.0
    else:
        sims = _example_similarity(base, index)
        profiled = set(index.categories)
        base = pl.concat([base, sims], how="horizontal").with_columns(
            pl.lit(0.0).alias(f"__xs{ci}") for ci, _ in cats if ci not in profiled
        )
    rows = base.lazy().select(_ROW, "posting_id", "position")
    if not cats:
        labels = rows.head(0).with_columns(
            pl.lit(None, dtype=pl.String).alias("category"),
            pl.lit(None, dtype=pl.String).alias("subpattern"),
            pl.lit(None, dtype=pl.Int32).alias("rank"),
            pl.lit(None, dtype=pl.Float64).alias("score"),
            pl.lit(None, dtype=pl.String).alias("evidence"),
        )
    else:
        labels = (
            _candidates(base, cats, example_weight, min_score)
            .lazy()
            .sort([_ROW, "score", "order"], descending=[False, True, False])
            .with_columns(
                pl.col("score").max().over(_ROW).alias("__top"),
                (pl.col(_ROW).cum_count().over(_ROW)).cast(pl.Int32).alias("rank"),
            )
            .filter(
                (pl.col("rank") <= max_labels)
                & ((pl.col("rank") == 1) | (pl.col("score") >= min_relative * pl.col("__top")))
                & (
                    (pl.col("rank") <= 2)
                    | (pl.col("score") >= min_relative_third * pl.col("__top"))
                )
            )
            .select(
                _ROW,
                "posting_id",
                "position",
                "category",
                "subpattern",
                "rank",
                "score",
                "evidence",
            )
        )

    fallback = (
        rows.join(labels.select(_ROW).unique(), on=_ROW, how="anti")
        .with_columns(
            pl.lit(FALLBACK_CATEGORY).alias("category"),
            pl.lit(None, dtype=pl.String).alias("subpattern"),
            pl.lit(1, dtype=pl.Int32).alias("rank"),
            pl.lit(0.0).alias("score"),
            pl.lit("").alias("evidence"),
        )
        .select(
            _ROW, "posting_id", "position", "category", "subpattern", "rank", "score", "evidence"
        )
    )
    out = (
        pl.concat([labels, fallback], how="vertical")
        .sort([_ROW, "rank"])
        .with_columns(pl.lit(classifier).alias("classifier"))
        .select(list(OUTPUT_SCHEMA))
        .cast(OUTPUT_SCHEMA)
    )
    return out.collect()


def classify_texts(
    texts: list[str],
    taxonomy: Taxonomy,
    *,
    max_labels: int = DEFAULT_MAX_LABELS,
    min_score: float = DEFAULT_MIN_SCORE,
    min_relative: float = DEFAULT_MIN_RELATIVE,
    example_weight: float = DEFAULT_EXAMPLE_WEIGHT,
    min_relative_third: float = DEFAULT_MIN_RELATIVE_THIRD,
) -> pl.DataFrame:
    """Classify bare strings: ``posting_id`` is "" and ``position`` is the index in ``texts``."""
    df = pl.DataFrame(
        {
            "posting_id": [""] * len(texts),
            "position": list(range(len(texts))),
            "text": list(texts),
        },
        schema={"posting_id": pl.String, "position": pl.Int64, "text": pl.String},
    )
    return classify_responsibilities(
        df,
        taxonomy,
        max_labels=max_labels,
        min_score=min_score,
        min_relative=min_relative,
        example_weight=example_weight,
        min_relative_third=min_relative_third,
    )

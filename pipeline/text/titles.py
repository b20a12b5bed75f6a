"""Job-title normalisation: seniority and level words out (token-wise), kept separately.

"Senior AI Engineer" -> title "AI Engineer", seniority "senior". Parenthetical qualifiers
("(Remote)", "(Contract)") are removed too, so titles group the way a reader groups them.
"""

from __future__ import annotations

import polars as pl

SENIORITY_WORDS = (
    "senior",
    "sr",
    "snr",
    "staff",
    "lead",
    "principal",
    "junior",
    "jr",
    "associate",
    "entry-level",
    "mid-level",
    "intern",
    "i",
    "ii",
    "iii",
    "iv",
    "v",
)
# A bare level number closing a title ("AI Engineer 2") is a level like "II"; elsewhere a number
# is part of the name ("Tier 2 Support Engineer"), so only the last token counts.
_LEVEL_NUMBER = r"^[1-5]$"
# Separators that may remain dangling once a seniority word is gone ("Senior - AI Engineer").
_DANGLING = " ,-/|:–"


def _tokens(title: pl.Expr) -> pl.Expr:
    return (
        title.str.replace_all(r"\([^)]*\)|\[[^\]]*\]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.split(" ")
    )


def _is_seniority(token: pl.Expr) -> pl.Expr:
    return token.str.to_lowercase().str.strip_chars(".,;:()").is_in(list(SENIORITY_WORDS))


def normalise_title(title: pl.Expr) -> pl.Expr:
    tokens = _tokens(title)
    kept = (
        pl.when((tokens.list.len() > 1) & tokens.list.last().str.contains(_LEVEL_NUMBER))
        .then(tokens.list.head(tokens.list.len() - 1))
        .otherwise(tokens)
        .list.eval(pl.element().filter(~_is_seniority(pl.element())))
        .list.join(" ")
    )
    cleaned = (
        kept.str.replace_all(r"\s+([,/|:])", "$1")
        .str.replace_all(r"\s{2,}", " ")
        .str.strip_chars(_DANGLING)
    )
    # a title of nothing but seniority words keeps its original text rather than becoming empty
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned).otherwise(title.str.strip_chars())


def seniority(title: pl.Expr) -> pl.Expr:
    tokens = _tokens(title)
    words = tokens.list.eval(
        pl.element()
        .filter(_is_seniority(pl.element()))
        .str.to_lowercase()
        .str.strip_chars(".,;:()")
    ).list.join(" ")
    level = pl.when((tokens.list.len() > 1) & tokens.list.last().str.contains(_LEVEL_NUMBER)).then(
        tokens.list.last()
    )
    joined = pl.concat_str([words, level], separator=" ", ignore_nulls=True).str.strip_chars()
    return pl.when(joined.str.len_chars() > 0).then(joined).otherwise(None)

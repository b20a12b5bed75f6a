"""Category scores from pattern matches, on the matches only (see `categories` for the rules).

A batch's patterns find few matches: an item matches a handful of the taxonomy's patterns,
not all of them. So the matches are kept as a long list of (row, pattern, offset), sorted by
row then pattern (taxonomy order), and every sum is a `np.bincount` over it: a pattern that
did not match costs nothing, where a column per pattern would hold a value for every row.

The sums are taken in taxonomy order (bincount adds in array order, from 0.0), the order in
which the rules add contributions, so the scores do not depend on how they are computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.taxonomy import Category

POSITION_BOOST = 0.5
POSITION_SPAN = 60.0


@dataclass(frozen=True)
class PatternTable:
    """The patterns of the scored categories in taxonomy order (pattern k): each category's
    own patterns, then its sub-patterns' patterns. Categories are numbered j in the order
    given; sub-patterns that have a positive-weight pattern are numbered g over all of them."""

    regexes: list[str]  # as written in the taxonomy
    ids: pl.Series  # pattern id
    category: np.ndarray  # j of each pattern
    weight: np.ndarray
    group: np.ndarray  # g of each pattern; -1 for category-level patterns
    group_ids: list[str]  # sub-pattern id of each g
    groups_of: list[np.ndarray]  # per category j: its g numbers, in taxonomy order


def pattern_table(categories: list[Category]) -> PatternTable:
    regexes: list[str] = []
    ids: list[str] = []
    category: list[int] = []
    weight: list[float] = []
    group: list[int] = []
    group_ids: list[str] = []
    groups_of: list[np.ndarray] = []
    for j, cat in enumerate(categories):
        mine: list[int] = []
        for sub, patterns in [(None, cat.patterns)] + [(s, s.patterns) for s in cat.subpatterns]:
            g = -1
            if sub is not None and any(p.weight > 0 for p in patterns):
                g = len(group_ids)
                group_ids.append(sub.id)
                mine.append(g)
            for p in patterns:
                regexes.append(p.regex)
                ids.append(p.id)
                category.append(j)
                weight.append(p.weight)
                group.append(g)
        groups_of.append(np.array(mine, dtype=np.int64))
    return PatternTable(
        regexes=regexes,
        ids=pl.Series(ids, dtype=pl.String),
        category=np.array(category, dtype=np.int64),
        weight=np.array(weight, dtype=np.float64),
        group=np.array(group, dtype=np.int64),
        group_ids=group_ids,
        groups_of=groups_of,
    )


@dataclass(frozen=True)
class Matches:
    """The first match of each pattern in each row it matched, sorted by (row, pattern)."""

    rows: np.ndarray
    patterns: np.ndarray
    offsets: np.ndarray


def matches_of(first_matches: pl.DataFrame, columns: list[str]) -> Matches:
    """`Matches` from a frame whose `columns[k]` holds pattern k's first-match offset (null:
    no match) for rows 0..n-1."""
    rows, patterns, offsets = [], [], []
    for k, name in enumerate(columns):
        column = first_matches[name]
        if column.null_count() == column.len():
            continue
        hit = column.is_not_null()
        rows.append(hit.arg_true().to_numpy().astype(np.int64))
        offsets.append(column.filter(hit).to_numpy().astype(np.float64))
        patterns.append(np.full(len(rows[-1]), k, dtype=np.int64))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Matches(empty, empty, np.zeros(0, dtype=np.float64))
    row, pattern, offset = np.concatenate(rows), np.concatenate(patterns), np.concatenate(offsets)
    # pattern-major as collected; a stable sort by row makes it (row, pattern)
    order = np.argsort(row, kind="stable")
    return Matches(row[order], pattern[order], offset[order])


def contributions(matches: Matches, table: PatternTable) -> np.ndarray:
    """Each match's contribution: a positive weight boosted by up to POSITION_BOOST near the
    start of the text (x1.5 at offset 0, x1.0 from POSITION_SPAN characters on); a negative
    weight (a damper) unboosted."""
    weight = table.weight[matches.patterns]
    decay = np.clip(1.0 - matches.offsets / POSITION_SPAN, 0.0, 1.0)
    return np.where(weight > 0, weight * (1.0 + POSITION_BOOST * decay), weight)


def pattern_sums(matches: Matches, contribution: np.ndarray, table: PatternTable, n: int):
    """(n x categories) sums of the rows' pattern contributions per category."""
    width = len(table.groups_of)
    slot = matches.rows * width + table.category[matches.patterns]
    return np.bincount(slot, contribution, minlength=n * width).reshape(n, width)


def best_subpatterns(
    matches: Matches,
    contribution: np.ndarray,
    table: PatternTable,
    n: int,
    rows: np.ndarray,
    categories: np.ndarray,
) -> pl.Series:
    """For each (rows[i], categories[i]): the category's sub-pattern with the largest sum of
    positive contributions (the first in taxonomy order on a tie), null when no sub-pattern
    pattern matched. One array step per category, none per pair."""
    groups = max(len(table.group_ids), 1)
    counted = (table.group[matches.patterns] >= 0) & (table.weight[matches.patterns] > 0)
    slot = matches.rows[counted] * groups + table.group[matches.patterns[counted]]
    sums = np.bincount(slot, contribution[counted], minlength=n * groups).reshape(n, groups)
    chosen = np.full(len(rows), -1, dtype=np.int64)  # the best g of each pair, -1: none
    for j, owned in enumerate(table.groups_of):
        at = np.flatnonzero(categories == j)
        if len(owned) == 0 or len(at) == 0:
            continue
        own = sums[rows[at]][:, owned]
        top = own.max(axis=1)
        first = np.argmax(own == top[:, None], axis=1)
        chosen[at] = np.where(top > 0, owned[first], -1)
    return pl.Series(chosen).replace_strict(
        dict(enumerate(table.group_ids)), default=None, return_dtype=pl.String
    )


def evidence_ids(
    matches: Matches, table: PatternTable, n: int, rows: np.ndarray, categories: np.ndarray
) -> pl.DataFrame:
    """(__pair, __ids) for the pairs (rows[i], categories[i]) with a matched positive-weight
    pattern: i and the comma-separated ids of those patterns, in taxonomy order."""
    width = len(table.groups_of)
    pair_of = np.full(n * width, -1, dtype=np.int64)
    pair_of[rows * width + categories] = np.arange(len(rows))
    positive = table.weight[matches.patterns] > 0
    pair = pair_of[matches.rows * width + table.category[matches.patterns]]
    keep = positive & (pair >= 0)
    return (
        pl.DataFrame(
            {
                "__pair": pair[keep],
                "__id": table.ids.gather(matches.patterns[keep]),
            }
        )
        .group_by("__pair", maintain_order=True)
        # a list joined afterwards: a string join inside the aggregation is several times slower
        .agg(pl.col("__id").alias("__ids"))
        .with_columns(pl.col("__ids").list.join(","))
    )

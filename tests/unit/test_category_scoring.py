"""Unit tests for the category scores summed over pattern matches (pipeline.classify.scoring),
on a small taxonomy and first-match frames written here."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipeline.classify.scoring import (
    POSITION_SPAN,
    best_subpatterns,
    contributions,
    evidence_ids,
    matches_of,
    pattern_sums,
    pattern_table,
)
from pipeline.taxonomy import Category, Pattern, Subpattern


def _category(cid: str, patterns: list[Pattern], subs: list[Subpattern]) -> Category:
    return Category(
        id=cid,
        name=cid,
        problem="",
        what_people_do=(),
        core_challenge="",
        patterns=tuple(patterns),
        examples=(),
        subpatterns=tuple(subs),
    )


def _sub(sid: str, patterns: list[Pattern]) -> Subpattern:
    return Subpattern(id=sid, name=sid, description="", patterns=tuple(patterns))


# pattern k:       0      1      2      3      4      5      6
# category j:      0      0      0      0      0      1      1
# group g:        -1      0      0      1     -1     -1      2
# (pattern 4 is a damper, the only pattern of its sub-pattern, which therefore has no group)
CATEGORIES = [
    _category(
        "alpha",
        [Pattern("a_top", "top", 1.0)],
        [
            _sub("a_one", [Pattern("a1", "one", 0.1), Pattern("a1b", "uno", 0.2)]),
            _sub("a_two", [Pattern("a2", "two", 0.3)]),
            _sub("a_damped", [Pattern("a_neg", "not", -0.5)]),
        ],
    ),
    _category("beta", [Pattern("b_top", "bzz", 0.4)], [_sub("b_one", [Pattern("b1", "bee", 0.7)])]),
]


@pytest.fixture(scope="module")
def table():
    return pattern_table(CATEGORIES)


def _first_matches(columns: dict[int, list[int | None]], n_patterns: int) -> pl.DataFrame:
    rows = len(next(iter(columns.values())))
    return pl.DataFrame(
        {
            f"__p{k}": pl.Series(columns.get(k, [None] * rows), dtype=pl.UInt32)
            for k in range(n_patterns)
        }
    )


def test_patterns_are_numbered_in_taxonomy_order(table):
    assert table.regexes == ["top", "one", "uno", "two", "not", "bzz", "bee"]
    assert table.ids.to_list() == ["a_top", "a1", "a1b", "a2", "a_neg", "b_top", "b1"]
    assert table.category.tolist() == [0, 0, 0, 0, 0, 1, 1]
    # a sub-pattern without a positive-weight pattern has no group number
    assert table.group.tolist() == [-1, 0, 0, 1, -1, -1, 2]
    assert table.group_ids == ["a_one", "a_two", "b_one"]
    assert [g.tolist() for g in table.groups_of] == [[0, 1], [2]]


def test_matches_are_sorted_by_row_then_pattern_and_misses_dropped(table):
    found = _first_matches({0: [None, 3, None], 3: [5, None, 0], 6: [1, 2, None]}, 7)
    matches = matches_of(found, [f"__p{k}" for k in range(7)])
    assert matches.rows.tolist() == [0, 0, 1, 1, 2]
    assert matches.patterns.tolist() == [3, 6, 0, 6, 3]
    assert matches.offsets.tolist() == [5.0, 1.0, 3.0, 2.0, 0.0]


def test_no_match_at_all_gives_empty_matches(table):
    found = _first_matches({0: [None, None]}, 7)
    matches = matches_of(found, [f"__p{k}" for k in range(7)])
    assert len(matches.rows) == len(matches.patterns) == len(matches.offsets) == 0
    assert pattern_sums(matches, contributions(matches, table), table, 2).tolist() == [
        [0.0, 0.0],
        [0.0, 0.0],
    ]


def test_positive_weights_are_boosted_near_the_start_and_dampers_are_not(table):
    far = int(POSITION_SPAN) + 10
    found = _first_matches({0: [0, far, int(POSITION_SPAN) // 2], 4: [0, None, None]}, 7)
    matches = matches_of(found, [f"__p{k}" for k in range(7)])
    got = contributions(matches, table).tolist()
    # row 0: "top" at 0 (x1.5) and the damper at 0 (unboosted); row 1: x1.0; row 2: x1.25
    assert got == [1.5, -0.5, 1.0, 1.25]


def test_category_sums_add_in_taxonomy_order(table):
    far = int(POSITION_SPAN)  # no boost: the contributions are the weights themselves
    found = _first_matches({1: [far], 2: [far], 3: [far], 6: [far]}, 7)
    matches = matches_of(found, [f"__p{k}" for k in range(7)])
    sums = pattern_sums(matches, contributions(matches, table), table, 1)
    # (0.1 + 0.2) + 0.3 differs from 0.1 + (0.2 + 0.3) in floating point: the rules' order
    assert sums[0, 0] == (0.1 + 0.2) + 0.3
    assert sums[0, 0] != 0.1 + (0.2 + 0.3)
    assert sums[0, 1] == 0.7


def test_best_subpattern_is_the_largest_positive_sum_first_in_taxonomy_order(table):
    far = int(POSITION_SPAN)
    found = _first_matches(
        {
            # row 0: a_one 0.1 + 0.2 = 0.30000000000000004 > a_two 0.3
            1: [far, None, None, None],
            2: [far, None, None, None],
            3: [far, None, far, None],
            # row 1: only the category-level pattern and the damper: no sub-pattern
            0: [None, 0, None, None],
            4: [None, 0, None, None],
            # row 3: beta's sub-pattern
            6: [None, None, None, far],
        },
        7,
    )
    matches = matches_of(found, [f"__p{k}" for k in range(7)])
    rows = np.array([0, 1, 2, 3, 3])
    cats = np.array([0, 0, 0, 0, 1])
    best = best_subpatterns(matches, contributions(matches, table), table, 4, rows, cats)
    assert best.to_list() == ["a_one", None, "a_two", None, "b_one"]


def test_a_tie_goes_to_the_first_subpattern(table):
    subs = [_sub("first", [Pattern("f", "f", 0.5)]), _sub("second", [Pattern("s", "s", 0.5)])]
    tied = pattern_table([_category("c", [], subs)])
    found = _first_matches({0: [7], 1: [7]}, 2)
    matches = matches_of(found, ["__p0", "__p1"])
    best = best_subpatterns(
        matches, contributions(matches, tied), tied, 1, np.array([0]), np.array([0])
    )
    assert best.to_list() == ["first"]


def test_evidence_lists_matched_positive_patterns_of_the_asked_pairs_in_order(table):
    found = _first_matches({0: [1, 1], 3: [2, None], 4: [0, None], 5: [None, 4], 6: [3, 9]}, 7)
    matches = matches_of(found, [f"__p{k}" for k in range(7)])
    # pairs: (row 0, alpha), (row 1, beta); (row 0, beta) is not asked for
    got = evidence_ids(matches, table, 2, np.array([0, 1]), np.array([0, 1])).sort("__pair")
    assert got.rows() == [(0, "a_top,a2"), (1, "b_top,b1")]


def test_a_pair_with_only_a_damper_has_no_evidence_row(table):
    found = _first_matches({4: [0]}, 7)
    matches = matches_of(found, [f"__p{k}" for k in range(7)])
    got = evidence_ids(matches, table, 1, np.array([0]), np.array([0]))
    assert got.height == 0

"""A literal prefilter for the taxonomy's regexes: which texts can a regex match at all?

An item matches a handful of the taxonomy's ~200 patterns, yet running every regex over every
text made the regex search half of classification. Most patterns cannot match without one of
a few words ("prompt", "rag pipeline", "vector database"...): those words, the regex's
*required literals*, are found for every pattern at once by one Aho-Corasick pass over the
texts, and each regex then runs only on the texts holding one of its literals. Its answers
(first-match offsets) are the same; a regex with no such literal runs on every text.

Soundness, not completeness: `required_literals` returns a set only when every match of the
regex contains one of its strings; on any syntax it does not fully understand it returns
None (no prefilter). Regexes are read with Python's parser, whose syntax for the constructs
accepted here (groups, alternation, repetition, classes, \\b) is the same as Rust's; nested
or POSIX classes (Rust-only) are refused before parsing. Literals are ASCII and matched
ASCII-case-insensitively, so the prefilter is sound on ASCII texts whatever their case and
the regexes' flags (a case-insensitive non-ASCII literal can match an ASCII character, e.g.
the Kelvin sign a "k": such literals are not used).
"""

from __future__ import annotations

import functools
import re
import re._constants as sre
import re._parser as sre_parse
from collections.abc import Sequence

import numpy as np
import polars as pl

#: A literal set is used only when its shortest string is at least this long: single
#: characters are in nearly every text (measured on the taxonomy: 2 is faster than 1 or 3).
MIN_LITERAL_CHARS = 2
#: Sets with more strings than this are not worth their Aho-Corasick states.
MAX_LITERALS = 64

Literals = frozenset[str]
#: Sets of strings a match contains one string of each of.
Requirement = tuple[Literals, ...]


def _has_nested_class(regex: str) -> bool:
    """A "[" inside a character class: a nested class or a POSIX class ("[[:alpha:]]"),
    which Rust reads as a class and Python as literal characters."""
    inside, i = False, 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            i += 2
            continue
        if inside and ch == "[":
            return True
        if not inside and ch == "[":
            inside = True
            # a "]" right after "[" or "[^" is a literal, not the class's end
            i += 1
            if regex[i : i + 1] == "^":
                i += 1
            if regex[i : i + 1] == "]":
                i += 1
            continue
        if inside and ch == "]":
            inside = False
        i += 1
    return False


def _usable(literals: Literals) -> bool:
    return (
        bool(literals)
        and min(map(len, literals)) >= MIN_LITERAL_CHARS
        and len(literals) <= MAX_LITERALS
    )


def _most_selective(sets: list[Literals]) -> Literals | None:
    """The usable set with the longest shortest string (then the fewest strings)."""
    usable = [s for s in sets if _usable(s)]
    return max(usable, key=lambda s: (min(map(len, s)), -len(s)), default=None)


def _minimal(strings: frozenset[str]) -> Literals:
    """`strings` without those that contain another of them (a text holding "llms" holds
    "llm": only the shorter one needs looking for)."""
    return frozenset(s for s in strings if not any(o != s and o in s for o in strings))


def _cross(heads: frozenset[str], tails: frozenset[str]) -> frozenset[str] | None:
    if len(heads) * len(tails) > MAX_LITERALS:
        return None
    return frozenset(h + t for h in heads for t in tails)


def _exact(op, arg) -> frozenset[str] | None:
    """The strings an item matches, when they are few and known ("llms?": "llm", "llms")."""
    if op is sre.LITERAL:
        return frozenset([chr(arg).lower()]) if arg < 128 else None
    if op is sre.SUBPATTERN:
        return _exact_sequence(arg[-1])
    if op is sre.BRANCH:
        branches = [_exact_sequence(branch) for branch in arg[1]]
        if any(b is None for b in branches):
            return None
        union = frozenset().union(*branches)
        return union if len(union) <= MAX_LITERALS else None
    if op is sre.IN and all(o is sre.LITERAL and a < 128 for o, a in arg) and len(arg) <= 8:
        return frozenset(chr(a).lower() for _, a in arg)  # a class of a few characters: [sz]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, sub = arg
        inner = _exact_sequence(sub)
        if inner is not None and (low, high) == (0, 1):
            return inner | {""}
        if inner is not None and (low, high) == (1, 1):
            return inner
    return None


def _repeated(op, arg) -> frozenset[str] | None:
    """The strings of one copy of an item repeated at least once, when known ("(ab)+")."""
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
        return _exact_sequence(arg[2])
    return None


def _exact_sequence(items) -> frozenset[str] | None:
    strings: frozenset[str] | None = frozenset([""])
    for op, arg in items:
        item = _exact(op, arg)
        strings = None if item is None else _cross(strings, item)
        if strings is None:
            return None
    return strings


def _of_sequence(items) -> list[Literals]:
    """The requirements of items matched one after the other, all of which hold: the
    strings of each run of items with known strings (one of them is a substring of every
    match), and each other item's requirements."""
    required: list[Literals] = []
    run: frozenset[str] = frozenset([""])
    for op, arg in items:
        item = _exact(op, arg)
        longer = None if item is None else _cross(run, item)
        if longer is not None:
            run = longer
            continue
        repeated = _repeated(op, arg)
        if repeated is not None:
            # "yz{1,3}": a first copy follows the run, a last copy precedes what comes next
            longer = _cross(run, repeated)
            required.append(_minimal(longer if longer is not None else run))
            run = repeated
            continue
        if run != {""}:
            required.append(_minimal(run))
        run = item if item is not None else frozenset([""])
        if item is None:
            required.extend(_of_item(op, arg))
    if run != {""}:
        required.append(_minimal(run))
    return required


def _of_item(op, arg) -> list[Literals]:
    if op is sre.SUBPATTERN:
        return _of_sequence(arg[-1])
    if op is sre.BRANCH:
        # one set per branch (its most selective); the union holds for the alternation
        branches = [_most_selective(_of_sequence(branch)) for branch in arg[1]]
        if any(b is None for b in branches):
            return []
        return [frozenset().union(*branches)]
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, _high, sub = arg
        return _of_sequence(sub) if low >= 1 else []
    if op is sre.ATOMIC_GROUP:
        return _of_sequence(arg)
    # classes, any character, assertions, anchors: no literal of their own
    return []


@functools.lru_cache(maxsize=4096)
def required_literals(regex: str) -> Requirement | None:
    """Sets of lower-case ASCII strings such that every match of `regex` contains a string of
    each set (None: no such set found, or none worth testing for, see MIN_LITERAL_CHARS and
    MAX_LITERALS). "build[a-z]* .*llms?" gives ({"build"}, {"llm"})."""
    if _has_nested_class(regex):
        return None
    try:
        parsed = sre_parse.parse(regex)
    except (re.error, OverflowError, RecursionError, ValueError):
        return None
    if parsed.state.flags & re.VERBOSE:
        return None
    usable = tuple(dict.fromkeys(s for s in _of_sequence(parsed) if _usable(s)))
    return usable or None


def candidate_rows(
    texts: pl.Series, requirements: Sequence[Requirement | None]
) -> list[np.ndarray | None]:
    """For each requirement, the (ascending) positions in `texts` of the texts holding a
    string of each of its sets, ASCII case ignored; None for a requirement of None (every
    text). Sound for ASCII texts (see the module's docstring)."""
    literals = sorted({s for r in requirements if r for literals in r for s in literals})
    result: list[np.ndarray | None] = [
        None if r is None else np.zeros(0, np.int64) for r in requirements
    ]
    if not literals or texts.len() == 0:
        return result
    # the literals are lower case: on lower-cased ASCII text a plain search ignores case
    found = (
        pl.DataFrame({"text": texts})
        .select(
            row=pl.int_range(pl.len(), dtype=pl.Int64),
            literal=pl.col("text")
            .str.to_lowercase()
            .str.extract_many(literals, overlapping=True)
            .list.unique(),
        )
        .explode("literal", empty_as_null=False, keep_nulls=False)
        .select("row", literal=pl.col("literal").cast(pl.Enum(literals)).to_physical())
    )
    # the rows holding each literal: rows by literal (a stable sort keeps them ascending)
    codes = found["literal"].to_numpy()
    order = np.argsort(codes, kind="stable")
    rows = found["row"].to_numpy()[order]
    bounds = np.searchsorted(codes[order], np.arange(len(literals) + 1))
    number = {literal: i for i, literal in enumerate(literals)}
    holds = np.zeros(texts.len(), dtype=bool)
    for k, required in enumerate(requirements):
        if required is None:
            continue
        every = np.ones(texts.len(), dtype=bool)
        for literal_set in required:
            holds[:] = False
            for i in (number[s] for s in literal_set):
                holds[rows[bounds[i] : bounds[i + 1]]] = True
            every &= holds
        result[k] = np.flatnonzero(every)
    return result

"""The classifier's literal prefilter: required literals of a regex, and the texts that hold
them (inputs are written here; the soundness test also runs the shipped taxonomy's regexes
over the project's own sample postings)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipeline.classify.categories import ascii_word_boundaries, normalize_text_expr
from pipeline.classify.literals import candidate_rows, required_literals
from pipeline.classify.scoring import pattern_table
from pipeline.taxonomy import FALLBACK_CATEGORY, load_taxonomy

SAMPLES = Path(__file__).parents[2] / "pipeline" / "sample_data" / "postings"


@pytest.mark.parametrize(
    ("regex", "expected"),
    [
        (r"\bprompt(s|ing|ed)?\b", [{"prompt"}]),
        # every match holds one string of each set
        (
            r"\b(build|creat)[a-z]*\b.*\b(llms?|large language models?)\b",
            [{"build", "creat"}, {"llm", "large language model"}],
        ),
        # a small class and optional parts are spelled out; "optimisations" holds "optimisation"
        (r"optimi[sz]ations?", [{"optimisation", "optimization"}]),
        (r"(?i)\bRAG\b", [{"rag"}]),
        (r"(abc)?def", [{"def"}]),
        (r"(ab|cd)(ef|g)", [{"abef", "abg", "cdef", "cdg"}]),
        # one copy of a repeated item is next to what comes before it, one to what follows
        (r"x+yz{1,3}", [{"xyz"}]),
    ],
)
def test_required_literals(regex, expected):
    assert [set(s) for s in required_literals(regex)] == expected


@pytest.mark.parametrize(
    "regex",
    [
        r"a|bcd",  # one branch has no literal worth looking for
        r"x{0,3}",  # may match the empty string
        r"\p{L}abc",  # Rust-only syntax: not understood, no prefilter
        r"[[:alpha:]]+ foo",  # a POSIX class, which Python would read as characters
        r"(?x) abc  def",  # verbose mode
    ],
)
def test_no_literals_when_not_sure_or_not_worth_it(regex):
    assert required_literals(regex) is None


def test_literals_stop_at_a_non_ascii_character():
    assert required_literals("café bar") == (frozenset({"caf"}), frozenset({" bar"}))
    assert required_literals("[a-z]+ing") == (frozenset({"ing"}),)


def test_candidate_rows_ignore_ascii_case_and_need_every_set():
    texts = pl.Series(["Build an LLM app", "build a dashboard", "LLM evals", "nothing here"])
    both, one, none = candidate_rows(
        texts, [required_literals(r"build.*llm"), required_literals(r"llms?"), None]
    )
    assert both.tolist() == [0]
    assert one.tolist() == [0, 2]
    assert none is None


# Tricky shapes for the parser: factored prefixes, nested optional groups, classes, repeats.
TRICKY = [
    r"\b(llms?|large language models?)\b",
    r"\b(vector (databases?|db|dbs|stores?)|embeddings?)\b",
    r"\b(a|an|the) (model|models)\b",
    r"\b(fine[- ]?tun[a-z]*|finetun[a-z]*|lora)\b",
    r"\b(deploy|ship)[a-z]* (models?|services?)( to production)?\b",
    r"(ab)+c|d(ef)?g",
    r"\b(ci[/ -]?cd|ci (pipelines?|jobs?))\b",
    r"\bp9\d\b|\bttft\b",
]
WORDS = [
    "a",
    "an",
    "the",
    "model",
    "models",
    "llm",
    "llms",
    "large",
    "language",
    "deploy",
    "deploying",
    "ship",
    "to",
    "production",
    "ci",
    "cd",
    "/",
    "-",
    "pipelines",
    "db",
    "vector",
    "databases",
    "embedding",
    "fine",
    "tune",
    "tuning",
    "lora",
    "abc",
    "ababc",
    "dg",
    "defg",
    "p99",
    "ttft",
]


def test_the_prefilter_never_drops_a_text_a_regex_matches():
    # every text of up to three words from WORDS, in both cases, against each tricky regex
    texts = [" ".join(words) for n in (1, 2, 3) for words in itertools.product(WORDS, repeat=n)]
    texts += [t.upper() for t in texts[:5000]]
    series = pl.Series(texts)
    requirements = [required_literals(r) for r in TRICKY]
    assert all(r is not None for r in requirements)
    for regex, rows in zip(TRICKY, candidate_rows(series, requirements), strict=True):
        matched = {i for i, t in enumerate(texts) if re.search(regex, t.lower())}
        assert matched, regex
        assert matched <= set(rows.tolist()), regex


def _sample_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted(SAMPLES.glob("*.yaml")):
        try:
            record = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            continue  # the samples include malformed files, for the quarantine
        if isinstance(record, dict):
            lines += [
                v for value in record.values() if isinstance(value, str) for v in value.splitlines()
            ]
    return lines


def test_the_taxonomys_regexes_find_nothing_outside_their_candidates():
    taxonomy = load_taxonomy()
    table = pattern_table([c for c in taxonomy.categories if c.id != FALLBACK_CATEGORY])
    texts = (
        pl.DataFrame({"text": _sample_lines()})
        .select(normalize_text_expr("text"))
        .filter(~pl.col("text").str.contains(r"[^\x00-\x7F]"))["text"]
    )
    assert texts.len() > 100
    requirements = [required_literals(r) for r in table.regexes]
    assert sum(r is not None for r in requirements) > 0.9 * len(requirements)
    hits = 0
    for regex, rows in zip(table.regexes, candidate_rows(texts, requirements), strict=True):
        matched = set(
            texts.str.find(ascii_word_boundaries(regex)).is_not_null().arg_true().to_list()
        )
        hits += len(matched)
        if rows is not None:
            assert matched <= set(rows.tolist()), regex
    assert hits > 100

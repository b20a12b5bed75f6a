"""Unit tests for the taxonomy YAML and its loader (all fixtures written here)."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest

from pipeline.taxonomy import (
    Category,
    Pattern,
    Subpattern,
    Taxonomy,
    TaxonomyError,
    default_taxonomy_path,
    load_taxonomy,
)

EXPECTED_IDS = (
    "building_ai_systems",
    "productionizing_ai",
    "evaluation_quality",
    "provider_apis",
    "rag_retrieval",
    "data_processing",
    "collaboration",
    "infrastructure_platforms",
    "agents",
    "customers",
    "frontend_ui",
    "performance_optimization",
    "self_hosting",
    "fine_tuning",
    "experimentation_research",
    "security_compliance",
    "other",
)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


# --- the bundled taxonomy ---------------------------------------------------------------


def test_default_path_points_at_bundled_file():
    path = default_taxonomy_path()
    assert path.name == "ai_engineering.v1.yaml"
    assert path.is_file()
    assert load_taxonomy(path) == load_taxonomy()


def test_header_fields(taxonomy):
    assert taxonomy.name == "ai_engineering"
    assert taxonomy.version == "1.0.0"
    assert taxonomy.label == "ai_engineering@1.0.0"
    assert taxonomy.title == "AI Engineering Responsibilities"
    assert taxonomy.role_noun == "AI Engineers"
    assert set(taxonomy.role_types) == {"ai-first", "ai-support", "ml-first"}
    for spec in taxonomy.role_types.values():
        assert spec["name"] and spec["description"]


def test_every_category_id_present_in_order(taxonomy):
    assert taxonomy.category_ids == EXPECTED_IDS


def test_get_and_unknown_id(taxonomy):
    assert taxonomy.get("agents").name == "Agents and Agentic Workflows"
    with pytest.raises(KeyError):
        taxonomy.get("no_such_category")


@pytest.mark.parametrize("cid", [c for c in EXPECTED_IDS if c != "other"])
def test_category_is_fully_described(taxonomy, cid):
    cat = taxonomy.get(cid)
    assert cat.problem and cat.core_challenge
    assert 4 <= len(cat.what_people_do) <= 6
    assert 3 <= len(cat.examples) <= 15
    assert 12 <= len(cat.all_examples) <= 45
    assert 2 <= len(cat.subpatterns) <= 6
    for sub in cat.subpatterns:
        assert sub.name and sub.description and sub.patterns
    assert any(p.weight > 0 for p in cat.all_patterns)


def test_other_has_no_patterns(taxonomy):
    other = taxonomy.get("other")
    assert other.patterns == () and other.subpatterns == ()
    assert other.problem


def test_ids_are_unique(taxonomy):
    pattern_ids = [p.id for c in taxonomy.categories for p in c.all_patterns]
    assert len(pattern_ids) == len(set(pattern_ids))
    sub_ids = [s.id for c in taxonomy.categories for s in c.subpatterns]
    assert len(sub_ids) == len(set(sub_ids))


def test_patterns_avoid_lookaround_and_backreferences(taxonomy):
    for cat in taxonomy.categories:
        for p in cat.all_patterns:
            assert "(?=" not in p.regex and "(?!" not in p.regex, p.id
            assert "(?<=" not in p.regex and "(?<!" not in p.regex, p.id
            assert not re.search(r"\\[1-9]", p.regex), p.id


def test_dataclasses_are_frozen(taxonomy):
    cat = taxonomy.categories[0]
    assert isinstance(cat, Category)
    assert isinstance(cat.subpatterns[0], Subpattern)
    assert isinstance(cat.all_patterns[0], Pattern)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cat.name = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        taxonomy.version = "9"  # type: ignore[misc]


# --- loader validation with hand-written files ------------------------------------------

VALID = """\
taxonomy: tiny
version: "0.1.0"
title: Tiny Taxonomy
role_noun: Testers
role_types:
  a: {name: A, description: "The first kind of role."}
categories:
  - id: alpha
    name: Alpha
    problem: "Alpha problems need solving."
    what_people_do: ["Solve alpha problems"]
    core_challenge: "Alpha is hard."
    patterns:
      - {id: alpha_word, regex: '\\balpha\\b', weight: 1.0}
    examples: ["Solve an alpha problem"]
    subpatterns:
      - id: alpha_sub
        name: Alpha Sub
        description: "A narrower alpha."
        patterns: [{id: alpha_sub_word, regex: '\\balphas\\b', weight: 0.5}]
  - id: other
    name: Other
    problem: "Nothing else fits."
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_valid_minimal_file(tmp_path):
    tax = load_taxonomy(write(tmp_path, VALID))
    assert tax.label == "tiny@0.1.0"
    assert tax.category_ids == ("alpha", "other")
    assert tax.get("alpha").subpatterns[0].patterns[0] == Pattern(
        "alpha_sub_word", r"\balphas\b", 0.5
    )
    assert tax.role_types == {"a": {"name": "A", "description": "The first kind of role."}}


def test_accepts_str_path(tmp_path):
    assert load_taxonomy(str(write(tmp_path, VALID))).name == "tiny"


def test_bad_regex_is_rejected_with_location(tmp_path):
    bad = VALID.replace("'\\balpha\\b'", "'(?<=x)alpha'")
    assert bad != VALID
    path = write(tmp_path, bad)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "category 'alpha'" in msg
    assert "alpha_word" in msg
    assert "regex" in msg


def test_unbalanced_regex_is_rejected(tmp_path):
    bad = VALID.replace("'\\balphas\\b'", "'(alphas'")
    assert bad != VALID
    with pytest.raises(TaxonomyError, match=r"alpha_sub.*regex"):
        load_taxonomy(write(tmp_path, bad))


def test_duplicate_category_id(tmp_path):
    bad = VALID.replace("  - id: other", "  - id: alpha")
    with pytest.raises(TaxonomyError, match=r"category 'alpha'.*duplicate category id"):
        load_taxonomy(write(tmp_path, bad))


def test_duplicate_pattern_id(tmp_path):
    bad = VALID.replace("id: alpha_sub_word", "id: alpha_word")
    with pytest.raises(TaxonomyError, match="duplicate pattern id"):
        load_taxonomy(write(tmp_path, bad))


def test_missing_problem_field(tmp_path):
    bad = VALID.replace('    problem: "Alpha problems need solving."\n', "")
    path = write(tmp_path, bad)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(path)
    msg = str(err.value)
    assert str(path) in msg and "category 'alpha'" in msg and "'problem'" in msg


def test_missing_version(tmp_path):
    bad = VALID.replace('version: "0.1.0"\n', "")
    with pytest.raises(TaxonomyError, match="'version'"):
        load_taxonomy(write(tmp_path, bad))


def test_category_without_patterns(tmp_path):
    start = VALID.index("    patterns:\n")
    end = VALID.index("    examples:")
    bad = VALID[:start] + VALID[end:]
    bad = bad[: bad.index("    subpatterns:")] + bad[bad.index("  - id: other") :]
    with pytest.raises(TaxonomyError, match=r"category 'alpha'.*patterns"):
        load_taxonomy(write(tmp_path, bad))


def test_non_numeric_weight(tmp_path):
    bad = VALID.replace("weight: 1.0", "weight: heavy")
    with pytest.raises(TaxonomyError, match=r"alpha_word.*'weight'"):
        load_taxonomy(write(tmp_path, bad))


def test_invalid_yaml(tmp_path):
    with pytest.raises(TaxonomyError, match="invalid YAML"):
        load_taxonomy(write(tmp_path, "taxonomy: [unclosed\n"))


def test_missing_file(tmp_path):
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy(tmp_path / "absent.yaml")


def test_taxonomy_error_is_value_error():
    assert issubclass(TaxonomyError, ValueError)


def test_bundled_ai_context_and_factors(taxonomy):
    assert taxonomy.ai_context
    damped = {c.id for c in taxonomy.categories if c.ai_context_factor < 1}
    assert damped == {
        "productionizing_ai",
        "performance_optimization",
        "frontend_ui",
        "security_compliance",
        "self_hosting",
    }
    assert all(0 < c.ai_context_factor <= 1 for c in taxonomy.categories)


def test_subpattern_examples_feed_all_examples(taxonomy):
    cat = taxonomy.get("rag_retrieval")
    subs = [sub for sub, _ in cat.all_examples if sub is not None]
    assert set(subs) <= {s.id for s in cat.subpatterns}
    assert all(s.examples for s in cat.subpatterns)
    own = [text for sub, text in cat.all_examples if sub is None]
    assert own == list(cat.examples) + list(cat.what_people_do)


def test_bad_ai_context_factor(tmp_path):
    text = VALID.replace("    patterns:", "    ai_context_factor: 1.5\n    patterns:", 1)
    with pytest.raises(TaxonomyError, match="ai_context_factor"):
        load_taxonomy(write(tmp_path, text))


def test_bad_ai_context_regex(tmp_path):
    text = VALID.replace("role_noun:", "ai_context: '(unclosed'\nrole_noun:", 1)
    with pytest.raises(TaxonomyError, match="ai_context"):
        load_taxonomy(write(tmp_path, text))


def test_ai_context_defaults(tmp_path):
    tax = load_taxonomy(write(tmp_path, VALID))
    assert tax.ai_context is None
    assert all(c.ai_context_factor == 1.0 for c in tax.categories)


def test_comparisons_are_read_and_validated(tmp_path):
    good = VALID + "comparisons:\n  - {title: Alpha versus the rest, categories: [alpha, other]}\n"
    tax = load_taxonomy(write(tmp_path, good))
    assert tax.comparisons == (("Alpha versus the rest", ("alpha", "other")),)
    unknown = good.replace("[alpha, other]", "[alpha, beta]")
    with pytest.raises(TaxonomyError, match=r"comparison #1.*unknown category id\(s\) \['beta'\]"):
        load_taxonomy(write(tmp_path, unknown))
    single = good.replace("[alpha, other]", "[alpha]")
    with pytest.raises(TaxonomyError, match="exactly two category ids"):
        load_taxonomy(write(tmp_path, single))
    assert load_taxonomy(write(tmp_path, VALID)).comparisons == ()


def test_bundled_comparisons_name_real_categories(taxonomy):
    assert taxonomy.comparisons
    for _, pair in taxonomy.comparisons:
        assert all(c in taxonomy.category_ids for c in pair)

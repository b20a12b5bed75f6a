"""Unit tests for the rules-based category classifier (inputs are written here)."""

from __future__ import annotations

import textwrap

import polars as pl
import pytest

from pipeline.classify.categories import (
    OUTPUT_SCHEMA,
    ascii_word_boundaries,
    classifier_name,
    classify_responsibilities,
    classify_texts,
)
from pipeline.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def labels(out: pl.DataFrame, position: int = 0) -> list[str]:
    return out.filter(pl.col("position") == position)["category"].to_list()


# Clear-cut responsibilities, one or more per category, and the category that must rank first.
CLEAR_CUT = [
    ("Integrate the OpenAI and Anthropic APIs with retries and fallbacks", "provider_apis"),
    (
        "Build an LLM-powered chatbot that answers questions about insurance policies",
        "building_ai_systems",
    ),
    ("Write and version prompt templates for the document summariser", "building_ai_systems"),
    (
        "Deploy machine learning services to production and join the on-call rotation",
        "productionizing_ai",
    ),
    ("Set up CI/CD pipelines that release model updates safely", "productionizing_ai"),
    (
        "Design an evaluation harness with golden datasets to catch regressions in answers",
        "evaluation_quality",
    ),
    ("Detect hallucinations and add guardrails to assistant outputs", "evaluation_quality"),
    (
        "Implement retrieval-augmented generation over internal wikis using a vector database",
        "rag_retrieval",
    ),
    ("Tune hybrid search and re-ranking for the knowledge base", "rag_retrieval"),
    ("Build ETL pipelines that ingest and clean sales records", "data_processing"),
    ("Collaborate with product managers and designers to plan the roadmap", "collaboration"),
    ("Mentor junior engineers and run code reviews", "collaboration"),
    (
        "Operate Kubernetes clusters and Terraform for the internal ML platform",
        "infrastructure_platforms",
    ),
    ("Design multi-agent workflows with tool calling and shared memory", "agents"),
    ("Lead technical onboarding for enterprise customers and gather their feedback", "customers"),
    ("Build React user interfaces that stream model responses", "frontend_ui"),
    ("Reduce inference latency and cost through batching and caching", "performance_optimization"),
    ("Serve open-weight models with vLLM on our own GPU servers", "self_hosting"),
    ("Fine-tune language models with LoRA and DPO on domain data", "fine_tuning"),
    ("Train gradient-boosted classifiers to forecast customer churn", "fine_tuning"),
    (
        "Stay current with research and prototype new prompting techniques",
        "experimentation_research",
    ),
    ("Ensure HIPAA compliance and protect PII in prompts and logs", "security_compliance"),
]


@pytest.fixture(scope="module")
def clear_cut_labels(taxonomy) -> pl.DataFrame:
    # one classifier call for the whole table; each parametrised case reads its own rows
    return classify_texts([text for text, _ in CLEAR_CUT], taxonomy)


@pytest.mark.parametrize(("index", "text", "expected"), [(i, *c) for i, c in enumerate(CLEAR_CUT)])
def test_clear_cut_examples_rank_expected_category_first(clear_cut_labels, index, text, expected):
    got = clear_cut_labels.filter(pl.col("position") == index)
    assert labels(got, index)[0] == expected, (text, got.to_dicts())


def test_every_category_has_a_clear_cut_example(taxonomy):
    covered = {cat for _, cat in CLEAR_CUT}
    assert covered == set(taxonomy.category_ids) - {"other"}


def test_taxonomy_examples_are_labelled_with_their_category(taxonomy):
    for cat in taxonomy.categories:
        if cat.id == "other" or not cat.examples:
            continue
        out = classify_texts(list(cat.examples), taxonomy)
        firsts = 0
        for i, example in enumerate(cat.examples):
            got = labels(out, i)
            assert cat.id in got, (cat.id, example, got)
            firsts += got[0] == cat.id
        # a few examples legitimately lead with a neighbouring problem
        assert firsts >= 0.75 * len(cat.examples), cat.id


def test_other_for_non_ai_duty(taxonomy):
    out = classify_texts(["Enjoy our free snacks"], taxonomy)
    assert out.height == 1
    row = out.row(0, named=True)
    assert row["category"] == "other"
    assert row["rank"] == 1
    assert row["subpattern"] is None
    assert row["score"] == 0.0
    assert row["evidence"] == ""


def test_multi_label_output_is_well_formed(taxonomy):
    text = (
        "Collaborate with product teams to build and deploy RAG agents to production, "
        "monitor latency and cost, and fine-tune models on customer data"
    )
    out = classify_texts([text], taxonomy)
    assert 1 <= out.height <= 3
    assert out["rank"].to_list() == list(range(1, out.height + 1))
    scores = out["score"].to_list()
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < s <= 1.0 for s in scores)
    assert len(set(out["category"])) == out.height


def test_max_labels_is_respected(taxonomy):
    text = "Collaborate with customers to deploy RAG agents and fine-tune models for low latency"
    assert classify_texts([text], taxonomy).height == 3
    one = classify_texts([text], taxonomy, max_labels=1)
    assert one.height == 1 and one["rank"].to_list() == [1]
    with pytest.raises(ValueError):
        classify_texts([text], taxonomy, max_labels=0)


def test_ranks_are_contiguous_per_item(taxonomy):
    texts = [
        "Build agents that call internal tools",
        "Enjoy our free snacks",
        "Partner with data engineers on ingestion pipelines and data quality checks",
        "Deploy and monitor LLM services in production with strict latency targets",
    ]
    out = classify_texts(texts, taxonomy)
    assert sorted(out["position"].unique().to_list()) == [0, 1, 2, 3]
    for (_,), group in out.group_by(["position"]):
        assert group["rank"].sort().to_list() == list(range(1, group.height + 1))
        assert group.height <= 3


def test_output_schema_classifier_and_evidence(taxonomy):
    out = classify_texts(["Implement semantic search with embeddings and re-ranking"], taxonomy)
    assert out.schema == pl.Schema(OUTPUT_SCHEMA)
    assert set(out["classifier"]) == {"rules:ai_engineering@1.0.0"}
    assert classifier_name(taxonomy) == "rules:ai_engineering@1.0.0"
    for row in out.iter_rows(named=True):
        cat = taxonomy.get(row["category"])
        ids = {p.id for p in cat.all_patterns}
        evidence = row["evidence"].split(",")
        patterns = [e for e in evidence if not e.startswith("example:")]
        similar = [e for e in evidence if e.startswith("example:")]
        assert patterns and set(patterns) <= ids
        for item in similar:
            name, _, sim = item.partition("=")
            assert name == f"example:{row['category']}"
            assert 0.0 < float(sim) <= 1.0
        if row["subpattern"] is not None:
            assert row["subpattern"] in {s.id for s in cat.subpatterns}
    top = out.row(0, named=True)
    assert top["category"] == "rag_retrieval"
    assert top["subpattern"] in {"vector_search", "hybrid_search_ranking"}


def test_empty_input_returns_empty_frame_with_schema(taxonomy):
    empty = pl.DataFrame(schema={"posting_id": pl.String, "position": pl.Int64, "text": pl.String})
    out = classify_responsibilities(empty, taxonomy)
    assert out.height == 0
    assert out.schema == pl.Schema(OUTPUT_SCHEMA)
    assert classify_texts([], taxonomy).schema == pl.Schema(OUTPUT_SCHEMA)


def test_null_and_blank_text_are_other(taxonomy):
    df = pl.DataFrame(
        {"posting_id": ["p1", "p1", "p1"], "position": [0, 1, 2], "text": [None, "", "  --  "]},
        schema={"posting_id": pl.String, "position": pl.Int64, "text": pl.String},
    )
    out = classify_responsibilities(df, taxonomy)
    assert out.height == 3
    assert out["category"].to_list() == ["other"] * 3
    assert out["position"].to_list() == [0, 1, 2]


def test_every_input_row_gets_a_row_and_keys_are_kept(taxonomy):
    df = pl.DataFrame(
        {
            "posting_id": ["a", "a", "b", "c"],
            "position": [0, 1, 0, 7],
            "text": [
                "Evaluate model outputs for bias",
                "Water the office plants",
                "Design agent memory",
                "Ship dashboards in React",
            ],
            "extra": [1, 2, 3, 4],
        }
    )
    out = classify_responsibilities(df, taxonomy)
    keys = out.select("posting_id", "position").unique().sort(["posting_id", "position"])
    assert keys.rows() == [("a", 0), ("a", 1), ("b", 0), ("c", 7)]
    assert labels(out.filter(pl.col("posting_id") == "a"), 1) == ["other"]


def test_missing_columns_raise(taxonomy):
    with pytest.raises(ValueError, match="missing columns"):
        classify_responsibilities(pl.DataFrame({"text": ["x"]}), taxonomy)


def test_deterministic_and_order_independent(taxonomy):
    texts = [
        "Build RAG pipelines and evaluate retrieval quality",
        "Collaborate with customers on proofs of concept",
        "Optimise GPU inference throughput for self-hosted models",
        "Stay up to date with new agent frameworks",
        "Enjoy our free snacks",
    ]
    df = pl.DataFrame(
        {"posting_id": [f"p{i}" for i in range(len(texts))], "position": [0] * 5, "text": texts}
    )
    first = classify_responsibilities(df, taxonomy)
    second = classify_responsibilities(df, taxonomy)
    assert first.equals(second)
    shuffled = classify_responsibilities(df.reverse(), taxonomy)
    key = ["posting_id", "rank"]
    assert first.sort(key).equals(shuffled.sort(key))


def test_case_and_punctuation_do_not_matter(taxonomy):
    a = classify_texts(["FINE-TUNE LLMs with LoRA"], taxonomy)
    b = classify_texts(["fine tune llms with lora"], taxonomy)
    assert labels(a) == labels(b)
    assert a["score"].to_list() == b["score"].to_list()


def colours_taxonomy(tmp_path):
    """A two-category taxonomy written here: red (with a crimson sub-pattern) and blue."""
    path = tmp_path / "colours.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            taxonomy: colours
            version: "2"
            title: Colours
            role_noun: Painters
            categories:
              - id: red
                name: Red
                problem: "Things need to be red."
                what_people_do: ["Paint things red"]
                core_challenge: "Choosing the right red."
                patterns: [{id: red_word, regex: '\\bred\\b', weight: 1.0}]
                subpatterns:
                  - id: crimson
                    name: Crimson
                    description: "A darker red."
                    patterns: [{id: crimson_word, regex: '\\bcrimson\\b', weight: 1.0}]
              - id: blue
                name: Blue
                problem: "Things need to be blue."
                what_people_do: ["Paint things blue"]
                core_challenge: "Choosing the right blue."
                patterns: [{id: blue_word, regex: '\\bBLUE\\b', weight: 1.0}]
            """
        ),
        encoding="utf-8",
    )
    return load_taxonomy(path)


def test_works_with_a_custom_taxonomy(tmp_path):
    tax = colours_taxonomy(tmp_path)
    out = classify_texts(["Paint the door red and crimson", "Blue skies", "Green grass"], tax)
    assert labels(out, 0) == ["red"]
    row = out.filter(pl.col("position") == 0).row(0, named=True)
    assert row["subpattern"] == "crimson"
    # pattern ids first; the closest-examples signal ("Paint things red") may follow
    assert row["evidence"].split(",")[:2] == ["red_word", "crimson_word"]
    assert all(e.startswith("example:red=") for e in row["evidence"].split(",")[2:])
    assert row["classifier"] == "rules:colours@2"
    assert labels(out, 1) == ["blue"]
    assert labels(out, 2) == ["other"]


def test_word_boundaries_are_ascii_only_outside_character_classes():
    assert ascii_word_boundaries(r"\bai\b|\Bx") == r"(?-u:\b)ai(?-u:\b)|(?-u:\B)x"
    # an escaped backslash, and a class's own characters, are left as written
    assert ascii_word_boundaries(r"\\b[\b]") == r"\\b[\b]"
    assert ascii_word_boundaries(r"[]\b]\b") == r"[]\b](?-u:\b)"


def test_a_text_with_non_ascii_letters_keeps_unicode_word_boundaries(tmp_path):
    texts = ["Crates of red", "Crates of redé", "Crates of red, and é"]
    out = classify_texts(texts, colours_taxonomy(tmp_path), example_weight=0)
    # "é" is a letter: no word boundary between it and "red" (an ASCII-only \b would see one);
    # the ASCII texts of the same batch are searched with the faster ASCII boundaries
    assert [labels(out, i) for i in range(3)] == [["red"], ["other"], ["red"]]


def test_batching_does_not_change_the_result(taxonomy, monkeypatch):
    import pipeline.classify.categories as categories

    texts = [
        "Build RAG pipelines over contracts",
        "Enjoy our free snacks",
        "Mentor engineers on evaluation practices",
        "Deploy vLLM on our GPU cluster",
        "Partner with enterprise customers on pilots",
    ] * 3
    whole = classify_texts(texts, taxonomy)
    monkeypatch.setattr(categories, "BATCH_ROWS", 4)
    assert classify_texts(texts, taxonomy).equals(whole)


def test_thresholds_control_label_count(taxonomy):
    text = "Collaborate with product teams to deploy RAG agents and monitor latency"
    strict = classify_texts([text], taxonomy, min_score=0.99)
    assert strict["category"].to_list() == ["other"]
    loose = classify_texts([text], taxonomy, min_score=0.1, min_relative=0.0)
    default = classify_texts([text], taxonomy)
    assert loose.height >= default.height
    assert (default["score"] >= 0.55).all()


# --- example similarity, AI context and the generalising pattern fixes ----------------------


def _evidence(out: pl.DataFrame, category: str, position: int = 0) -> list[str]:
    row = out.filter((pl.col("position") == position) & (pl.col("category") == category))
    return row["evidence"].item().split(",") if row.height else []


def test_example_similarity_is_reported_as_evidence(taxonomy):
    text = "Keep up with the latest advances in AI and judge which ones to adopt"
    out = classify_texts([text], taxonomy)
    assert labels(out)[0] == "experimentation_research"
    similar = [e for e in _evidence(out, "experimentation_research") if e.startswith("example:")]
    assert len(similar) == 1
    name, _, sim = similar[0].partition("=")
    assert name == "example:experimentation_research"
    assert 0.0 < float(sim) <= 1.0


def test_example_similarity_can_be_switched_off(taxonomy):
    text = "Keep up with the latest advances in AI and judge which ones to adopt"
    with_examples = classify_texts([text], taxonomy)
    without = classify_texts([text], taxonomy, example_weight=0.0)
    assert not any("example:" in e for e in without["evidence"].to_list())
    top = "experimentation_research"
    assert (
        with_examples.filter(pl.col("category") == top)["score"].item()
        > without.filter(pl.col("category") == top)["score"].item()
    )


def test_example_similarity_labels_a_wording_no_pattern_covers(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            taxonomy: tiny
            version: "1"
            title: Tiny
            role_noun: Gardeners
            categories:
              - id: watering
                name: Watering
                problem: "Plants need water."
                what_people_do: ["Water the plants"]
                core_challenge: "Not too much, not too little."
                patterns: [{id: water_word, regex: '\\\\bwater\\\\b', weight: 1.0}]
                examples:
                  - Soak the seedlings with the hose every morning
                  - Check soil moisture and soak dry beds
              - id: pruning
                name: Pruning
                problem: "Plants grow wild."
                what_people_do: ["Prune the hedges"]
                core_challenge: "Cutting the right branch."
                patterns: [{id: prune_word, regex: '\\\\bprune\\\\b', weight: 1.0}]
                examples:
                  - Trim overgrown branches back in late winter
                  - Shape the hedges with shears
            """
        ),
        encoding="utf-8",
    )
    tax = load_taxonomy(path)
    text = "Soak the dry seedlings with the hose"
    out = classify_texts([text], tax)
    assert labels(out) == ["watering"]
    assert out["evidence"].item().startswith("example:watering=")
    assert labels(classify_texts([text], tax, example_weight=0.0)) == ["other"]


def test_example_index_is_built_once_per_taxonomy(taxonomy):
    import pipeline.classify.categories as categories

    first = categories._example_index(taxonomy)
    assert first is not None
    assert categories._example_index(taxonomy) is first


def test_generic_software_duty_without_ai_context_is_damped(taxonomy):
    plain = "Improve the page load speed of the billing website"
    with_ai = "Improve the page load speed of the LLM assistant"
    out = classify_texts([plain, with_ai], taxonomy)
    assert labels(out, 0)[0] == labels(out, 1)[0] == "performance_optimization"
    score = out.filter(pl.col("category") == "performance_optimization").sort("position")["score"]
    assert score[0] < score[1]


def test_ai_context_factor_of_a_custom_taxonomy(tmp_path):
    path = tmp_path / "ctx.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            taxonomy: ctx
            version: "1"
            title: Ctx
            role_noun: Engineers
            ai_context: '\\bmodels?\\b'
            categories:
              - id: speed
                name: Speed
                problem: "Things are slow."
                what_people_do: ["Make things fast"]
                core_challenge: "Measuring."
                ai_context_factor: 0.5
                patterns: [{id: fast_word, regex: '\\bfaster\\b', weight: 1.0}]
            """
        ),
        encoding="utf-8",
    )
    tax = load_taxonomy(path)
    assert tax.ai_context == "\\bmodels?\\b"
    assert tax.get("speed").ai_context_factor == 0.5
    out = classify_texts(
        ["make the model faster", "make the website faster"], tax, example_weight=0
    )
    assert labels(out, 0) == ["speed"]
    assert labels(out, 1) == ["other"]  # raw score halved below min_score


def test_frontend_role_nouns_in_a_hiring_list_are_not_ui_work(taxonomy):
    out = classify_texts(
        ["Grow a team of frontend, backend, and data engineers", "Build React front-end views"],
        taxonomy,
    )
    assert labels(out, 0) == ["other"]
    assert labels(out, 1)[0] == "frontend_ui"


def test_verb_list_object_decides_over_deploy(taxonomy):
    # "deploy" as one verb of a list does not outrank the object of the list
    out = classify_texts(
        ["Design, deploy, and maintain Kubernetes clusters for AI workloads"], taxonomy
    )
    got = labels(out)
    assert got[0] == "infrastructure_platforms"
    assert "productionizing_ai" in got


def test_head_collaboration_verb_leads(taxonomy):
    out = classify_texts(
        [
            "Work with product and design teams to improve assistant answers based on customer feedback"
        ],
        taxonomy,
    )
    assert labels(out)[0] == "collaboration"


def test_customer_teams_are_customers_not_internal_collaboration(taxonomy):
    out = classify_texts(
        ["Collaborate with customer engineering teams to roll out the AI product in their stack"],
        taxonomy,
    )
    assert labels(out)[0] == "customers"


def test_model_evaluation_in_a_list_is_labelled(taxonomy):
    out = classify_texts(
        ["Own the AI roadmap including model evaluation, cost tracking and compliance"], taxonomy
    )
    assert "evaluation_quality" in labels(out)


# Wordings written for these tests (not from postings): category that must be labelled, and
# categories that must not be.
PROBES = [
    (
        "Keep dependencies up to date and patch known vulnerabilities",
        None,
        "experimentation_research",
    ),
    ("Keep up to date with the latest LLM research", "experimentation_research", None),
    ("Migrate web services from on-prem servers to the cloud", None, "self_hosting"),
    ("Deploy open-weight models on-prem for regulated customers", "self_hosting", None),
    ("Maintain CI pipelines and test coverage for the model service", "productionizing_ai", None),
    ("Lead architecture reviews for new AI products", "collaboration", None),
    ("Help customers debug their integrations with our inference API", "customers", None),
    ("Label and clean conversation transcripts for model training", "data_processing", None),
    (
        "Reduce GPU spend for the summarisation pipeline without hurting quality",
        "performance_optimization",
        None,
    ),
    ("Design tool schemas so the assistant can query the CRM", "agents", None),
    (
        "Define success metrics for the AI copilot and track them after launch",
        "evaluation_quality",
        None,
    ),
    (
        "Build internal libraries that standardise how teams call foundation models",
        "infrastructure_platforms",
        None,
    ),
    ("Translate product requirements into prompt designs", "building_ai_systems", "customers"),
    ("Keep the LLM gateway highly available and meet its SLOs", "productionizing_ai", None),
    ("Own AI features from idea to launch", "productionizing_ai", None),
    ("Implement role-based access for the agent's tools", "security_compliance", None),
    ("Build recommendation models using collaborative filtering", "fine_tuning", "collaboration"),
    ("Design a caching layer for repeated LLM requests", "provider_apis", None),
    ("Reduce time to first token for streaming chat", "performance_optimization", "provider_apis"),
    ("Write integration tests for the LLM gateway", None, "building_ai_systems"),
    ("Build a Slack bot that answers HR questions", "building_ai_systems", None),
]


@pytest.fixture(scope="module")
def probe_labels(taxonomy) -> pl.DataFrame:
    return classify_texts([text for text, _, _ in PROBES], taxonomy)


def assert_probe(text: str, got: list, wanted: str | None, unwanted: str | None) -> None:
    """A probe's labels include `wanted` and exclude `unwanted` (either may be None)."""
    if wanted is not None:
        assert wanted in got, (text, got)
    if unwanted is not None:
        assert unwanted not in got, (text, got)


@pytest.mark.parametrize(
    ("index", "text", "wanted", "unwanted"), [(i, *p) for i, p in enumerate(PROBES)]
)
def test_generalisation_probes(probe_labels, index, text, wanted, unwanted):
    got = labels(probe_labels, index)
    assert_probe(text, got, wanted, unwanted)


# Secondary building_ai_systems policy (annotation guide: AI-building is added when the item
# builds, scopes or ships something AI-powered, not when AI is only the context the work
# serves, evaluates, secures or researches).
BUILD_SECONDARY_PROBES = [
    # (text, wanted, unwanted)
    (
        "Develop reporting dashboards that call language models to summarise sales data",
        "building_ai_systems",
        None,
    ),
    (
        "Work with product managers to define AI features for the mobile app",
        "building_ai_systems",
        None,
    ),
    (
        "Design and build agentic systems that automate invoice approvals",
        "building_ai_systems",
        None,
    ),
    ("Implement a RAG pipeline over the policy handbook", "building_ai_systems", None),
    ("Ship AI projects from prototype to customers", "building_ai_systems", None),
    (
        "Detect prompt injection attempts in user input",
        "security_compliance",
        "building_ai_systems",
    ),
    (
        "Evaluate AI-generated summaries for factual accuracy",
        "evaluation_quality",
        "building_ai_systems",
    ),
    ("Mentor engineers and raise the bar on AI solutions", "collaboration", "building_ai_systems"),
    (
        "Implement content pipelines that support AI-powered search",
        "data_processing",
        "building_ai_systems",
    ),
    (
        "Integrate trained models into production services",
        "productionizing_ai",
        "building_ai_systems",
    ),
    ("Establish coding standards across the engineering teams", "collaboration", None),
    (
        "Monitor the ticket router and ensure high accuracy of its answers",
        "evaluation_quality",
        None,
    ),
]


@pytest.fixture(scope="module")
def build_probe_labels(taxonomy) -> pl.DataFrame:
    return classify_texts([text for text, _, _ in BUILD_SECONDARY_PROBES], taxonomy)


@pytest.mark.parametrize(
    ("index", "text", "wanted", "unwanted"),
    [(i, *p) for i, p in enumerate(BUILD_SECONDARY_PROBES)],
)
def test_building_ai_secondary_policy(build_probe_labels, index, text, wanted, unwanted):
    got = labels(build_probe_labels, index)
    assert_probe(text, got, wanted, unwanted)


def test_damper_evidence_is_not_reported(taxonomy):
    out = classify_texts(["Detect prompt injection attempts in user input"], taxonomy)
    evidence = ",".join(out["evidence"].to_list())
    assert "bld_prompt_attack" not in evidence


THIRD_LABEL_TEXTS = [
    "Collaborate with product teams to deploy RAG agents and monitor latency",
    "Build and deploy agentic systems that automate claims workflows and track their accuracy",
    "Design caching and retries for calls to hosted model APIs to cut latency and cost",
    "Partner with data engineers to clean training data and fine-tune a ranking model",
]


def test_third_label_needs_to_be_nearly_as_clear_as_the_best(taxonomy):
    from pipeline.classify.categories import DEFAULT_MIN_RELATIVE_THIRD

    out = classify_texts(THIRD_LABEL_TEXTS, taxonomy)
    top = out.group_by("position").agg(pl.col("score").max().alias("top"))
    third = out.filter(pl.col("rank") >= 3).join(top, on="position")
    assert (third["score"] >= DEFAULT_MIN_RELATIVE_THIRD * third["top"] - 1e-9).all()


def test_third_label_threshold_is_a_parameter(taxonomy):
    default = classify_texts(THIRD_LABEL_TEXTS, taxonomy)
    lenient = classify_texts(THIRD_LABEL_TEXTS, taxonomy, min_relative_third=0.0)
    two_at_most = classify_texts(THIRD_LABEL_TEXTS, taxonomy, min_relative_third=1.01)
    assert lenient.height >= default.height >= two_at_most.height
    assert two_at_most["rank"].max() <= 2
    # never looser than min_relative for the second label's rule
    strict = classify_texts(THIRD_LABEL_TEXTS, taxonomy, min_relative=0.9, min_relative_third=0.0)
    tops = strict.group_by("position").agg(pl.col("score").max().alias("top"))
    joined = strict.join(tops, on="position")
    assert (joined["score"] >= 0.9 * joined["top"] - 1e-9).all()


def _similarity_by_definition(text: str, taxonomy) -> dict[int, float]:
    """The example similarity of one text, computed term by term in plain Python from the
    definition (stopwords dropped, tokens stemmed, unigrams and bigrams never across a clause
    separator, idf weights, cosine with each profile)."""
    import math
    import re

    from pipeline.classify import categories as c

    index = c._example_index(taxonomy)
    normalised = pl.DataFrame({"t": [text]}).select(c.normalize_text_expr("t")).item()
    tokens = [t for t in normalised.split(" ") if t and t not in c._STOPWORDS]
    stems = [re.sub(c._STEM, r"\1", t) for t in tokens]
    terms = {s for s in stems if "," not in s}
    terms |= {f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False) if "," not in a + b}
    idf = dict(zip(index.idf["term"], index.idf["__idf"], strict=True))
    tid = dict(zip(index.idf["term"], index.idf["__tid"], strict=True))
    norm = math.sqrt(sum(idf.get(t, index.oov_idf) ** 2 for t in terms))
    return {
        ci: round(sum(idf[t] / norm * index.weights[tid[t], j] for t in terms if t in idf), 6)
        for j, ci in enumerate(index.categories)
    }


def test_example_similarity_follows_its_definition(taxonomy):
    from pipeline.classify import categories as c

    texts = [
        "Deploy and monitor LLM-powered services in production, with evaluation datasets",
        "Collaborate with product managers; translate customer needs into AI features",
        "Fine-tune open-source models on our own GPUs and build retrieval pipelines",
        "the and of",  # stopwords only: no term
        "",
    ]
    base = pl.DataFrame({"text": texts}).select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(c._ROW),
        c.normalize_text_expr("text").alias(c._TEXT),
    )
    sims = c._example_similarity(base, c._example_index(taxonomy))
    for row, text in enumerate(texts):
        expected = _similarity_by_definition(text, taxonomy)
        got = {ci: sims[f"__xs{ci}"][row] for ci in expected}
        assert got == pytest.approx(expected, abs=2e-6), text
    assert any(v > 0 for v in _similarity_by_definition(texts[0], taxonomy).values())


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Build  RAG-based\tsearch!", "build rag based search"),
        ("Own the team's evals; ship fast", "own the team evals , ship fast"),
        ("a - b", "a b"),  # a run of spaces and punctuation is one space
        ("one two", "one two"),  # single spaces are kept as they are
        ("  ...Deploy: models,,  agents ", "deploy , models , agents"),
        ("Café\u00a0déjà vu", "café déjà vu"),
        (None, ""),
    ],
)
def test_normalize_text_expr(text, normalised):
    from pipeline.classify import categories as c

    frame = pl.DataFrame({"t": [text]}, schema={"t": pl.String})
    assert frame.select(c.normalize_text_expr("t")).item() == normalised

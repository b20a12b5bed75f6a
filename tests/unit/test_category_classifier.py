"""Unit tests for the rules-based category classifier (inputs are written here)."""

from __future__ import annotations

import textwrap

import polars as pl
import pytest

from pipeline.classify.categories import (
    OUTPUT_SCHEMA,
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
        assert firsts >= len(cat.examples) - 1, cat.id


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
        assert evidence and set(evidence) <= ids
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


def test_works_with_a_custom_taxonomy(tmp_path):
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
    tax = load_taxonomy(path)
    out = classify_texts(["Paint the door red and crimson", "Blue skies", "Green grass"], tax)
    assert labels(out, 0) == ["red"]
    row = out.filter(pl.col("position") == 0).row(0, named=True)
    assert row["subpattern"] == "crimson"
    assert row["evidence"] == "red_word,crimson_word"
    assert row["classifier"] == "rules:colours@2"
    assert labels(out, 1) == ["blue"]
    assert labels(out, 2) == ["other"]


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

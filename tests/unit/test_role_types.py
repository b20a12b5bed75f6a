"""Role-type rules on postings and labels written for these tests."""

import polars as pl

from pipeline.classify.role_types import role_types


def classify(rows: list[dict], labels: list[dict]) -> dict[str, str]:
    postings = pl.DataFrame(
        [{"batch_id": "b", "precomputed_role_type": None, **r} for r in rows],
        schema_overrides={"precomputed_role_type": pl.String},
    )
    lab = pl.DataFrame(
        [{"batch_id": "b", **label} for label in labels],
        schema={
            "batch_id": pl.String,
            "posting_id": pl.String,
            "position": pl.Int32,
            "category": pl.String,
            "rank": pl.Int32,
        },
    )
    out = role_types(postings, lab)
    assert out.columns == ["posting_id", "batch_id", "role_type", "score", "method", "reason"]
    assert out["score"].is_between(0, 1).all()
    return dict(zip(out["posting_id"], out["role_type"], strict=True))


def test_three_kinds_of_role_and_unknown():
    rows = [
        {
            "posting_id": "a",
            "title": "AI Engineer",
            "description_text": "Build LLM agents with RAG and prompt evaluation for our chatbot.",
        },
        {
            "posting_id": "p",
            "title": "AI Platform Engineer",
            "description_text": "Run the Kubernetes platform and GPU clusters and the infrastructure for training.",
        },
        {
            "posting_id": "m",
            "title": "Data Scientist",
            "description_text": "Build forecasting and churn models with XGBoost; feature engineering and A/B tests.",
        },
        {"posting_id": "u", "title": "Office Manager", "description_text": "Keep the office tidy."},
    ]
    labels = [
        {"posting_id": "a", "position": 0, "category": "agents", "rank": 1},
        {"posting_id": "p", "position": 0, "category": "infrastructure_platforms", "rank": 1},
        {"posting_id": "m", "position": 0, "category": "experimentation_research", "rank": 1},
    ]
    assert classify(rows, labels) == {
        "a": "ai-first",
        "p": "ai-support",
        "m": "ml-first",
        "u": "unknown",
    }


def test_precomputed_role_type_wins():
    postings = pl.DataFrame(
        {
            "batch_id": ["b"],
            "posting_id": ["x"],
            "title": ["AI Engineer"],
            "description_text": [None],
            "precomputed_role_type": ["ml-first"],
        },
        schema_overrides={"description_text": pl.String},
    )
    labels = pl.DataFrame(
        schema={
            "batch_id": pl.String,
            "posting_id": pl.String,
            "position": pl.Int32,
            "category": pl.String,
            "rank": pl.Int32,
        }
    )
    out = role_types(postings, labels).row(0, named=True)
    assert out["role_type"] == "ml-first" and out["method"] == "precomputed"

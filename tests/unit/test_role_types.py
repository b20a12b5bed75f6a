"""Role-type rules on postings and labels written for these tests."""

import polars as pl

from pipeline.classify.role_types import role_types

LABEL_SCHEMA = {
    "batch_id": pl.String,
    "posting_id": pl.String,
    "position": pl.Int32,
    "category": pl.String,
    "rank": pl.Int32,
}


def postings_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"batch_id": "b", "precomputed_role_type": None, **r} for r in rows],
        schema_overrides={"precomputed_role_type": pl.String},
    )


def labels_frame(labels: list[dict] = ()) -> pl.DataFrame:
    return pl.DataFrame([{"batch_id": "b", **label} for label in labels], schema=LABEL_SCHEMA)


def typed(rows: list[dict], labels: list[dict] = ()) -> dict[str, dict]:
    """Each posting's output row, by posting id."""
    out = role_types(postings_frame(rows), labels_frame(labels))
    assert out.columns == ["posting_id", "batch_id", "role_type", "score", "method", "reason"]
    assert out["score"].is_between(0, 1).all()
    return {r["posting_id"]: r for r in out.iter_rows(named=True)}


def classify(rows: list[dict], labels: list[dict]) -> dict[str, str]:
    return {pid: r["role_type"] for pid, r in typed(rows, labels).items()}


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
    labels = labels_frame()
    out = role_types(postings, labels).row(0, named=True)
    assert out["role_type"] == "ml-first" and out["method"] == "precomputed"


def _no_labels() -> list[dict]:
    return []


def test_support_title_with_generic_text_is_ai_support():
    rows = [
        {
            "posting_id": "fe",
            "title": "Senior Frontend Engineer, AI Products",
            "description_text": "Build React and TypeScript web applications; own CSS and the UI "
            "of our AI products.",
        },
        {
            "posting_id": "sales",
            "title": "Sales Engineer",
            "description_text": "Run demos for prospects and support account executives.",
        },
    ]
    assert classify(rows, _no_labels()) == {"fe": "ai-support", "sales": "ai-support"}


def test_generative_vocabulary_outweighs_a_generic_software_title():
    rows = [
        {
            "posting_id": "swe",
            "title": "Software Engineer",
            "description_text": "- Build LLM agents with tool calling\n- Design RAG over a vector "
            "database\n- Write prompts and run evals against hallucinations",
        }
    ]
    assert classify(rows, _no_labels()) == {"swe": "ai-first"}


def test_enabler_work_leans_ai_support():
    # Same title and generative vocabulary; one helps other teams adopt AI coding tools.
    base = "Work with LLM APIs. "
    rows = [
        {"posting_id": "builder", "title": "Engineer", "description_text": base * 2},
        {
            "posting_id": "enabler",
            "title": "Engineer",
            "description_text": base
            + "Roll out Cursor and Copilot, improve developer productivity and AI adoption, "
            "enable other engineers.",
        },
    ]
    out = classify(rows, _no_labels())
    assert out == {"builder": "ai-first", "enabler": "ai-support"}


def test_ml_first_needs_training_vocabulary_without_generative_ai():
    cv = (
        "Train deep learning models in PyTorch for computer vision: object detection, "
        "segmentation and lidar perception on GPUs."
    )
    rows = [
        {"posting_id": "cv", "title": "Computer Vision Engineer", "description_text": cv},
        {
            "posting_id": "genai",
            "title": "Computer Vision Engineer",
            "description_text": cv + " Build LLM agents with RAG, prompts and evals." * 8,
        },
    ]
    assert classify(rows, _no_labels()) == {"cv": "ml-first", "genai": "ai-first"}


def test_company_blurb_weighs_less_than_bullet_lines():
    blurb = "About us: we build AI agents for banks."
    bullets = "\n".join(
        f"- {line}"
        for line in (
            "Maintain Kubernetes clusters and Terraform modules",
            "Own CI/CD pipelines and observability dashboards",
            "Keep the data pipelines and the data warehouse healthy",
            "Harden the infrastructure platform for reliability",
        )
    )
    rows = [{"posting_id": "p", "title": "Engineer", "description_text": blurb + "\n" + bullets}]
    out = role_types(postings_frame(rows), labels_frame()).row(0, named=True)
    assert out["role_type"] == "ai-support"
    assert "(bullets 0.0)" in out["reason"] and out["method"] == "rules"


def test_primary_category_shares_tip_a_neutral_posting():
    rows = [
        {"posting_id": f, "title": "Engineer", "description_text": "Ship features with the team."}
        for f in ("x", "y")
    ]
    labels = [
        {"posting_id": "x", "position": 0, "category": "agents", "rank": 1},
        {"posting_id": "x", "position": 1, "category": "rag_retrieval", "rank": 1},
        {"posting_id": "y", "position": 0, "category": "infrastructure_platforms", "rank": 1},
        {"posting_id": "y", "position": 1, "category": "frontend_ui", "rank": 1},
    ]
    assert classify(rows, labels) == {"x": "ai-first", "y": "ai-support"}


def test_score_is_a_confidence_and_reason_names_the_evidence():
    rows = [
        {
            "posting_id": "strong",
            "title": "AI Engineer",
            "description_text": "Build LLM agents, RAG and prompts; run evals. " * 5,
        },
        {
            "posting_id": "weak",
            "title": "Engineer",
            "description_text": "Build features; some LLM work and some Kubernetes.",
        },
    ]
    postings, labels = postings_frame(rows), labels_frame()
    out = {r["posting_id"]: r for r in role_types(postings, labels).iter_rows(named=True)}
    assert out["strong"]["role_type"] == "ai-first"
    assert 0.5 <= out["weak"]["score"] < out["strong"]["score"] <= 1.0
    for key in ("lean", "title[", "genai=", "support=", "enabler=", "classical=", "primary-shares"):
        assert key in out["strong"]["reason"]


def test_build_verb_with_an_ai_product_leans_ai_first():
    # Same generic title and support vocabulary; one builds AI-powered features itself.
    base = "- Write back-end services and APIs in Python with SQL databases\n" * 2
    rows = [
        {"posting_id": "plain", "title": "Software Engineer", "description_text": base},
        {
            "posting_id": "builder",
            "title": "Software Engineer",
            "description_text": base
            + "- Build AI-powered features for our customers\n"
            + "- Design and deploy AI agents that answer support tickets\n",
        },
    ]
    out = {
        r["posting_id"]: r
        for r in role_types(postings_frame(rows), labels_frame()).iter_rows(named=True)
    }
    assert out["plain"]["role_type"] == "ai-support"
    assert out["builder"]["role_type"] == "ai-first"
    assert "build-ai=0.0" in out["plain"]["reason"]
    assert "build-ai=0.0" not in out["builder"]["reason"]


def test_infrastructure_that_powers_others_ai_leans_ai_support():
    # Same title and generative vocabulary; one runs the platform under other teams' models.
    base = "Work with LLM APIs and agents. "
    rows = [
        {"posting_id": "builder", "title": "Engineer", "description_text": base * 2},
        {
            "posting_id": "platform",
            "title": "Engineer",
            "description_text": base
            + "Own the services that power our AI models, scale inference for AI workloads, "
            "and help researchers to deploy faster.",
        },
    ]
    assert classify(rows, _no_labels()) == {"builder": "ai-first", "platform": "ai-support"}

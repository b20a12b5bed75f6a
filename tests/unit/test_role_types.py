"""Role-type rules on postings and labels written for these tests."""

import polars as pl
import pytest

from pipeline.classify.role_types import CLASSICAL_ML_TERMS, SUPPORT_TERMS, _bullets, role_types

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


def _examples(alternative: str) -> list[str]:
    """Strings an alternative of a vocabulary pattern matches (the syntax those use: optional
    characters, `[- ]`, `[sz]`, `\\.`, `\\w*`)."""
    import re

    optional = re.search(r"(\\.|\[[^\]]*\]|[^\\\]])\?", alternative)
    if optional:
        before, after = alternative[: optional.start()], alternative[optional.end() :]
        return [*_examples(before + optional.group(1) + after), *_examples(before + after)]
    klass = re.search(r"\[([^\]]*)\]", alternative)
    if klass:
        before, after = alternative[: klass.start()], alternative[klass.end() :]
        return [e for ch in klass.group(1) for e in _examples(before + ch + after)]
    return [alternative.replace(r"\w*", "ing").replace("\\", "")]


@pytest.mark.parametrize("parts", [CLASSICAL_ML_TERMS, SUPPORT_TERMS])
def test_split_vocabularies_count_as_their_single_alternation(parts):
    """A vocabulary split into patterns (`_rate` adds their counts) counts what the one
    alternation of all its terms counts: no match of one part overlaps a match of another."""
    import itertools
    import re

    alternatives = [
        a for part in parts for a in re.fullmatch(r"\\b\((.*)\)\\b", part)[1].split("|")
    ]
    joined = r"\b(" + "|".join(alternatives) + r")\b"
    examples = [e for a in alternatives for e in _examples(a)]
    for example in examples:
        assert re.fullmatch(joined, example), example
    short = [e for e in _examples(re.fullmatch(r"\\b\((.*)\)\\b", parts[-1])[1]) if e]
    texts = [sep.join(examples) for sep in (" ", ", ", "/", "-", "\n", "")]
    texts += [
        f"{a}{sep}{b}"
        for a, b in itertools.chain(
            itertools.product(short, examples), itertools.product(examples, short)
        )
        for sep in (" ", "-", "", ".")
    ]
    frame = pl.DataFrame({"t": texts})
    counts = frame.select(
        one=pl.col("t").str.count_matches(joined),
        parts=pl.sum_horizontal(pl.col("t").str.count_matches(p) for p in parts),
    )
    assert counts["one"].sum() > len(examples)
    assert (counts["one"] == counts["parts"]).all()


@pytest.mark.parametrize(
    ("text", "bullets"),
    [
        (
            "About us\n- build agents\n  * ship evals\nprose - not a bullet\n\t• own rag",
            "- build agents\n  * ship evals\n\t• own rag",
        ),
        ("no bullets here\n\nat all", ""),
        ("- only\n", "- only"),
        ("", ""),
        (None, ""),
    ],
)
def test_bullets_are_the_lines_that_start_with_a_bullet(text, bullets):
    frame = pl.DataFrame({"t": [text]}, schema={"t": pl.String})
    assert frame.select(_bullets(pl.col("t"))).item() == bullets

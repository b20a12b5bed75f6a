"""Rules extraction on postings written for these tests."""

import polars as pl

from pipeline.extract.rules import extract_responsibilities


def extract(*descriptions: str, responsibilities=None) -> pl.DataFrame:
    n = len(descriptions)
    df = pl.DataFrame(
        {
            "batch_id": ["b"] * n,
            "posting_id": [f"p{i}" for i in range(n)],
            "description_text": list(descriptions),
            "precomputed_responsibilities": responsibilities or [None] * n,
        },
        schema_overrides={"precomputed_responsibilities": pl.List(pl.String)},
    )
    return extract_responsibilities(df)


POSTING = """About Acme

Acme builds tools for hospitals.

What you'll do:

- Build retrieval-augmented chat features for clinicians
- Own the evaluation harness for our language models
  - Add regression tests for every prompt change
- Partner with product managers on the roadmap

What you bring

- 5+ years of Python experience
- Experience with cloud platforms

Benefits

- Health insurance for your family
"""


def test_bullets_of_the_duties_section_only():
    out = extract(POSTING)
    assert out["text"].to_list() == [
        "Build retrieval-augmented chat features for clinicians",
        "Own the evaluation harness for our language models",
        "Add regression tests for every prompt change",
        "Partner with product managers on the roadmap",
    ]
    assert out["position"].to_list() == [0, 1, 2, 3]
    assert set(out["section"]) == {"What you'll do"}
    assert set(out["method"]) == {"rules"}


def test_numbered_items_bold_headings_and_several_sections():
    text = (
        "**Your impact**\n\n1. Design agent workflows with tool calling\n2) Ship them to production safely\n\n"
        "**Requirements**\n\n1. A degree in computer science\n\n"
        "KEY DUTIES\n\n* Mentor two junior engineers on the team\n"
    )
    out = extract(text)
    assert out["text"].to_list() == [
        "Design agent workflows with tool calling",
        "Ship them to production safely",
        "Mentor two junior engineers on the team",
    ]


def test_prose_duties_section_is_split_into_sentences():
    text = "Responsibilities\n\nYou will design data pipelines for model training. You will also monitor them in production.\n\nQualifications\n\nA PhD."
    assert extract(text)["text"].to_list() == [
        "You will design data pipelines for model training.",
        "You will also monitor them in production.",
    ]


def test_posting_without_a_duties_section_falls_back_to_duty_sentences():
    text = (
        "Acme is a bank. In this job you will build fraud models with the risk team. "
        "You will need 5 years of experience with Python. We offer great benefits."
    )
    out = extract(text)
    assert out["text"].to_list() == ["In this job you will build fraud models with the risk team."]
    assert out["section"].to_list() == [None]


def test_enriched_postings_keep_their_items_in_order():
    out = extract(
        "ignored text", responsibilities=[["Build RAG pipelines", "Deploy models to production"]]
    )
    assert out["text"].to_list() == ["Build RAG pipelines", "Deploy models to production"]
    assert set(out["method"]) == {"precomputed"}


def test_empty_and_null_descriptions_give_no_items():
    assert extract("", "Benefits\n\n- Free lunch every day of the week").height == 0

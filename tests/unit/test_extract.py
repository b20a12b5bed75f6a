"""Rules extraction on postings written for these tests."""

import polars as pl
import pytest

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


def texts(description: str) -> list[str]:
    return extract(description)["text"].to_list()


def test_inline_heading_with_items_separated_by_semicolons():
    text = (
        "We make software for farms.\n\n"
        "Responsibilities: Design irrigation forecasting models; build dashboards for growers\n\n"
        "Requirements: 3+ years of Python; a degree in statistics\n"
    )
    assert texts(text) == [
        "Design irrigation forecasting models",
        "build dashboards for growers",
    ]


def test_inline_heading_with_dash_bullets_on_one_line():
    text = (
        "Key Duties - Build the billing service in Go - Ship weekly releases to customers "
        "- Review pull requests from the team\n\n"
        "Qualifications - Five years of Go - Experience with Postgres\n"
    )
    assert texts(text) == [
        "Build the billing service in Go",
        "Ship weekly releases to customers",
        "Review pull requests from the team",
    ]


def test_heading_glued_to_the_end_of_a_paragraph():
    text = (
        "We are a small team building tools for ships. Key Responsibilities\n\n"
        "- Maintain the route planning engine\n- Improve test coverage of the planner\n\n"
        "Nice to have\n\n- Rust experience in production\n"
    )
    assert texts(text) == [
        "Maintain the route planning engine",
        "Improve test coverage of the planner",
    ]


def test_well_known_heading_glued_to_its_text_without_punctuation():
    text = (
        "About the role You will own the search ranking service. "
        "Our office has a nice garden.\n\n"
        "Who you are\n\n- You have shipped search systems before\n"
    )
    assert texts(text) == ["You will own the search ranking service."]


def test_lead_in_line_opens_the_duties_list_and_a_qualifications_lead_in_closes_it():
    text = (
        "Lumen Labs helps clinics schedule nurses. "
        "As a senior engineer on the scheduling team, you will:\n\n"
        "- Design the shift optimisation service\n- Mentor two engineers\n\n"
        "This job is a good fit if you have:\n\n- Operations research background\n"
        "- Shipped an optimisation product\n"
    )
    assert texts(text) == ["Design the shift optimisation service", "Mentor two engineers"]


def test_heading_wordings_without_apostrophes_as_questions_and_with_ellipsis():
    for heading in ("What Youll Do", "What will you do?", "What you'll do...", "🚀 Your Mission"):
        text = (
            f"{heading}\n\n- Build the data catalogue for analysts\n\n"
            "What Were Looking For\n\n- Strong SQL\n"
        )
        assert texts(text) == ["Build the data catalogue for analysts"], heading


def test_bullet_that_ends_with_a_colon_is_a_heading():
    text = (
        "About you:\n\n- A curious person who likes puzzles\n- What you'll do:\n"
        "- Label speech recordings for our models\n- Report tooling issues to the team\n"
    )
    assert texts(text) == [
        "Label speech recordings for our models",
        "Report tooling issues to the team",
    ]


def test_about_the_role_gives_bullets_and_duty_sentences_only():
    text = (
        "About the Role\n\n"
        "Our platform serves two million riders. You'll lead the pricing experiments. "
        "The office is next to the station.\n\n"
        "- Define metrics for rider retention\n\n"
        "Benefits\n\n- Free bike repairs\n"
    )
    assert texts(text) == [
        "You'll lead the pricing experiments.",
        "Define metrics for rider retention",
    ]


def test_posting_without_headings_keeps_action_bullets():
    text = (
        "Help our chemists discover catalysts faster:\n\n"
        "- Compare simulation results with lab data\n"
        "- Automate the nightly screening jobs\n\n"
        "Perks\n\n- Use the company gym every day\n"
    )
    assert texts(text) == [
        "Compare simulation results with lab data",
        "Automate the nightly screening jobs",
    ]


def test_posting_without_headings_or_bullets_keeps_imperative_and_duty_sentences():
    text = (
        "We were founded in 2019 and sell catalysts. Optimise the GPU cluster schedule. "
        "You will also pair with chemists on experiments. We offer a great pension."
    )
    assert texts(text) == [
        "Optimise the GPU cluster schedule.",
        "You will also pair with chemists on experiments.",
    ]


def test_list_of_action_bullets_under_a_heading_that_reads_like_a_qualification():
    text = (
        "Responsibilities\n\nEducation & Outreach:\n\n"
        "- Run workshops for school districts\n- Write guides for the classroom app\n"
        "- Collect feedback from teachers\n\n"
        "Skills\n\n- Experience teaching adults\n- Clear writing\n"
    )
    assert texts(text) == [
        "Run workshops for school districts",
        "Write guides for the classroom app",
        "Collect feedback from teachers",
    ]


def test_compound_item_is_split_into_one_item_per_task():
    text = (
        "Responsibilities\n\n"
        "- Cloud: Deploy services to the cluster. Monitor them in production. Keep costs low.\n"
    )
    assert texts(text) == [
        "Cloud: Deploy services to the cluster.",
        "Monitor them in production.",
        "Keep costs low.",
    ]


def test_requirements_salary_and_sub_headings_left_in_a_duties_list_are_dropped():
    text = (
        "What you'll do\n\n"
        "- Own the ingestion pipeline for sensor data\n"
        "- Platform Engineering\n"
        "- 5+ years of experience with Kafka\n"
        "- Excellent written and verbal communication skills\n"
        "- Salary: $120,000 - $150,000 per year\n"
        "- You thrive in small teams\n"
    )
    assert texts(text) == ["Own the ingestion pipeline for sensor data"]


def test_sentence_case_heading_of_several_words_closes_the_duties_section():
    text = (
        "Responsibilities\n\n- Triage incoming support tickets\n\n"
        "How to be successful in this role\n\n- Prioritise calmly under pressure\n"
    )
    assert texts(text) == ["Triage incoming support tickets"]


@pytest.mark.parametrize(
    "texts",
    [["Duties", None, "about US", None], [None, None], ["Benefits"], []],
)
def test_section_kinds_of_masked_lines_are_null_and_the_others_as_computed_on_all(texts):
    """`_on_non_null` computes on the present texts only: same values there, null elsewhere."""
    from pipeline.extract.rules import _kind_of_normed, _norm, _section_kinds

    series = pl.Series("h", texts, dtype=pl.String)
    everywhere = pl.select(_kind_of_normed(_norm(pl.lit(series)))).to_series()
    kinds = _section_kinds(series)
    assert kinds.dtype == pl.String and len(kinds) == len(texts)
    assert kinds.to_list() == [
        k if t is not None else None for k, t in zip(everywhere, texts, strict=True)
    ]


def test_lines_shared_by_postings_take_each_postings_own_section_and_order():
    """Line features are worked out once per distinct line: a line that several postings
    share (a bullet, a heading split off its line) must still fall in each posting's own
    section, at its own place."""
    shared_bullet = "- Build forecasting models for the supply team"
    inline = "Responsibilities: Design pricing experiments; review model launches"
    duties_first = f"What you'll do\n\n{shared_bullet}\n- Ship dashboards to growers\n"
    benefits_first = f"Benefits\n\n{shared_bullet}\n- Paid parental leave\n"
    out = extract(duties_first, benefits_first, f"{inline}\n\n{duties_first}", inline)
    by_posting = {
        p: g["text"].to_list() for (p,), g in out.group_by("posting_id", maintain_order=True)
    }
    assert by_posting == {
        "p0": ["Build forecasting models for the supply team", "Ship dashboards to growers"],
        # the same bullet under a benefits heading is not a duty
        "p2": [
            "Design pricing experiments",
            "review model launches",
            "Build forecasting models for the supply team",
            "Ship dashboards to growers",
        ],
        "p3": ["Design pricing experiments", "review model launches"],
    }
    assert out.filter(pl.col("posting_id") == "p2")["section"].to_list() == [
        "Responsibilities",
        "Responsibilities",
        "What you'll do",
        "What you'll do",
    ]

"""Report rendering is pure: literal figures in, the reference report's sections out."""

import xml.etree.ElementTree as ET

from pipeline.report.build import chart_svgs, figures_json, render_html, render_markdown


def figures() -> dict:
    cat = {
        "category": "rag_retrieval",
        "category_name": "RAG and Retrieval",
        "sort_order": 4,
        "band": "common",
        "share_of_roles": 0.25,
        "wilson_low": 0.2,
        "wilson_high": 0.31,
        "postings_with_category": 25,
        "postings_total": 100,
        "responsibility_count": 40,
        "problem": "Models need company data.",
        "core_challenge": "Relevance at scale.",
        "examples": ["Build hybrid search over contracts"],
        "subpatterns": [
            {"subpattern_name": "Re-ranking", "share_of_roles": 0.1, "share_within_category": 0.4}
        ],
    }
    return {
        "title": "AI Engineering Responsibilities",
        "role_noun": "AI Engineers",
        "postings": 100,
        "responsibilities": 640,
        "batches": ["2026-02-04"],
        "thresholds": {"band_very_common": 0.5, "band_common": 0.2, "band_uncommon": 0.05},
        "categories": [cat],
        "role_types": [
            {"role_type": "ai-first", "postings": 70, "share": 0.7},
            {"role_type": "ai-support", "postings": 30, "share": 0.3},
        ],
        "titles": [
            {
                "title_normalized": "AI Engineer",
                "role_type": "ai-first",
                "postings": 29,
                "share_of_title": 0.97,
                "title_postings": 30,
                "title_rank": 1,
            },
            {
                "title_normalized": "AI Engineer",
                "role_type": "ai-support",
                "postings": 1,
                "share_of_title": 0.03,
                "title_postings": 30,
                "title_rank": 1,
            },
        ],
        "profiles": [
            {
                "role_type": "ai-support",
                "role_type_postings": 30,
                "category": "infrastructure_platforms",
                "category_name": "Infrastructure and Platforms",
                "share_of_roles": 0.6,
                "share_of_other_roles": 0.3,
                "share_difference": 0.3,
            },
            {
                "role_type": "ai-support",
                "role_type_postings": 30,
                "category": "agents",
                "category_name": "Agents",
                "share_of_roles": 0.1,
                "share_of_other_roles": 0.5,
                "share_difference": -0.4,
            },
            {
                "role_type": "ml-first",
                "role_type_postings": 4,
                "category": "fine_tuning",
                "category_name": "Fine-tuning",
                "share_of_roles": 1.0,
                "share_of_other_roles": 0.2,
                "share_difference": 0.8,
            },
        ],
        "words": [
            {
                "word": "build",
                "token_count": 70,
                "responsibilities_containing": 80,
                "word_rank": 1,
                "is_top_token": True,
                "is_stem": True,
            },
            {
                "word": "deploy",
                "token_count": 9,
                "responsibilities_containing": 30,
                "word_rank": 9,
                "is_top_token": False,
                "is_stem": True,
            },
        ],
    }


def test_markdown_has_the_reference_sections_with_computed_numbers():
    md = render_markdown(figures())
    assert md.startswith(
        "# AI Engineering Responsibilities Analysis\n\nBased on 640 responsibilities extracted from 100 job descriptions"
    )
    for heading in (
        "## Frequency Guide",
        "## Typical Job Titles",
        "## Problems AI Engineers Solve",
        "## Common",
        "## Key Insights",
        "## Most Common Words in Responsibilities",
    ):
        assert f"\n{heading}\n" in md
    assert "- AI Engineer - 30 postings, 97% AI-First" in md
    assert "Share of roles: 25% (95% CI 20%-31%; 25 of 100 postings; 40 responsibilities)" in md
    assert "- Re-ranking - 10% of roles, 40% of this category's" in md
    assert "| build | 70 | 80 |" in md and "| deploy | 9 | 30 |" in md
    # role-type profiles: only over-represented categories, only role types with enough roles
    assert "- Infrastructure and Platforms: 60% of AI-Support roles vs 30% of other roles" in md
    assert "Agents: 10%" not in md and "ML-First roles" not in md


def test_rendering_is_deterministic_and_html_is_self_contained():
    assert render_markdown(figures()) == render_markdown(figures())
    assert figures_json(figures()) == figures_json(figures())
    charts = chart_svgs(figures())
    assert charts == chart_svgs(figures())
    md = render_markdown(figures())
    assert "![Role-type split](charts/role_type_split.svg)" in md
    html = render_html(md, "T", charts)
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html
    # charts are inlined, so the page needs no other file; the only URL is the SVG namespace
    assert "<img" not in html and html.count("<svg") == 2
    assert "http" not in html.replace("http://www.w3.org/2000/svg", "")


def test_charts_are_valid_svg_with_one_bar_per_category():
    charts = chart_svgs(figures())
    for svg in charts.values():
        ET.fromstring(svg)
    shares = ET.fromstring(charts["category_shares.svg"])
    ns = "{http://www.w3.org/2000/svg}"
    assert len(shares.findall(f"{ns}rect")) == 1  # one category in the figures, `other` excluded
    assert (
        "RAG and Retrieval" in charts["category_shares.svg"]
        and "25%" in charts["category_shares.svg"]
    )
    assert "AI-First: 70 (70%)" in charts["role_type_split.svg"]

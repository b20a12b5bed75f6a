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
    # key insights are computed facts with their numbers
    assert (
        "1. **RAG and Retrieval is the most common problem**: 25% of roles (95% CI 20%-31%), 25 of 100 postings."
        in md
    )
    assert (
        "**The largest share of responsibilities is about RAG and Retrieval**: 40 of 40 responsibilities (100%)"
        in md
    )
    assert (
        "**No problem is in under 5% of roles**: the least common is RAG and Retrieval at 25%."
        in md
    )
    assert "**Role types**: AI-First 70 (70%), AI-Support 30 (30%)." in md


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


# --- what the reference lacks: trend, change, methods, comparison with the reference ----


def two_batch_figures() -> dict:
    f = figures()
    f["batches"] = ["2026-01-01", "2026-02-01"]

    def trend(batch, share, low, high, total):
        return {
            "batch_id": batch,
            "category": "rag_retrieval",
            "category_name": "RAG and Retrieval",
            "sort_order": 4,
            "postings_in_batch": total,
            "postings_with_category": round(share * total),
            "share_of_roles": share,
            "wilson_low": low,
            "wilson_high": high,
        }

    f["trends"] = [
        trend("2026-01-01", 0.1, 0.05, 0.18, 80),
        trend("2026-02-01", 0.25, 0.2, 0.31, 100),
    ]
    f["changes"] = [
        {
            "batch_id": "2026-02-01",
            "previous_batch_id": "2026-01-01",
            "category": "rag_retrieval",
            "category_name": "RAG and Retrieval",
            "sort_order": 4,
            "previous_postings_in_batch": 80,
            "postings_in_batch": 100,
            "previous_share_of_roles": 0.1,
            "share_of_roles": 0.25,
            "share_change": 0.15,
            "change_low": 0.04,
            "change_high": 0.25,
            "direction": "rose",
        }
    ]
    return f


def test_trend_and_change_sections_from_two_batches():
    md = render_markdown(two_batch_figures())
    trend = md.split("## Trend Across Batches\n")[1].split("\n## ")[0]
    assert "![Category shares of roles across batches](charts/trend.svg)" in trend
    assert "| Category | 2026-01-01 | 2026-02-01 |" in trend
    assert "| Postings | 80 | 100 |" in trend and "| RAG and Retrieval | 10% | 25% |" in trend
    change = md.split("## Change Since the Previous Batch\n")[1].split("\n## ")[0]
    assert "2026-02-01 (100 postings) against 2026-01-01 (80 postings)" in change
    assert "- Rose: RAG and Retrieval 10% -> 25%" in change and "- Fell: none" in change
    assert "| RAG and Retrieval | 10% | 25% | +15.0 | +4.0 to +25.0 | rose |" in change
    assert "RAG and Retrieval rose +15 points" in md  # and it is a key insight
    charts = chart_svgs(two_batch_figures())
    trend_svg = ET.fromstring(charts["trend.svg"])
    ns = "{http://www.w3.org/2000/svg}"
    assert len(trend_svg.findall(f"{ns}polyline")) == 1
    assert 'stroke="#2f855a"' in charts["trend.svg"]  # green: rose


def test_one_batch_has_no_trend_chart_and_says_why():
    md = render_markdown(figures())
    assert "One batch so far (2026-02-04)" in md and "No previous batch to compare with" in md
    assert "trend.svg" not in chart_svgs(figures()) and "trend.svg" not in md


def test_spread_labels_keeps_order_and_gap_within_bounds():
    from pipeline.report.charts import _spread_labels

    placed = _spread_labels([100.0, 101.0, 50.0, 300.0, 299.0], gap=12.0, low=30.0, high=305.0)
    order = sorted(range(5), key=lambda i: [100.0, 101.0, 50.0, 300.0, 299.0][i])
    ys = [placed[i] for i in order]
    assert all(b - a >= 12.0 - 1e-9 for a, b in zip(ys, ys[1:], strict=False))
    assert min(ys) >= 30.0 and max(ys) <= 305.0


def test_insight_comparisons_say_whether_intervals_overlap():
    f = figures()
    ft = dict(f["categories"][0], category="fine_tuning", category_name="Fine-tuning")
    ft.update(share_of_roles=0.05, wilson_low=0.02, wilson_high=0.11, responsibility_count=5)
    f["categories"].append(ft)
    f["comparisons"] = [
        {"title": "Retrieval versus fine-tuning", "categories": ["rag_retrieval", "fine_tuning"]}
    ]
    md = render_markdown(f)
    assert (
        "**Retrieval versus fine-tuning**: RAG and Retrieval in 25% of roles (95% CI 20%-31%), "
        "Fine-tuning in 5% (2%-11%); the intervals do not overlap." in md
    )
    ft.update(wilson_high=0.21)
    assert "the intervals overlap, so these postings cannot tell the two apart" in render_markdown(
        f
    )


REFERENCE = """\
# Some Report

## Very Common

### RAG and Retrieval

Text.

## Rare

### Fine-tuning Models

### Quantum Things

## Key Insights

### 1. Not a category
"""


def test_reference_bands_are_read_from_band_sections_only():
    from pipeline.report.reference import reference_bands

    assert reference_bands(REFERENCE) == {
        "RAG and Retrieval": "very_common",
        "Fine-tuning Models": "rare",
        "Quantum Things": "rare",
    }


def test_compare_bands_tells_consistent_from_contradicted_differences():
    from pipeline.report.reference import compare_bands, reference_bands

    thresholds = figures()["thresholds"]
    rag = figures()["categories"][0]  # common, 20%-31%
    ft = dict(rag, category="fine_tuning", category_name="Fine-tuning models", band="uncommon")
    ft.update(share_of_roles=0.06, wilson_low=0.03, wilson_high=0.1)
    agents = dict(rag, category="agents", category_name="Agents", band="common")
    rows = compare_bands([rag, ft, agents], reference_bands(REFERENCE), thresholds)
    by = {r["category"] or r["reference_name"]: r for r in rows}
    # 20%-31% cannot reach 50%: the reference's "very common" is contradicted
    assert by["rag_retrieval"]["status"] == "differs"
    assert by["rag_retrieval"]["reference_band_in_interval"] is False
    # 3%-10% reaches below 5%: "rare" stays possible (names match ignoring case and hyphens)
    assert by["fine_tuning"]["status"] == "differs"
    assert by["fine_tuning"]["reference_band_in_interval"] is True
    assert by["agents"]["status"] == "not in reference"
    assert by["Quantum Things"]["status"] == "not in taxonomy"

    f = figures()
    f["reference"] = {"name": "ref.md", "bands": rows}
    md = render_markdown(f)
    section = md.split("## Comparison With the Reference Report\n")[1].split("\n## ")[0]
    assert "`ref.md`: 0 of 2 categories agree" in section
    assert "| RAG and Retrieval | Very common | Common | 25% (20%-31%) | no |" in section
    assert "| Fine-tuning models | Rare | Uncommon | 6% (3%-10%) | yes |" in section
    assert "In the reference but not in the taxonomy: Quantum Things." in section
    assert "## Comparison With the Reference Report" not in render_markdown(figures())


def test_methods_section_shows_accounting_methods_and_measured_quality():
    f = figures()
    f["taxonomy"] = ["ai_engineering@1.0.0"]
    f["accounting"] = [
        {
            "batch_id": "2026-02-04",
            "source": "builtin",
            "records_read": 107,
            "loaded": 103,
            "quarantined": 1,
            "duplicates": 1,
            "unchanged": 2,
            "postings": 103,
            "postings_analysed": 100,
            "responsibilities": 700,
            "responsibilities_analysed": 640,
        }
    ]
    f["methods"] = [
        {
            "stage": "extraction",
            "method": "rules",
            "unit": "responsibilities",
            "items": 640,
            "share_of_stage": 1.0,
        },
        {
            "stage": "deduplication",
            "method": "unique",
            "unit": "postings",
            "items": 100,
            "share_of_stage": 100 / 103,
        },
        {
            "stage": "deduplication",
            "method": "exact duplicate, counted once",
            "unit": "postings",
            "items": 3,
            "share_of_stage": 3 / 103,
        },
    ]
    md = render_markdown(f)
    methods = md.split("## Methods\n")[1]
    assert "| 2026-02-04 | builtin | 107 | 103 | 1 | 1 | 2 | 100 | 640 |" in methods
    assert "- Extraction: `rules` 640 responsibilities (100%)" in methods
    assert (
        "- Deduplication: `unique` 100 postings (97%); `exact duplicate, counted once` 3 postings (3%)"
        in methods
    )
    assert "taxonomy ai_engineering@1.0.0" in methods
    assert "No evaluation has run against this warehouse" in methods
    f["evaluation"] = [
        {
            "taxonomy": "ai_engineering@1.0.0",
            "dataset": "dev.jsonl",
            "metric": "categories.micro_f1",
            "value": 0.8617,
            "target": 0.85,
            "items": 300,
        }
    ]
    methods = render_markdown(f).split("## Methods\n")[1]
    assert "| Category labels, micro-F1 | dev.jsonl (300) | 0.862 | 0.85 |" in methods


def test_points_are_signed_and_never_negative_zero():
    from pipeline.report.sections import points

    assert points(0.15) == "+15.0" and points(-0.0004) == "+0.0" and points(-0.119) == "-11.9"

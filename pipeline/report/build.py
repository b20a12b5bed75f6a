"""The report: collected figures -> Markdown, HTML (charts inlined) and a JSON of every figure.

Rendering is pure (figures in, text out), so the same warehouse always gives the same bytes;
the figures themselves are read by `pipeline.report.figures.collect_figures`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import markdown as md_lib

from pipeline.report import sections
from pipeline.report.charts import category_shares_svg, role_type_split_svg, trend_svg
from pipeline.report.sections import BAND_LABELS, interval, pct


def chart_titles(figures: dict[str, Any]) -> dict[str, str]:
    """The charts this report has, by file name (under charts/), with their alt text."""
    titles = {
        "category_shares.svg": "Category shares of roles with 95% intervals",
        "role_type_split.svg": "Role-type split",
    }
    if len(figures["batches"]) >= 2:
        titles["trend.svg"] = "Category shares of roles across batches"
    return titles


def chart_svgs(figures: dict[str, Any]) -> dict[str, str]:
    """The report's charts as SVG documents, by file name (written under charts/)."""
    charts = {
        "category_shares.svg": category_shares_svg(figures["categories"]),
        "role_type_split.svg": role_type_split_svg(figures["role_types"], sections.ROLE_TYPE_NAMES),
    }
    if "trend.svg" in chart_titles(figures):
        directions = {c["category"]: c["direction"] for c in figures.get("changes", [])}
        charts["trend.svg"] = trend_svg(figures["trends"], directions)
    return charts


def _category_sections(figures: dict[str, Any]) -> list[str]:
    role = figures["role_noun"]
    lines: list[str] = []
    current_band = None
    for c in figures["categories"]:
        if c["category"] == "other":
            continue
        if c["band"] != current_band:
            current_band = c["band"]
            lines += [f"## {BAND_LABELS[current_band][0]}", ""]
        lines += [
            f"### {c['category_name']}",
            "",
            f"Share of roles: {pct(c['share_of_roles'])} (95% CI {interval(c)}; "
            f"{c['postings_with_category']:,} of {c['postings_total']:,} postings; "
            f"{c['responsibility_count']:,} responsibilities)",
            "",
            f"Problem: {c['problem']}",
            "",
        ]
        if c["examples"]:
            lines += [f"What {role} do:", ""] + [f"- {e}" for e in c["examples"]] + [""]
        if c["subpatterns"]:
            lines += ["Sub-patterns:", ""]
            lines += [
                f"- {s['subpattern_name']} - {pct(s['share_of_roles'])} of roles, "
                f"{pct(s['share_within_category'])} of this category's"
                for s in c["subpatterns"]
            ]
            lines.append("")
        lines += [f"Core challenge: {c['core_challenge']}", ""]
    return lines


def _word_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| Word | Whole-word count | Responsibilities containing it |",
        "|------|------------------|--------------------------------|",
    ]
    lines += [
        f"| {w['word']} | {w['token_count']:,} | {w['responsibilities_containing']:,} |"
        for w in rows
    ]
    return [*lines, ""]


def _words(figures: dict[str, Any], shown: int = 15) -> list[str]:
    top = [w for w in figures["words"] if w["is_top_token"]][:shown]
    verbs = sorted(
        (w for w in figures["words"] if w["is_stem"]),
        key=lambda w: (-w["responsibilities_containing"], w["word"]),
    )
    lines = [*_word_table(top)]
    if verbs:
        lines += ["Action verbs, by responsibilities containing them:", "", *_word_table(verbs)]
    return [
        *lines,
        "Whole-word count: lower-cased whitespace tokens longer than 3 characters "
        "(function words such as 'with' or 'into' are counted in the mart, not listed here). "
        "Responsibilities containing it: responsibilities whose text contains the word anywhere "
        "(e.g. 'deploy' in 'deployment').",
        "",
    ]


def render_markdown(figures: dict[str, Any]) -> str:
    t = figures["thresholds"]
    titles = chart_titles(figures)
    batches = figures["batches"]
    lines = [
        f"# {figures['title']} Analysis",
        "",
        f"Based on {figures['responsibilities']:,} responsibilities extracted from "
        f"{figures['postings']:,} job descriptions"
        + (f" (batches: {', '.join(batches)})." if batches else "."),
        "",
        *[
            f"![{titles[name]}](charts/{name})"
            for name in ("category_shares.svg", "role_type_split.svg")
        ],
        "",
        "## Frequency Guide",
        "",
        "| Category | Share of roles | Description |",
        "|----------|----------------|-------------|",
        f"| Very common | >= {pct(t['band_very_common'])} | {BAND_LABELS['very_common'][1]} |",
        f"| Common | >= {pct(t['band_common'])} | {BAND_LABELS['common'][1]} |",
        f"| Uncommon | >= {pct(t['band_uncommon'])} | {BAND_LABELS['uncommon'][1]} |",
        f"| Rare | < {pct(t['band_uncommon'])} | {BAND_LABELS['rare'][1]} |",
        "",
        "Share of roles = postings with at least one responsibility in the category / postings "
        "with at least one responsibility.",
        "",
        "## Typical Job Titles",
        "",
        *sections.typical_titles(figures),
        f"## Problems {figures['role_noun']} Solve",
        "",
        "Organized by the problem they address, not the technology. Ordered by frequency.",
        "",
        *_category_sections(figures),
    ]
    profiles = sections.profiles(figures)
    if profiles:
        lines += ["## What Each Kind of Role Does More Often", "", *profiles]
    lines += [
        "## Trend Across Batches",
        "",
        *sections.trend(figures, titles.get("trend.svg")),
        "## Change Since the Previous Batch",
        "",
        *sections.changes(figures),
        "## Key Insights",
        "",
        *sections.insights(figures),
        "",
        "## Most Common Words in Responsibilities",
        "",
        *_words(figures),
        *sections.reference_comparison(figures),
        *sections.methods(figures),
    ]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:920px;margin:2rem auto;padding:0 1rem;color:#1d232a;line-height:1.5}
h1{border-bottom:2px solid #2b6cb0;padding-bottom:.3rem}h2{margin-top:2rem;color:#2b6cb0}h3{margin-bottom:.2rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #cbd5e0;padding:.3rem .6rem;text-align:left}
th{background:#edf2f7}tr:nth-child(even) td{background:#f7fafc}
svg{max-width:100%;height:auto}
@media print{body{max-width:none;margin:0}h2,h3{page-break-after:avoid}tr,svg{page-break-inside:avoid}}
"""


def render_html(markdown_text: str, title: str, charts: dict[str, str] | None = None) -> str:
    """Self-contained HTML: the charts the Markdown links to are inlined as SVG."""
    body = md_lib.markdown(markdown_text, extensions=["tables"], output_format="html")
    for name, svg in (charts or {}).items():
        body = re.sub(
            rf'<img alt="[^"]*" src="charts/{re.escape(name)}"\s*/?>', lambda _, svg=svg: svg, body
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n{body}\n</body></html>\n"
    )


def figures_json(figures: dict[str, Any]) -> str:
    return json.dumps(figures, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n"

"""The report: figures read from the marts -> Markdown, HTML and a JSON of every figure.

`collect_figures` is the only function that touches the warehouse; rendering is pure, so the
same warehouse always gives the same bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import duckdb
import markdown as md_lib

from pipeline.report.charts import category_shares_svg, role_type_split_svg

BAND_LABELS = {
    "very_common": ("Very common", "Core responsibility - majority of roles"),
    "common": ("Common", "Standard responsibility - many roles"),
    "uncommon": ("Uncommon", "Secondary responsibility - some roles"),
    "rare": ("Rare", "Occasional responsibility - few roles"),
}
ROLE_TYPE_NAMES = {
    "ai-first": "AI-First",
    "ai-support": "AI-Support",
    "ml-first": "ML-First",
    "unknown": "Unknown",
}


@dataclass(frozen=True)
class BandThresholds:
    very_common: float = 0.5
    common: float = 0.2
    uncommon: float = 0.05

    def as_dbt_vars(self) -> dict[str, float]:
        return {
            "band_very_common": self.very_common,
            "band_common": self.common,
            "band_uncommon": self.uncommon,
        }


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def collect_figures(
    con: duckdb.DuckDBPyConnection, thresholds: BandThresholds, taxonomy_title: str, role_noun: str
) -> dict[str, Any]:
    categories = _rows(
        con,
        """SELECT f.*, t.problem, t.core_challenge
           FROM marts.category_frequency f JOIN clean.taxonomy_categories t USING (category)
           ORDER BY f.band_order, f.share_of_roles DESC, f.sort_order""",
    )
    subpatterns = _rows(
        con,
        """SELECT category, subpattern, subpattern_name, postings_with_subpattern, share_of_roles,
                  share_within_category
           FROM marts.subpattern_frequency
           WHERE postings_with_subpattern > 0
           ORDER BY category, share_of_roles DESC, subpattern""",
    )
    examples = _rows(
        con,
        "SELECT category, responsibility_text AS text FROM marts.representative_responsibilities ORDER BY category, example_rank",
    )
    role_types = _rows(
        con,
        "SELECT role_type, postings, share FROM marts.role_type_split ORDER BY postings DESC, role_type",
    )
    titles = _rows(
        con,
        """SELECT title_normalized, role_type, postings, share_of_title, title_postings, title_rank
           FROM marts.titles_by_role_type ORDER BY title_rank, postings DESC, role_type""",
    )
    words = _rows(
        con,
        """SELECT word, token_count, responsibilities_containing, word_rank, is_top_token, is_stem
           FROM marts.word_frequency WHERE (is_top_token AND NOT is_function_word) OR is_stem
           ORDER BY is_top_token DESC, word_rank, word""",
    )
    profiles = _rows(
        con,
        """SELECT role_type, role_type_postings, category, category_name, share_of_roles,
                  share_of_other_roles, share_difference
           FROM marts.category_profiles_by_role_type
           WHERE category <> 'other' AND role_type <> 'unknown'
           ORDER BY role_type_order, share_difference DESC, category_order""",
    )
    postings = sum(r["postings"] for r in role_types)
    responsibilities = sum(r["responsibility_count"] for r in categories)
    batches = [
        r["batch_id"]
        for r in _rows(con, "SELECT DISTINCT batch_id FROM marts.batch_trends ORDER BY batch_id")
    ]

    by_category_sub: dict[str, list] = {}
    for s in subpatterns:
        by_category_sub.setdefault(s["category"], []).append(s)
    by_category_ex: dict[str, list] = {}
    for e in examples:
        by_category_ex.setdefault(e["category"], []).append(e["text"])
    for c in categories:
        c["subpatterns"] = by_category_sub.get(c["category"], [])
        c["examples"] = by_category_ex.get(c["category"], [])[:6]
    return {
        "title": taxonomy_title,
        "role_noun": role_noun,
        "postings": postings,
        "responsibilities": responsibilities,
        "batches": batches,
        "thresholds": thresholds.as_dbt_vars(),
        "categories": categories,
        "role_types": role_types,
        "titles": titles,
        "words": words,
        "profiles": profiles,
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def _typical_titles(figures: dict[str, Any], per_type: int = 8) -> list[str]:
    lines = []
    by_type: dict[str, list] = {}
    for t in figures["titles"]:
        by_type.setdefault(t["role_type"], []).append(t)
    for role_type in ("ai-first", "ai-support", "ml-first"):
        rows = sorted(
            by_type.get(role_type, []), key=lambda r: (-r["postings"], r["title_normalized"])
        )[:per_type]
        if not rows:
            continue
        lines += [f"{ROLE_TYPE_NAMES[role_type]} titles:", ""]
        lines += [f"- {r['title_normalized']} - {_count(r['postings'], 'posting')}" for r in rows]
        lines.append("")
    top = {}
    for t in figures["titles"]:
        top.setdefault(t["title_normalized"], []).append(t)
    ranked = sorted(top.items(), key=lambda kv: (kv[1][0]["title_rank"], kv[0]))[:10]
    if ranked:
        lines += ["Role-type split of the most common normalised titles:", ""]
        for title, rows in ranked:
            lead = max(rows, key=lambda r: (r["postings"], r["role_type"]))
            lines.append(
                f"- {title} - {_count(rows[0]['title_postings'], 'posting')}, "
                f"{_pct(lead['share_of_title'])} {ROLE_TYPE_NAMES.get(lead['role_type'], lead['role_type'])}"
            )
        lines.append("")
    return lines


def _insights(figures: dict[str, Any]) -> list[str]:
    cats = [c for c in figures["categories"] if c["category"] != "other"]
    if not cats:
        return ["No categorised responsibilities yet."]
    by_share = sorted(cats, key=lambda c: (-c["share_of_roles"], c["sort_order"]))
    top = by_share[0]
    out = [
        f"1. **{top['category_name']} is the most common problem**: {_pct(top['share_of_roles'])} of roles "
        f"(95% CI {_pct(top['wilson_low'])}-{_pct(top['wilson_high'])}), {top['postings_with_category']} of "
        f"{top['postings_total']} postings."
    ]
    very = [c["category_name"] for c in by_share if c["band"] == "very_common"]
    out.append(
        f"2. **{_count(len(very), 'category')} {'is' if len(very) == 1 else 'are'} very common** (in at least {_pct(figures['thresholds']['band_very_common'])} of roles): {', '.join(very) or 'none'}."
    )
    rare = [c["category_name"] for c in by_share if c["band"] == "rare"]
    out.append(
        f"3. **{_count(len(rare), 'category')} {'is' if len(rare) == 1 else 'are'} rare** (under {_pct(figures['thresholds']['band_uncommon'])} of roles): {', '.join(rare) or 'none'}."
    )
    split = ", ".join(
        f"{ROLE_TYPE_NAMES.get(r['role_type'], r['role_type'])} {r['postings']} ({_pct(r['share'])})"
        for r in figures["role_types"]
    )
    out.append(f"4. **Role types**: {split}.")
    share = {c["category"]: c for c in cats}
    if "provider_apis" in share and "self_hosting" in share:
        p, s = share["provider_apis"], share["self_hosting"]
        out.append(
            f"5. **Provider APIs versus self-hosting**: {_pct(p['share_of_roles'])} of roles integrate provider APIs, {_pct(s['share_of_roles'])} self-host models."
        )
    if "fine_tuning" in share and "rag_retrieval" in share:
        f, r = share["fine_tuning"], share["rag_retrieval"]
        out.append(
            f"6. **Retrieval versus fine-tuning**: {_pct(r['share_of_roles'])} of roles work on RAG and retrieval, {_pct(f['share_of_roles'])} fine-tune models."
        )
    return out


def _profiles(figures: dict[str, Any], min_roles: int = 10, per_type: int = 3) -> list[str]:
    """Per role type, the categories most over-represented against every other role type."""
    lines = []
    by_type: dict[str, list] = {}
    for p in figures.get("profiles", []):
        by_type.setdefault(p["role_type"], []).append(p)
    for role_type, rows in by_type.items():
        if not rows or rows[0]["role_type_postings"] < min_roles:
            continue
        top = [r for r in rows if (r["share_difference"] or 0) > 0][:per_type]
        if not top:
            continue
        name = ROLE_TYPE_NAMES.get(role_type, role_type)
        lines.append(f"{name} roles ({rows[0]['role_type_postings']}) more often than other roles:")
        lines.append("")
        lines += [
            f"- {r['category_name']}: {_pct(r['share_of_roles'])} of {name} roles vs {_pct(r['share_of_other_roles'])} of other roles"
            for r in top
        ]
        lines.append("")
    return lines


CHARTS = {
    "category_shares.svg": "Category shares of roles with 95% intervals",
    "role_type_split.svg": "Role-type split",
}


def chart_svgs(figures: dict[str, Any]) -> dict[str, str]:
    """The report's charts as SVG documents, by file name (written under charts/)."""
    return {
        "category_shares.svg": category_shares_svg(figures["categories"]),
        "role_type_split.svg": role_type_split_svg(figures["role_types"], ROLE_TYPE_NAMES),
    }


def render_markdown(figures: dict[str, Any]) -> str:
    t = figures["thresholds"]
    role = figures["role_noun"]
    lines = [
        f"# {figures['title']} Analysis",
        "",
        f"Based on {figures['responsibilities']:,} responsibilities extracted from {figures['postings']:,} job descriptions"
        + (f" (batches: {', '.join(figures['batches'])})." if figures["batches"] else "."),
        "",
        *[f"![{alt}](charts/{name})" for name, alt in CHARTS.items()],
        "",
        "## Frequency Guide",
        "",
        "| Category | Share of roles | Description |",
        "|----------|----------------|-------------|",
        f"| Very common | >= {_pct(t['band_very_common'])} | {BAND_LABELS['very_common'][1]} |",
        f"| Common | >= {_pct(t['band_common'])} | {BAND_LABELS['common'][1]} |",
        f"| Uncommon | >= {_pct(t['band_uncommon'])} | {BAND_LABELS['uncommon'][1]} |",
        f"| Rare | < {_pct(t['band_uncommon'])} | {BAND_LABELS['rare'][1]} |",
        "",
        "Share of roles = postings with at least one responsibility in the category / postings with at least one responsibility.",
        "",
        "## Typical Job Titles",
        "",
        *_typical_titles(figures),
        f"## Problems {role} Solve",
        "",
        "Organized by the problem they address, not the technology. Ordered by frequency.",
        "",
    ]
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
            f"Share of roles: {_pct(c['share_of_roles'])} (95% CI {_pct(c['wilson_low'])}-{_pct(c['wilson_high'])}; "
            f"{c['postings_with_category']} of {c['postings_total']} postings; {c['responsibility_count']} responsibilities)",
            "",
            f"Problem: {c['problem']}",
            "",
        ]
        if c["examples"]:
            lines += [f"What {role} do:", ""] + [f"- {e}" for e in c["examples"]] + [""]
        if c["subpatterns"]:
            lines += ["Sub-patterns:", ""]
            lines += [
                f"- {s['subpattern_name']} - {_pct(s['share_of_roles'])} of roles, {_pct(s['share_within_category'])} of this category's"
                for s in c["subpatterns"]
            ]
            lines.append("")
        lines += [f"Core challenge: {c['core_challenge']}", ""]
    profiles = _profiles(figures)
    if profiles:
        lines += ["## What Each Kind of Role Does More Often", "", *profiles]
    lines += [
        "## Key Insights",
        "",
        *_insights(figures),
        "",
        "## Most Common Words in Responsibilities",
        "",
    ]
    lines += [
        "| Word | Whole-word count | Responsibilities containing it |",
        "|------|------------------|--------------------------------|",
    ]
    lines += [
        f"| {w['word']} | {w['token_count']} | {w['responsibilities_containing']} |"
        for w in figures["words"][:15]
    ]
    lines += [
        "",
        "Whole-word count: lower-cased whitespace tokens longer than 3 characters "
        "(function words such as 'with' or 'into' are counted in the mart, not listed here). "
        "Responsibilities containing it: responsibilities whose text contains the word anywhere (e.g. 'deploy' in 'deployment').",
        "",
    ]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:920px;margin:2rem auto;padding:0 1rem;color:#1d232a;line-height:1.5}
h1{border-bottom:2px solid #2b6cb0;padding-bottom:.3rem}h2{margin-top:2rem;color:#2b6cb0}h3{margin-bottom:.2rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #cbd5e0;padding:.3rem .6rem;text-align:left}
th{background:#edf2f7}tr:nth-child(even) td{background:#f7fafc}
@media print{body{max-width:none;margin:0}h2{page-break-after:avoid}}
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

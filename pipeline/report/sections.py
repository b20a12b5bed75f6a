"""The report's sections as Markdown lines, each a pure function of the collected figures."""

from __future__ import annotations

from typing import Any

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
STAGE_NAMES = {
    "deduplication": "Deduplication",
    "extraction": "Extraction",
    "category_classification": "Category classification",
    "role_typing": "Role typing",
}
METRIC_NAMES = {
    "categories.micro_f1": "Category labels, micro-F1",
    "categories.primary_accuracy": "Primary category, accuracy",
    "extraction.recall": "Extraction recall",
    "extraction.coverage": "Extraction coverage (postings with items)",
    "role_types.accuracy": "Role type, accuracy",
    "role_types.macro_f1": "Role type, macro-F1",
    "role_types.ml_first_recall": "Role type, ML-First recall",
}
UNIT_SINGULAR = {"responsibilities": "responsibility", "postings": "posting"}
#: Batches shown as columns of the trend table (the chart shows them all).
TREND_TABLE_BATCHES = 6


def group_rows(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    """Rows by the value of `key`, in first-seen order (the rows keep their order)."""
    out: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row[key], []).append(row)
    return out


def plural(noun: str) -> str:
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun if n == 1 else plural(noun)}"


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def interval(row: dict[str, Any], low: str = "wilson_low", high: str = "wilson_high") -> str:
    return f"{pct(row[low])}-{pct(row[high])}"


def points(x: float) -> str:
    """A change of share in percentage points, signed; never "-0.0"."""
    return f"{round(100 * x, 1) + 0.0:+.1f}"


def role_name(role_type: str) -> str:
    return ROLE_TYPE_NAMES.get(role_type, role_type)


def _listing(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def typical_titles(figures: dict[str, Any], per_type: int = 8, top_titles: int = 10) -> list[str]:
    lines = []
    by_type = group_rows(figures["titles"], "role_type")
    for role_type in ("ai-first", "ai-support", "ml-first"):
        rows = sorted(
            by_type.get(role_type, []), key=lambda r: (-r["postings"], r["title_normalized"])
        )[:per_type]
        if rows:
            lines += [f"{role_name(role_type)} titles:", ""]
            lines += [
                f"- {r['title_normalized']} - {count(r['postings'], 'posting')}" for r in rows
            ]
            lines.append("")
    by_title = group_rows(figures["titles"], "title_normalized")
    ranked = sorted(by_title.items(), key=lambda kv: (kv[1][0]["title_rank"], kv[0]))[:top_titles]
    if ranked:
        lines += ["Role-type split of the most common normalised titles:", ""]
        for title, rows in ranked:
            lead = max(rows, key=lambda r: (r["postings"], r["role_type"]))
            lines.append(
                f"- {title} - {count(rows[0]['title_postings'], 'posting')}, "
                f"{pct(lead['share_of_title'])} {role_name(lead['role_type'])}"
            )
        lines.append("")
    return lines


def profiles(figures: dict[str, Any], min_roles: int = 10, per_type: int = 3) -> list[str]:
    """Per role type, the categories most over-represented against every other role type."""
    lines = []
    by_type = group_rows(figures.get("profiles", []), "role_type")
    for role_type, rows in by_type.items():
        if rows[0]["role_type_postings"] < min_roles:
            continue
        top = [r for r in rows if (r["share_difference"] or 0) > 0][:per_type]
        if not top:
            continue
        name = role_name(role_type)
        lines += [
            f"{name} roles ({rows[0]['role_type_postings']:,}) more often than other roles:",
            "",
        ]
        lines += [
            f"- {r['category_name']}: {pct(r['share_of_roles'])} of {name} roles vs "
            f"{pct(r['share_of_other_roles'])} of other roles"
            for r in top
        ]
        lines.append("")
    return lines


def _comparison(title: str, a: dict[str, Any], b: dict[str, Any]) -> str:
    apart = a["wilson_low"] > b["wilson_high"] or b["wilson_low"] > a["wilson_high"]
    verdict = (
        "the intervals do not overlap"
        if apart
        else "the intervals overlap, so these postings cannot tell the two apart"
    )
    return (
        f"**{title}**: {a['category_name']} in {pct(a['share_of_roles'])} of roles "
        f"(95% CI {interval(a)}), {b['category_name']} in {pct(b['share_of_roles'])} "
        f"({interval(b)}); {verdict}."
    )


def insights(figures: dict[str, Any]) -> list[str]:
    """Key insights, each a fact computed from the figures with its numbers."""
    cats = [c for c in figures["categories"] if c["category"] != "other"]
    if not cats:
        return ["No categorised responsibilities yet."]
    t = figures["thresholds"]
    by_share = sorted(cats, key=lambda c: (-c["share_of_roles"], c["sort_order"]))
    top = by_share[0]
    facts = [
        f"**{top['category_name']} is the most common problem**: {pct(top['share_of_roles'])} of roles "
        f"(95% CI {interval(top)}), {top['postings_with_category']:,} of {top['postings_total']:,} postings."
    ]
    total_items = sum(c["responsibility_count"] for c in figures["categories"])
    most_items = max(cats, key=lambda c: (c["responsibility_count"], -c["sort_order"]))
    if total_items:
        facts.append(
            f"**The largest share of responsibilities is about {most_items['category_name']}**: "
            f"{most_items['responsibility_count']:,} of {total_items:,} responsibilities "
            f"({pct(most_items['responsibility_count'] / total_items)}) have it as their primary problem."
        )
    very = [c["category_name"] for c in by_share if c["band"] == "very_common"]
    facts.append(
        f"**{count(len(very), 'problem')} in at least {pct(t['band_very_common'])} of roles**: {_listing(very)}."
    )
    rare = [c["category_name"] for c in by_share if c["band"] == "rare"]
    least = by_share[-1]
    if rare:
        facts.append(
            f"**{count(len(rare), 'problem')} in under {pct(t['band_uncommon'])} of roles**: {_listing(rare)}."
        )
    else:
        facts.append(
            f"**No problem is in under {pct(t['band_uncommon'])} of roles**: the least common is "
            f"{least['category_name']} at {pct(least['share_of_roles'])}."
        )
    split = ", ".join(
        f"{role_name(r['role_type'])} {r['postings']:,} ({pct(r['share'])})"
        for r in figures["role_types"]
        if r["postings"]
    )
    facts.append(f"**Role types**: {split}.")
    by_id = {c["category"]: c for c in cats}
    for comp in figures.get("comparisons", []):
        a, b = (by_id.get(c) for c in comp["categories"])
        if a and b and a["wilson_low"] is not None and b["wilson_low"] is not None:
            facts.append(_comparison(comp["title"], a, b))
    gaps = [
        p
        for p in figures.get("profiles", [])
        if p["role_type_postings"] >= 10 and (p["share_difference"] or 0) > 0
    ]
    if gaps:
        g = max(gaps, key=lambda p: (p["share_difference"], p["role_type"], p["category"]))
        facts.append(
            f"**The largest difference between role types**: {g['category_name']} in "
            f"{pct(g['share_of_roles'])} of {role_name(g['role_type'])} roles vs "
            f"{pct(g['share_of_other_roles'])} of other roles."
        )
    changes = figures.get("changes", [])
    if changes:
        moved = [c for c in changes if c["direction"] != "steady" and c["category"] != "other"]
        facts.append(
            f"**Since the previous batch ({changes[0]['previous_batch_id']})**: "
            f"{count(len(moved), 'category')} moved beyond the 95% interval of the change"
            + (
                ": "
                + ", ".join(
                    f"{c['category_name']} {c['direction']} {100 * c['share_change']:+.0f} points"
                    for c in moved
                )
                + "."
                if moved
                else "."
            )
        )
    top_words = [w for w in figures["words"] if w["is_top_token"]][:5]
    if top_words:
        facts.append(
            "**The most frequent words**: "
            + ", ".join(f"{w['word']} ({w['token_count']:,})" for w in top_words)
            + "."
        )
    return [f"{i}. {fact}" for i, fact in enumerate(facts, start=1)]


def trend(figures: dict[str, Any], chart: str | None) -> list[str]:
    batches = figures["batches"]
    if len(batches) < 2:
        only = batches[0] if batches else "none yet"
        return [
            f"One batch so far ({only}): the trend appears once a second batch is loaded.",
            "",
        ]
    shown = batches[-TREND_TABLE_BATCHES:]
    by_category: dict[str, dict[str, Any]] = {}
    totals: dict[str, int] = {}
    for t in figures["trends"]:
        by_category.setdefault(
            t["category"], {"name": t["category_name"], "order": t["sort_order"]}
        )[t["batch_id"]] = t
        totals[t["batch_id"]] = t["postings_in_batch"]
    lines = [f"![{chart}](charts/trend.svg)", ""] if chart else []
    lines += [
        f"Share of roles per batch ({len(batches)} batches"
        + (f", the last {len(shown)} shown" if len(shown) < len(batches) else "")
        + "; the denominator is the batch's postings with at least one responsibility).",
        "",
        "| Category | " + " | ".join(shown) + " |",
        "|---" * (len(shown) + 1) + "|",
        "| Postings | " + " | ".join(f"{totals.get(b, 0):,}" for b in shown) + " |",
    ]
    for row in sorted(by_category.values(), key=lambda r: (r["order"], r["name"])):
        cells = [pct(row[b]["share_of_roles"]) if b in row else "-" for b in shown]
        lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def changes(figures: dict[str, Any]) -> list[str]:
    rows = [c for c in figures.get("changes", []) if c["category"] != "other"]
    if not rows:
        return ["No previous batch to compare with yet.", ""]
    first = rows[0]
    lines = [
        f"{first['batch_id']} ({count(first['postings_in_batch'], 'posting')}) against "
        f"{first['previous_batch_id']} ({count(first['previous_postings_in_batch'], 'posting')}). "
        "A category rose or fell when the 95% interval of the change in its share of roles "
        "(Newcombe's hybrid score interval, from the two batches' Wilson intervals) excludes zero. "
        f"With {len(rows)} categories compared at 95%, about {0.05 * len(rows):.1f} would cross "
        "by chance alone, so read a single crossing with care.",
        "",
    ]
    for direction in ("rose", "fell"):
        moved = [r for r in rows if r["direction"] == direction]
        lines.append(
            f"- {direction.capitalize()}: "
            + _listing(
                [
                    f"{r['category_name']} {pct(r['previous_share_of_roles'])} -> {pct(r['share_of_roles'])}"
                    for r in moved
                ]
            )
        )
    lines += [
        "",
        "| Category | Before | Now | Change (points) | 95% CI of the change | Verdict |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['category_name']} | {pct(r['previous_share_of_roles'])} | {pct(r['share_of_roles'])} | "
        f"{points(r['share_change'])} | {points(r['change_low'])} to {points(r['change_high'])} | "
        f"{r['direction']} |"
        for r in rows
    ]
    return [*lines, ""]


def reference_comparison(figures: dict[str, Any]) -> list[str]:
    ref = figures.get("reference")
    if not ref:
        return []
    rows = ref["bands"]
    compared = [r for r in rows if r["status"] in ("same", "differs")]
    differs = [r for r in compared if r["status"] == "differs"]
    lines = [
        "## Comparison With the Reference Report",
        "",
        f"Frequency bands computed here against the bands of `{ref['name']}`: "
        f"{len(compared) - len(differs)} of {len(compared)} categories agree.",
        "",
    ]
    if differs:
        lines += [
            "| Category | Reference band | Computed band | Share of roles (95% CI) | Reference band within the interval? |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['category_name']} | {BAND_LABELS[r['reference_band']][0]} | {BAND_LABELS[r['band']][0]} | "
            f"{pct(r['share_of_roles'])} ({interval(r)}) | "
            f"{'yes' if r['reference_band_in_interval'] else 'no'} |"
            for r in differs
        ]
        lines += [
            "",
            '"Within the interval" means the computed 95% interval reaches into the reference '
            "band's range, so these postings cannot rule the reference's band out; \"no\" means "
            "they contradict it.",
            "",
        ]
    same = [r["category_name"] for r in compared if r["status"] == "same"]
    lines += [f"Same band: {_listing(same)}.", ""]
    only_here = [r["category_name"] for r in rows if r["status"] == "not in reference"]
    only_there = [r["reference_name"] for r in rows if r["status"] == "not in taxonomy"]
    if only_here:
        lines += [f"Not in the reference: {_listing(only_here)}.", ""]
    if only_there:
        lines += [f"In the reference but not in the taxonomy: {_listing(only_there)}.", ""]
    return lines


def _accounting_table(figures: dict[str, Any]) -> list[str]:
    lines = [
        "| Batch | Source | Records read | Loaded | Quarantined | Duplicate ids | Unchanged | Postings analysed | Responsibilities analysed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {a['batch_id']} | {a['source']} | {a['records_read']:,} | {a['loaded']:,} | "
        f"{a['quarantined']:,} | {a['duplicates']:,} | {a['unchanged']:,} | "
        f"{a['postings_analysed']:,} | "
        f"{a['responsibilities_analysed']:,} |"
        for a in figures.get("accounting", [])
    ]
    return [*lines, ""]


def _method_lines(figures: dict[str, Any]) -> list[str]:
    lines = []
    by_stage = group_rows(figures.get("methods", []), "stage")
    for stage, name in STAGE_NAMES.items():
        rows = by_stage.get(stage, [])
        if rows:
            lines.append(
                f"- {name}: "
                + "; ".join(
                    f"`{m['method']}` {count(m['items'], UNIT_SINGULAR.get(m['unit'], m['unit']))} ({pct(m['share_of_stage'])})"
                    for m in rows
                )
            )
    return [*lines, ""]


def _evaluation_lines(figures: dict[str, Any]) -> list[str]:
    rows = figures.get("evaluation", [])
    if not rows:
        return [
            "No evaluation has run against this warehouse: set `ROLEPRINT_EVAL_GOLD` and/or "
            "`ROLEPRINT_EVAL_BATCHES` to measure the classifiers on every run.",
            "",
        ]
    lines = [
        f"Measured quality of the methods above (taxonomy {rows[0]['taxonomy']}):",
        "",
        "| Figure | Measured on | Value | Target |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {METRIC_NAMES.get(r['metric'], r['metric'])} | {r['dataset']} ({r['items']:,}) | "
        f"{r['value']:.3f} | {'' if r['target'] is None else format(r['target'], '.2f')} |"
        for r in rows
    ]
    return [*lines, ""]


def methods(figures: dict[str, Any]) -> list[str]:
    t = figures["thresholds"]
    return [
        "## Methods",
        "",
        "Data: every record read is loaded, quarantined with its reason, dropped as a repeated id, "
        "or skipped as unchanged since an earlier run (a changed posting replaces its old version).",
        "",
        *_accounting_table(figures),
        "How each stage worked on the analysed postings:",
        "",
        *_method_lines(figures),
        "Deduplication compares normalised descriptions: a posting whose description was seen "
        "before (in any batch) points to its canonical posting and is counted once. "
        f"Categories come from the taxonomy {', '.join(figures.get('taxonomy', [])) or '(none)'}: each "
        "responsibility gets up to three labels, the first its primary problem; a posting counts "
        "towards a category when any of its responsibilities carries it.",
        "",
        *_evaluation_lines(figures),
        "Statistics: share of roles = postings with the category / postings with at least one "
        "responsibility; 95% Wilson score intervals; bands at "
        f"{pct(t['band_very_common'])} / {pct(t['band_common'])} / {pct(t['band_uncommon'])} of "
        "roles; changes between batches judged by Newcombe's hybrid score interval of the difference.",
        "",
    ]

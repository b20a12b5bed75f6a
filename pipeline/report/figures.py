"""Every figure of the report, read from the marts (and the evaluation table) in one place.

`collect_figures` is the only function of the report that touches the warehouse; rendering is
pure, so the same warehouse always gives the same bytes. Every query has a total ORDER BY.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from pipeline.report.reference import compare_bands, reference_bands
from pipeline.report.sections import group_rows
from pipeline.taxonomy import Taxonomy


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


@dataclass(frozen=True)
class ReferenceReport:
    """A hand-written report to compare bands with: its name (shown) and Markdown text."""

    name: str
    text: str


def _rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


_QUERIES = {
    "categories": """
        SELECT f.*, t.problem, t.core_challenge
        FROM marts.category_frequency f JOIN clean.taxonomy_categories t USING (category)
        ORDER BY f.band_order, f.share_of_roles DESC, f.sort_order""",
    "subpatterns": """
        SELECT category, subpattern, subpattern_name, postings_with_subpattern, share_of_roles,
               share_within_category
        FROM marts.subpattern_frequency WHERE postings_with_subpattern > 0
        ORDER BY category, share_of_roles DESC, subpattern""",
    "examples": """
        SELECT category, responsibility_text AS text FROM marts.representative_responsibilities
        ORDER BY category, example_rank""",
    "role_types": """
        SELECT role_type, postings, share FROM marts.role_type_split
        ORDER BY postings DESC, role_type""",
    "titles": """
        SELECT title_normalized, role_type, postings, share_of_title, title_postings, title_rank
        FROM marts.titles_by_role_type ORDER BY title_rank, postings DESC, role_type""",
    "words": """
        SELECT word, token_count, responsibilities_containing, word_rank, is_top_token, is_stem
        FROM marts.word_frequency WHERE (is_top_token AND NOT is_function_word) OR is_stem
        ORDER BY is_top_token DESC, word_rank, word""",
    "profiles": """
        SELECT role_type, role_type_postings, category, category_name, share_of_roles,
               share_of_other_roles, share_difference
        FROM marts.category_profiles_by_role_type
        WHERE category <> 'other' AND role_type <> 'unknown'
        ORDER BY role_type_order, share_difference DESC, category_order""",
    "trends": """
        SELECT batch_id, category, category_name, sort_order, postings_in_batch,
               postings_with_category, share_of_roles, wilson_low, wilson_high
        FROM marts.batch_trends ORDER BY batch_id, sort_order, category""",
    "changes": """
        SELECT batch_id, previous_batch_id, category, category_name, sort_order,
               previous_postings_in_batch, postings_in_batch, previous_share_of_roles,
               share_of_roles, share_change, change_low, change_high, direction
        FROM marts.category_changes_between_batches WHERE is_latest_batch
        ORDER BY share_change DESC, sort_order, category""",
    "accounting": """
        SELECT batch_id, source, records_read, loaded, quarantined, duplicates, unchanged, postings,
               postings_analysed, responsibilities, responsibilities_analysed
        FROM marts.pipeline_accounting ORDER BY batch_id, source""",
    "methods": """
        SELECT stage, method, unit, items, share_of_stage FROM marts.analysis_methods
        ORDER BY stage, items DESC, method""",
    "evaluation": """
        SELECT taxonomy, dataset, metric, value, target, items FROM meta.evaluation_results
        ORDER BY metric, dataset""",
    "taxonomy_versions": """
        SELECT DISTINCT taxonomy, taxonomy_version FROM clean.taxonomy_categories
        ORDER BY taxonomy, taxonomy_version""",
}


def collect_figures(
    con: duckdb.DuckDBPyConnection,
    thresholds: BandThresholds,
    taxonomy: Taxonomy,
    reference: ReferenceReport | None = None,
) -> dict[str, Any]:
    q = {name: _rows(con, sql) for name, sql in _QUERIES.items()}
    subpatterns = group_rows(q["subpatterns"], "category")
    examples = group_rows(q["examples"], "category")
    categories = q["categories"]
    for c in categories:
        c["subpatterns"] = subpatterns.get(c["category"], [])
        c["examples"] = [e["text"] for e in examples.get(c["category"], [])][:6]
    bands = thresholds.as_dbt_vars()
    return {
        "title": taxonomy.title,
        "role_noun": taxonomy.role_noun,
        "taxonomy": [f"{t['taxonomy']}@{t['taxonomy_version']}" for t in q["taxonomy_versions"]],
        "postings": sum(r["postings"] for r in q["role_types"]),
        "responsibilities": sum(r["responsibility_count"] for r in categories),
        "batches": sorted({t["batch_id"] for t in q["trends"]}),
        "thresholds": bands,
        "categories": categories,
        "role_types": q["role_types"],
        "titles": q["titles"],
        "words": q["words"],
        "profiles": q["profiles"],
        "trends": q["trends"],
        "changes": q["changes"],
        "accounting": q["accounting"],
        "methods": q["methods"],
        "evaluation": q["evaluation"],
        "comparisons": [
            {"title": title, "categories": list(pair)} for title, pair in taxonomy.comparisons
        ],
        "reference": None
        if reference is None
        else {
            "name": reference.name,
            "bands": compare_bands(categories, reference_bands(reference.text), bands),
        },
    }

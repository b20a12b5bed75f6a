"""Integration test: the real dbt project built against a small synthetic warehouse.

The helper below writes the raw/clean tables of docs/tables.md into a fresh DuckDB file with
rows written for this test (5 postings in 2 batches, one cross-batch repost, one posting
without responsibilities). The expected mart values were computed by hand from those rows.
"""

from __future__ import annotations

import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipeline.warehouse import DDL
from tests.support import (
    WAREHOUSE_NAME,
    built_tables,
    run_dbt_side_by_side,
    start_dbt_build,
)

pytestmark = pytest.mark.integration


B1 = "2026-02-04"
B2 = "2026-02-27"

SCHEMA_SQL = """
create schema raw;
create schema clean;
create schema meta;

create table meta.posting_changes (
    batch_id varchar not null, posting_id varchar not null, change_seq bigint not null
);

create table meta.postings_to_test (batch_id varchar not null, posting_id varchar not null);

create table raw.postings (
    posting_id varchar not null,
    source varchar not null,
    source_uri varchar not null,
    batch_id varchar not null,
    title varchar,
    company varchar,
    location varchar,
    posted_date date,
    description_raw varchar,
    description_format varchar not null,
    raw_hash varchar not null,
    ingested_at timestamp not null,
    extra varchar,
    precomputed_responsibilities varchar[],
    precomputed_role_type varchar
);

create table raw.quarantine (
    stage varchar, source varchar, source_uri varchar, locator varchar, reason varchar,
    excerpt varchar, batch_id varchar, quarantined_at timestamp
);

create table raw.ingest_accounting (
    batch_id varchar, source varchar, source_uri varchar,
    records_read integer, loaded integer, quarantined integer, duplicates integer,
    unchanged integer, replaced integer
);

create table clean.postings_extra (
    batch_id varchar, posting_id varchar, description_text varchar, title_normalized varchar,
    seniority varchar, language varchar, duplicate_of varchar, duplicate_of_batch_id varchar,
    pii_redactions integer, is_analysed boolean, duplicate_reason varchar
);

create table clean.responsibilities (
    posting_id varchar, batch_id varchar, position integer, text varchar, section varchar,
    method varchar
);

create table clean.responsibility_labels (
    posting_id varchar, batch_id varchar, position integer, category varchar,
    subpattern varchar, rank integer, score double, classifier varchar, evidence varchar
);

create table clean.posting_role_types (
    posting_id varchar, batch_id varchar, role_type varchar, score double, method varchar,
    reason varchar
);

create table clean.taxonomy_categories (
    taxonomy varchar, taxonomy_version varchar, category varchar, sort_order integer,
    name varchar, problem varchar, what_people_do varchar[], core_challenge varchar
);

create table clean.taxonomy_subpatterns (
    taxonomy_version varchar, category varchar, subpattern varchar, sort_order integer,
    name varchar, description varchar
);
"""

# (batch_id, posting_id, title, company, title_normalized, seniority,
#  duplicate_of, duplicate_of_batch_id, is_analysed, role_type)
POSTINGS = [
    (B1, "p1", "AI Engineer", "Acme", "AI Engineer", None, None, None, True, "ai-first"),
    (B1, "p2", "Senior AI Engineer", "Beta", "AI Engineer", "senior", None, None, True,
     "ai-first"),
    (B1, "p3", "AI Engineer (Remote)", "Gamma", "AI Engineer", None, None, None, True,
     "ai-support"),
    (B2, "p4", "ML Engineer", "Delta", "ML Engineer", None, None, None, True, "ml-first"),
    # p5 reposts p1 in the next batch: not analysed, but it counts in its own batch.
    (B2, "p5", "AI Engineer", "Acme", "AI Engineer", None, "p1", B1, False, "ai-first"),
]  # fmt: skip

# (batch_id, posting_id, position, text)
RESPONSIBILITIES = [
    (B1, "p1", 0, "Build and deploy RAG pipelines for search"),
    (B1, "p1", 1, "Monitor model quality in production"),
    (B1, "p2", 0, "Design agents that build reports"),
    (B1, "p2", 1, "Maintain deployment tooling and rebuild images"),
    (B1, "p2", 2, "BUILD and deploy RAG pipelines for search"),
    (B2, "p4", 0, "Collaborate with teams; build dashboards."),
    (B2, "p4", 1, "Ship it"),
    (B2, "p5", 0, "Build and deploy RAG pipelines for search"),
    (B2, "p5", 1, "Monitor model quality in production"),
]

# (batch_id, posting_id, position, category, subpattern, rank, score)
LABELS = [
    (B1, "p1", 0, "building_ai_systems", "rag_systems", 1, 0.9),
    (B1, "p1", 0, "productionizing_ai", None, 2, 0.6),
    (B1, "p1", 1, "evaluation_quality", None, 1, 0.8),
    (B1, "p1", 1, "productionizing_ai", "monitoring", 2, 0.7),
    (B1, "p2", 0, "building_ai_systems", "agents", 1, 0.85),
    (B1, "p2", 1, "productionizing_ai", None, 1, 0.75),
    (B1, "p2", 2, "building_ai_systems", "rag_systems", 1, 0.5),
    (B2, "p4", 0, "other", None, 1, 0.3),
    (B2, "p4", 1, "other", None, 1, 0.95),
    (B2, "p5", 0, "building_ai_systems", "rag_systems", 1, 0.9),
    (B2, "p5", 0, "productionizing_ai", None, 2, 0.6),
    (B2, "p5", 1, "evaluation_quality", None, 1, 0.8),
]

# (category, sort_order, name)
CATEGORIES = [
    ("building_ai_systems", 1, "Building AI Systems"),
    ("productionizing_ai", 2, "Productionizing AI"),
    ("evaluation_quality", 3, "Evaluation and Quality"),
    ("security_compliance", 4, "Security and Compliance"),
    ("other", 99, "Other"),
]

# (category, subpattern, sort_order, name)
SUBPATTERNS = [
    ("building_ai_systems", "rag_systems", 1, "RAG Systems"),
    ("building_ai_systems", "agents", 2, "Agents"),
    ("productionizing_ai", "monitoring", 1, "Monitoring"),
    ("evaluation_quality", "guardrails", 1, "Guardrails"),
]

# (batch_id, source_uri, records_read, loaded, quarantined, duplicates)
ACCOUNTING = [
    (B1, "inbox/2026-02-04.jsonl", 5, 3, 1, 1),
    (B2, "inbox/2026-02-27.jsonl", 2, 2, 0, 0),
]


def create_warehouse(path: Path) -> None:
    """Write the source tables of docs/tables.md with the literal rows above into `path`."""
    con = duckdb.connect(str(path))
    try:
        con.execute(SCHEMA_SQL)
        # tables the marts do not read, only source tests: their contract DDL as the pipeline has it
        for table in ("raw.superseded_postings", "raw.file_manifest"):
            con.execute(f"create table {table} ({DDL[table]})")
        for batch_id, posting_id, title, company, title_norm, seniority, dup_of, dup_batch, \
                analysed, _role in POSTINGS:  # fmt: skip
            con.execute(
                "insert into raw.postings values (?, 'sample', ?, ?, ?, ?, 'Remote', "
                "date '2026-02-01', ?, 'text', ?, timestamp '2026-02-05 06:00:00', '{}', "
                "null, null)",
                [
                    posting_id,
                    f"inbox/{batch_id}.jsonl",
                    batch_id,
                    title,
                    company,
                    f"About the role at {company}.",
                    f"hash-{batch_id}-{posting_id}",
                ],
            )
            con.execute(
                "insert into clean.postings_extra values (?, ?, ?, ?, ?, 'en', ?, ?, 0, ?, ?)",
                [
                    batch_id,
                    posting_id,
                    f"About the role at {company}.",
                    title_norm,
                    seniority,
                    dup_of,
                    dup_batch,
                    analysed,
                    "exact" if dup_of else None,
                ],
            )
        con.execute(
            "create table clean.postings as "
            "select p.* exclude (description_raw), e.* exclude (batch_id, posting_id) "
            "from raw.postings p join clean.postings_extra e using (batch_id, posting_id)"
        )
        con.execute("drop table clean.postings_extra")
        con.execute(
            "insert into meta.posting_changes select batch_id, posting_id, 1 from clean.postings"
        )
        # a first build: its tests check every posting
        con.execute(
            "insert into meta.postings_to_test select batch_id, posting_id from clean.postings"
        )
        for batch_id, posting_id, *_rest, role_type in POSTINGS:
            con.execute(
                "insert into clean.posting_role_types values (?, ?, ?, 0.9, 'rules', 'test')",
                [posting_id, batch_id, role_type],
            )
        for batch_id, posting_id, position, text in RESPONSIBILITIES:
            con.execute(
                "insert into clean.responsibilities values (?, ?, ?, ?, 'Responsibilities', "
                "'rules')",
                [posting_id, batch_id, position, text],
            )
        for batch_id, posting_id, position, category, subpattern, rank, score in LABELS:
            con.execute(
                "insert into clean.responsibility_labels values "
                "(?, ?, ?, ?, ?, ?, ?, 'test-rules', 'pattern')",
                [posting_id, batch_id, position, category, subpattern, rank, score],
            )
        for category, sort_order, name in CATEGORIES:
            con.execute(
                "insert into clean.taxonomy_categories values "
                "('ai-engineering', 'test-1', ?, ?, ?, 'A problem.', ['Do things.'], "
                "'A challenge.')",
                [category, sort_order, name],
            )
        for category, subpattern, sort_order, name in SUBPATTERNS:
            con.execute(
                "insert into clean.taxonomy_subpatterns values "
                "('test-1', ?, ?, ?, ?, 'What it covers.')",
                [category, subpattern, sort_order, name],
            )
        for batch_id, uri, read, loaded, quarantined, duplicates in ACCOUNTING:
            con.execute(
                "insert into raw.ingest_accounting values (?, 'sample', ?, ?, ?, ?, ?, 0, 0)",
                [batch_id, uri, read, loaded, quarantined, duplicates],
            )
        con.execute(
            "insert into raw.quarantine values ('ingest', 'sample', ?, 'line 4', "
            "'invalid JSON', '{\"title\": ', ?, timestamp '2026-02-05 06:00:00')",
            [f"inbox/{B1}.jsonl", B1],
        )
    finally:
        con.close()


@dataclass(frozen=True)
class BuildResult:
    warehouse: Path
    returncode: int
    output: str


def break_label_category(warehouse: Path) -> None:
    """Broken input: a label whose category is not in the taxonomy."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            "insert into clean.responsibility_labels values "
            f"('p4', '{B2}', 0, 'not_a_category', null, 2, 0.4, 'test-rules', 'x')"
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def dbt_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    """Build a valid and a broken warehouse; both dbt processes run at the same time."""
    workdirs = {name: tmp_path_factory.mktemp(f"dbt_{name}") for name in ("valid", "broken")}
    for workdir in workdirs.values():
        create_warehouse(workdir / WAREHOUSE_NAME)
    break_label_category(workdirs["broken"] / WAREHOUSE_NAME)

    processes = {
        "valid": start_dbt_build(workdirs["valid"]),
        "broken": start_dbt_build(workdirs["broken"], "--fail-fast"),
    }
    results = {}
    try:
        for name, process in processes.items():
            process.wait(timeout=240)
            output = (workdirs[name] / "dbt_build.log").read_text()
            results[name] = BuildResult(workdirs[name] / WAREHOUSE_NAME, process.returncode, output)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Reference Wilson score interval, written out independently of the SQL macro."""
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return centre - half, centre + half


@pytest.fixture(scope="module")
def built_warehouse(dbt_builds: dict[str, BuildResult]) -> Path:
    result = dbt_builds["valid"]
    assert result.returncode == 0, result.output[-5000:]
    assert "Completed successfully" in result.output
    return result.warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


CONTAINMENT = "intermediate.int_responsibilities__word_containment"
FREQUENT_WORDS = "intermediate.int_responsibilities__frequent_words"


def reported_word_counts(tables: dict[str, list[tuple]]) -> list[tuple]:
    """The word containment rows of the words word_frequency reports (is_reported)."""
    reported = {row[0] for row in tables[FREQUENT_WORDS] if row[4]}
    return [row for row in tables[CONTAINMENT] if row[1] in reported]


def test_wilson_reference_matches_hand_values() -> None:
    # 2 of 3 postings: p = 0.667, 95% interval ~ [0.208, 0.939].
    low, high = wilson(2, 3)
    assert round(low, 3) == 0.208
    assert round(high, 3) == 0.939


def test_category_frequency(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select category, postings_with_category, postings_total, share_of_roles, wilson_low, "
        "wilson_high, band, band_order, responsibility_count, responsibility_mentions, "
        "frequency_rank from marts.category_frequency order by frequency_rank",
    )
    by_category = {row[0]: row[1:] for row in rows}
    # Every taxonomy category is present, including `other` and one nobody has.
    assert [row[0] for row in rows] == [
        "building_ai_systems",
        "productionizing_ai",
        "evaluation_quality",
        "other",
        "security_compliance",
    ]
    # Denominator: analysed postings with >= 1 responsibility = p1, p2, p4 (p3 has none,
    # p5 is a repost that is not analysed).
    assert {row[2] for row in rows} == {3}

    building = by_category["building_ai_systems"]
    assert building[0] == 2
    assert building[2] == pytest.approx(2 / 3)
    assert round(building[3], 3) == 0.208
    assert round(building[4], 3) == 0.939
    assert building[5:7] == ("very_common", 1)
    assert building[7:9] == (3, 3)  # p1/0, p2/0, p2/2 primary

    production = by_category["productionizing_ai"]
    # p1 only at rank 2, p2 at rank 1: both count for the share; one primary, three mentions.
    assert production[0] == 2
    assert production[7:9] == (1, 3)

    evaluation = by_category["evaluation_quality"]
    assert evaluation[2] == pytest.approx(1 / 3)
    assert round(evaluation[3], 3) == 0.061
    assert round(evaluation[4], 3) == 0.792
    assert evaluation[5] == "common"

    security = by_category["security_compliance"]
    assert security[0:3] == (0, 3, 0.0)
    assert security[3] == 0.0
    assert security[4] == pytest.approx(wilson(0, 3)[1], abs=1e-6)  # 6 decimals
    assert round(security[4], 3) == 0.562
    assert security[5:7] == ("rare", 4)

    assert by_category["other"][7:9] == (2, 2)


def test_subpattern_frequency(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select category || '/' || subpattern, postings_with_subpattern, share_of_roles, "
        "share_within_category, responsibility_count from marts.subpattern_frequency",
    )
    got = {row[0]: row[1:] for row in rows}
    assert got["building_ai_systems/rag_systems"] == (2, pytest.approx(2 / 3), 1.0, 2)
    assert got["building_ai_systems/agents"] == (1, pytest.approx(1 / 3), 0.5, 1)
    # Only a rank-2 label: counts for the posting shares, not for responsibility_count.
    assert got["productionizing_ai/monitoring"] == (1, pytest.approx(1 / 3), 0.5, 0)
    assert got["evaluation_quality/guardrails"] == (0, 0.0, 0.0, 0)


def test_role_types_and_titles(built_warehouse: Path) -> None:
    split = query(
        built_warehouse,
        "select role_type, role_type_name, postings, share from marts.role_type_split "
        "order by sort_order",
    )
    assert split == [
        ("ai-first", "AI-First", 2, 0.5),
        ("ai-support", "AI-Support", 1, 0.25),
        ("ml-first", "ML-First", 1, 0.25),
        ("unknown", "Unknown", 0, 0.0),
    ]
    titles = query(
        built_warehouse,
        "select title_normalized, role_type, postings, share_of_title, title_postings, "
        "title_rank from marts.titles_by_role_type order by title_rank, postings desc",
    )
    assert titles == [
        ("AI Engineer", "ai-first", 2, pytest.approx(2 / 3), 3, 1),
        ("AI Engineer", "ai-support", 1, pytest.approx(1 / 3), 3, 1),
        ("ML Engineer", "ml-first", 1, 1.0, 1, 2),
    ]


def test_word_frequency(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select word, token_count, responsibilities_containing, word_rank "
        "from marts.word_frequency",
    )
    got = {row[0]: row[1:] for row in rows}
    # Tokens of the 7 analysed responsibilities (p5's copies are not analysed).
    assert got["build"] == (4, 5, 1)  # 'rebuild' counts only as a substring
    assert got["deploy"] == (2, 3, 2)  # 'deployment' counts only as a substring
    assert got["pipelines"] == (2, 2, 3)
    assert got["teams;"][:2] == (1, 1)  # no punctuation stripping
    assert "teams" not in got
    assert "dashboards." in got
    assert "and" not in got and "rag" not in got  # 3 characters or fewer
    # Stems from var('word_frequency_stems') are present even when no token matches.
    assert got["implement"][:2] == (0, 0)
    assert got["monitor"][:2] == (1, 1)


def test_batch_trends(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select batch_id, category, postings_in_batch, postings_with_category, share_of_roles, "
        "wilson_low, wilson_high from marts.batch_trends",
    )
    got = {(row[0], row[1]): row[2:] for row in rows}
    assert len(rows) == 2 * len(CATEGORIES)
    # Batch 1: p1, p2 (p3 has no responsibilities).
    assert got[(B1, "building_ai_systems")][:3] == (2, 2, 1.0)
    assert got[(B1, "building_ai_systems")][4] == 1.0
    assert round(got[(B1, "building_ai_systems")][3], 3) == 0.342
    # Batch 2: p4 and the repost p5 (its canonical posting p1 is in batch 1).
    assert got[(B2, "building_ai_systems")][:3] == (2, 1, 0.5)
    assert got[(B2, "other")][:3] == (2, 1, 0.5)
    assert round(got[(B2, "other")][3], 3) == 0.095
    assert round(got[(B2, "other")][4], 3) == 0.905


def test_representative_responsibilities(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select category, example_rank, responsibility_text, occurrences "
        "from marts.representative_responsibilities order by category, example_rank",
    )
    assert rows == [
        ("building_ai_systems", 1, "Build and deploy RAG pipelines for search", 2),
        ("building_ai_systems", 2, "Design agents that build reports", 1),
        ("evaluation_quality", 1, "Monitor model quality in production", 1),
        # 'Ship it' scores higher but is shorter than 25 characters.
        ("other", 1, "Collaborate with teams; build dashboards.", 1),
        ("other", 2, "Ship it", 1),
        ("productionizing_ai", 1, "Maintain deployment tooling and rebuild images", 1),
    ]


def test_pipeline_accounting(built_warehouse: Path) -> None:
    rows = query(
        built_warehouse,
        "select batch_id, source, records_read, loaded, quarantined, duplicates, "
        "quarantine_records, postings, postings_analysed, responsibilities "
        "from marts.pipeline_accounting order by batch_id",
    )
    assert rows == [
        (B1, "sample", 5, 3, 1, 1, 1, 3, 3, 5),
        (B2, "sample", 2, 2, 0, 0, 0, 2, 1, 4),
    ]


def test_broken_input_fails_build(dbt_builds: dict[str, BuildResult]) -> None:
    """A label whose category is not in the taxonomy must stop the build, not vanish."""
    result = dbt_builds["broken"]
    assert result.returncode != 0, result.output[-3000:]
    assert re.search(
        r"FAIL 1 source_relationships_roleprint_clean_responsibility_labels_category",
        result.output,
    ), result.output[-3000:]
    # Nothing downstream of the broken source was published.
    tables = {row[0] for row in query(result.warehouse, "select table_name from duckdb_tables()")}
    assert "category_frequency" not in tables


def failing_dbt_test(workdir: Path, insert: str, params: list, selector: str) -> str:
    """The output of `dbt test --select selector` on the sample warehouse plus the rows
    `insert` adds (written into workdir); the test must fail."""
    warehouse = workdir / WAREHOUSE_NAME
    create_warehouse(warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(insert, params)
    finally:
        con.close()
    process = start_dbt_build(workdir, "--select", selector, command="test")
    process.wait(timeout=240)
    output = (workdir / "dbt_build.log").read_text()
    assert process.returncode != 0, output[-3000:]
    return output


def test_blank_responsibility_text_fails_its_source_test(tmp_path: Path) -> None:
    """assert_responsibilities_belong_to_postings fails for a text of nothing but spaces
    (plain or no-break), and not for a text that merely starts with one."""
    output = failing_dbt_test(
        tmp_path,
        "insert into clean.responsibilities values "
        "('p1', ?, 90, '   ', 'Responsibilities', 'rules'), "
        "('p1', ?, 91, chr(160) || ' ' || chr(160), 'Responsibilities', 'rules'), "
        "('p1', ?, 92, ' Ship evals weekly', 'Responsibilities', 'rules')",
        [B1, B1, B1],
        "assert_responsibilities_belong_to_postings",
    )
    assert re.search(r"FAIL 2 assert_responsibilities_belong_to_postings", output), output[-3000:]


def test_repeated_label_fails_unique_combination(tmp_path: Path) -> None:
    """unique_combination fails once per repeated combination (a label given twice, another
    three times) and not for a row that differs in one column only (another category of the
    same responsibility)."""
    output = failing_dbt_test(
        tmp_path,
        "insert into clean.responsibility_labels values "
        "('p1', ?, 0, 'building_ai_systems', 'rag_systems', 1, 0.9, 'test-rules', 'x'), "
        "('p1', ?, 1, 'evaluation_quality', null, 1, 0.8, 'test-rules', 'x'), "
        "('p1', ?, 1, 'evaluation_quality', null, 1, 0.8, 'test-rules', 'x'), "
        "('p1', ?, 1, 'security_compliance', null, 3, 0.3, 'test-rules', 'x')",
        [B1, B1, B1, B1],
        "source:roleprint_clean.responsibility_labels,test_name:unique_combination",
    )
    assert re.search(
        r"FAIL 2 source_unique_combination_roleprint_clean_responsibility_labels", output
    ), output[-3000:]


# --- incremental models ---------------------------------------------------------------------
B3 = "2026-03-30"


def nightly_changes(warehouse: Path) -> None:
    """Each kind of change a run of the Python stages makes, recorded in meta.posting_changes
    the way they record it: a posting re-extracted to nothing (p1), one replaced by a later
    version, so its rows are gone (p4), one whose duplicate flag was lifted and one of whose
    responsibilities was reclassified (p5), and a new posting in a new batch (p6). p2 and p3
    do not change."""
    con = duckdb.connect(str(warehouse))
    try:
        for table in ("clean.responsibilities", "clean.responsibility_labels"):
            con.execute(f"delete from {table} where posting_id = 'p1'")
        for table in (
            "clean.postings",
            "clean.responsibilities",
            "clean.responsibility_labels",
            "clean.posting_role_types",
        ):
            con.execute(f"delete from {table} where posting_id = 'p4'")
        con.execute(
            "update clean.postings set duplicate_of = null, duplicate_of_batch_id = null, "
            "duplicate_reason = null, is_analysed = true where posting_id = 'p5'"
        )
        con.execute(
            "update clean.responsibility_labels set category = 'security_compliance', "
            "subpattern = null where posting_id = 'p5' and position = 1"
        )
        con.execute(
            "insert into clean.postings select * replace ('p6' as posting_id, ? as batch_id, "
            "'LLM Engineer' as title) from clean.postings where posting_id = 'p2'",
            [B3],
        )
        con.execute(
            "insert into clean.posting_role_types values ('p6', ?, 'ai-first', 0.9, 'rules', 'x')",
            [B3],
        )
        con.execute(
            "insert into clean.responsibilities values "
            "('p6', ?, 0, 'Evaluate agents before release', 'Responsibilities', 'rules')",
            [B3],
        )
        con.execute(
            "insert into clean.responsibility_labels values "
            "('p6', ?, 0, 'evaluation_quality', 'guardrails', 1, 0.8, 'test-rules', 'x'), "
            "('p6', ?, 0, 'building_ai_systems', 'agents', 2, 0.6, 'test-rules', 'x')",
            [B3, B3],
        )
        con.execute("delete from meta.posting_changes where posting_id in ('p1', 'p4', 'p5')")
        con.execute(
            "insert into meta.posting_changes values (?, 'p1', 2), (?, 'p4', 2), (?, 'p5', 2), "
            "(?, 'p6', 3)",
            [B1, B2, B2, B3],
        )
    finally:
        con.close()


def test_incremental_run_rebuilds_only_changed_postings_and_matches_a_full_refresh(
    built_warehouse: Path, tmp_path: Path
) -> None:
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    for workdir in (incremental, full):
        workdir.mkdir()
        shutil.copy(built_warehouse, workdir / WAREHOUSE_NAME)
        nightly_changes(workdir / WAREHOUSE_NAME)
    # a mark on an unchanged posting's rows (in a column no mart reads): it survives an
    # incremental run only if those rows are not rebuilt
    analysed = "intermediate.int_responsibilities__analysed"
    with duckdb.connect(str(incremental / WAREHOUSE_NAME)) as con:
        con.execute(f"update {analysed} set section = 'kept' where posting_id = 'p2'")

    run_dbt_side_by_side({incremental: (), full: ("--full-refresh",)})

    with duckdb.connect(str(incremental / WAREHOUSE_NAME)) as con:
        kept = con.execute(f"select distinct section from {analysed} where posting_id = 'p2'")
        assert kept.fetchall() == [("kept",)]
        con.execute(f"update {analysed} set section = 'Responsibilities' where posting_id = 'p2'")
    rebuilt = built_tables(incremental / WAREHOUSE_NAME)
    from_scratch = built_tables(full / WAREHOUSE_NAME)
    assert rebuilt.keys() == from_scratch.keys()
    for name in rebuilt.keys() - {CONTAINMENT}:
        assert rebuilt[name] == from_scratch[name], name
    assert reported_word_counts(rebuilt) == reported_word_counts(from_scratch)
    joined = rebuilt["intermediate.int_postings__joined"]
    assert {row[1] for row in joined} == {"p1", "p2", "p3", "p5", "p6"}
    categories = {(row[1], row[2]) for row in rebuilt["intermediate.int_postings__categories"]}
    assert ("p5", "security_compliance") in categories and not any(
        posting == "p1" for posting, _ in categories
    )


def test_word_counts_per_batch_follow_the_selected_words(
    built_warehouse: Path, tmp_path: Path
) -> None:
    """word_frequency's counts are kept per batch and word: when the selection of words
    changes, an incremental run removes the rows of words no longer selected (reported or
    margin) and counts the newly reported ones in the batches that did not change, so the
    counts of every reported word, and the mart, equal a full build's both ways (top 3
    words, then the top 10; no posting changes, so every batch keeps the rows it has for
    words still selected). Margin words new to the selection are not counted in unchanged
    batches: there the full build has more rows."""
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    for workdir in (incremental, full):
        workdir.mkdir()
        shutil.copy(built_warehouse, workdir / WAREHOUSE_NAME)
    for top_n in (3, 10):
        words = ("--vars", f"{{word_frequency_top_n: {top_n}, word_frequency_count_margin: 2}}")
        run_dbt_side_by_side({incremental: words, full: (*words, "--full-refresh")})
        rebuilt = built_tables(incremental / WAREHOUSE_NAME)
        from_scratch = built_tables(full / WAREHOUSE_NAME)
        assert reported_word_counts(rebuilt) == reported_word_counts(from_scratch)
        assert rebuilt["marts.word_frequency"] == from_scratch["marts.word_frequency"]
        selected = rebuilt[FREQUENT_WORDS]
        reported = [row for row in selected if row[4]]
        batches = {row[0] for row in rebuilt[CONTAINMENT]}
        assert len(batches) == 2
        assert len(reported_word_counts(rebuilt)) == len(reported) * len(batches)
        # a full build counts the margin too, in every batch
        assert len(from_scratch[CONTAINMENT]) == len(selected) * len(batches)
        assert len(selected) > len(reported)
    # the top 10 reported words ranked 4 to 10 anew (counted) and two margin words after
    # them, which the unchanged batches were not counted for
    assert len(rebuilt[CONTAINMENT]) < len(from_scratch[CONTAINMENT])

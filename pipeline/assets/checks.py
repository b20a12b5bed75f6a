"""Data-quality asset checks: a Great Expectations suite after every stage.

Checks on the Python stages are blocking: a failure stops every downstream asset in the run,
so a bad batch never reaches the marts, the report or the published snapshot. Stage suites
validate the rows of the batch the run processes; mart suites validate the whole mart.
"""

from dataclasses import dataclass

import dagster as dg

from data_quality import run_suite
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.taxonomy import load_taxonomy


@dataclass(frozen=True)
class SuiteCheck:
    suite: str
    asset: dg.AssetKey
    table: str
    per_batch: bool = True
    blocking: bool = True
    needs_categories: bool = False


def mart_suite(mart: str, needs_categories: bool = False) -> SuiteCheck:
    """The suite named after a dbt mart, on the whole mart (asset marts/<mart>)."""
    return SuiteCheck(
        mart,
        dg.AssetKey(["marts", mart]),
        f"marts.{mart}",
        per_batch=False,
        needs_categories=needs_categories,
    )


SUITE_CHECKS = (
    SuiteCheck("raw_postings", dg.AssetKey("raw_postings"), "raw.postings"),
    SuiteCheck("quarantine", dg.AssetKey("raw_quarantine"), "raw.quarantine", blocking=False),
    SuiteCheck("clean_postings", dg.AssetKey("clean_postings"), "clean.postings"),
    SuiteCheck("responsibilities", dg.AssetKey("responsibilities"), "clean.responsibilities"),
    SuiteCheck(
        "responsibility_labels",
        dg.AssetKey("responsibility_labels"),
        "clean.responsibility_labels",
        needs_categories=True,
    ),
    SuiteCheck("posting_role_types", dg.AssetKey("posting_role_types"), "clean.posting_role_types"),
    mart_suite("category_frequency", needs_categories=True),
    mart_suite("category_changes_between_batches", needs_categories=True),
    mart_suite("role_type_split"),
)


def suite_check(spec: SuiteCheck) -> dg.AssetChecksDefinition:
    scope = "this batch's rows" if spec.per_batch else "the whole mart"

    @dg.asset_check(
        name=f"{spec.suite}_suite",
        asset=spec.asset,
        blocking=spec.blocking,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suite `{spec.suite}` on {scope} of {spec.table}.",
    )
    def _check(roleprint: RoleprintConfig, warehouse: Warehouse) -> dg.AssetCheckResult:
        params = {}
        if spec.needs_categories:
            params["categories"] = list(load_taxonomy(roleprint.taxonomy_path).category_ids)
        with warehouse.connect() as con:
            if spec.per_batch:
                batch_id = warehouse.current_batch()
                frame = con.execute(
                    f"SELECT * FROM {spec.table} WHERE batch_id = ?", [batch_id]
                ).df()
            else:
                frame = con.execute(f"SELECT * FROM {spec.table}").df()
        outcome = run_suite(spec.suite, frame, **params)
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            description=outcome.summary(),
            metadata=outcome.to_metadata(),
        )

    return _check


ACCOUNTING_BY_SOURCE = """
    WITH acc AS (
        SELECT source, sum(records_read) AS records_read, sum(loaded) AS loaded,
               sum(quarantined) AS quarantined, sum(duplicates) AS duplicates,
               count(*) FILTER (WHERE records_read <> loaded + quarantined + duplicates)
                   AS unbalanced_files
        FROM raw.ingest_accounting WHERE batch_id = $1 GROUP BY source),
    loaded_rows AS (
        SELECT source, count(*) AS n FROM raw.postings WHERE batch_id = $1 GROUP BY source),
    quarantined_rows AS (
        SELECT coalesce(source, '(unknown)') AS source, count(*) AS n
        FROM raw.quarantine WHERE batch_id = $1 AND stage = 'ingest' GROUP BY 1)
    SELECT source,
           coalesce(records_read, 0), coalesce(loaded, 0), coalesce(quarantined, 0),
           coalesce(duplicates, 0), coalesce(unbalanced_files, 0),
           coalesce(loaded_rows.n, 0), coalesce(quarantined_rows.n, 0)
    FROM acc FULL JOIN loaded_rows USING (source) FULL JOIN quarantined_rows USING (source)
    ORDER BY source
"""


def accounting_problems(rows: list[tuple]) -> list[str]:
    """What does not add up, per source: files, postings rows, quarantine rows."""
    problems = []
    for source, read, loaded, quarantined, dups, unbalanced, in_postings, in_quarantine in rows:
        if unbalanced:
            problems.append(
                f"{source}: {unbalanced} file(s) where read <> loaded + quarantined + duplicates"
            )
        if read != loaded + quarantined + dups:
            problems.append(
                f"{source}: read {read} <> {loaded} loaded + {quarantined} quarantined + {dups} duplicates"
            )
        if in_postings != loaded:
            problems.append(f"{source}: {loaded} loaded but {in_postings} rows in raw.postings")
        if in_quarantine != quarantined:
            problems.append(
                f"{source}: {quarantined} quarantined but {in_quarantine} rows in raw.quarantine"
            )
    return problems


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="raw_ingest_accounting",
    blocking=True,
    description=(
        "Every record read is accounted for, per file, per source and for the batch: "
        "read = loaded + quarantined + duplicates, and the loaded and quarantined records are "
        "the rows of raw.postings and raw.quarantine."
    ),
)
def records_accounted_for(warehouse: Warehouse) -> dg.AssetCheckResult:
    batch_id = warehouse.current_batch()
    with warehouse.connect() as con:
        rows = con.execute(ACCOUNTING_BY_SOURCE, [batch_id]).fetchall()
    problems = accounting_problems(rows)
    read, loaded, quarantined, dups = (sum(r[i] for r in rows) for i in (1, 2, 3, 4))
    totals = f"{read} read = {loaded} loaded + {quarantined} quarantined + {dups} duplicates"
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "batch_id": batch_id,
            "by_source": dg.MetadataValue.md(
                "| source | read | loaded | quarantined | duplicates |\n|---|---|---|---|---|\n"
                + "\n".join(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} |" for r in rows)
            ),
            "records_read": int(read),
            "loaded": int(loaded),
            "quarantined": int(quarantined),
            "duplicates": int(dups),
        },
        description=f"balanced: {totals}" if not problems else "; ".join(problems[:10]),
    )


ALL_CHECKS = [records_accounted_for, *(suite_check(spec) for spec in SUITE_CHECKS)]

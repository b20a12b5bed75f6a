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
    SuiteCheck(
        "category_frequency",
        dg.AssetKey(["marts", "category_frequency"]),
        "marts.category_frequency",
        per_batch=False,
        needs_categories=True,
    ),
    SuiteCheck(
        "category_changes_between_batches",
        dg.AssetKey(["marts", "category_changes_between_batches"]),
        "marts.category_changes_between_batches",
        per_batch=False,
        needs_categories=True,
    ),
    SuiteCheck(
        "role_type_split",
        dg.AssetKey(["marts", "role_type_split"]),
        "marts.role_type_split",
        per_batch=False,
    ),
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


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="raw_ingest_accounting",
    blocking=True,
    description="Every record read is accounted for: read = loaded + quarantined + duplicates, per file.",
)
def records_accounted_for(warehouse: Warehouse) -> dg.AssetCheckResult:
    batch_id = warehouse.current_batch()
    with warehouse.connect() as con:
        bad = con.execute(
            """SELECT source, source_uri, records_read, loaded, quarantined, duplicates
               FROM raw.ingest_accounting
               WHERE batch_id = ? AND records_read <> loaded + quarantined + duplicates""",
            [batch_id],
        ).fetchall()
        loaded, in_table = con.execute(
            """SELECT (SELECT coalesce(sum(loaded), 0) FROM raw.ingest_accounting WHERE batch_id = $1),
                      (SELECT count(*) FROM raw.postings WHERE batch_id = $1)""",
            [batch_id],
        ).fetchone()
    passed = not bad and loaded == in_table
    return dg.AssetCheckResult(
        passed=passed,
        metadata={
            "unbalanced_files": [list(map(str, r)) for r in bad[:5]],
            "loaded": int(loaded),
            "rows_in_raw_postings": int(in_table),
        },
        description="balanced"
        if passed
        else f"{len(bad)} files do not balance; loaded={loaded}, rows={in_table}",
    )


ALL_CHECKS = [records_accounted_for, *(suite_check(spec) for spec in SUITE_CHECKS)]

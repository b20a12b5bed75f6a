"""Data-quality asset checks: a Great Expectations suite after every stage.

Checks on the Python stages are blocking: a failure stops every downstream asset in the run,
so a bad batch never reaches the marts, the report or the published snapshot.
"""

import dagster as dg

from data_quality import run_suite
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.taxonomy import load_taxonomy


def _result(suite: str, frame, **params) -> dg.AssetCheckResult:
    outcome = run_suite(suite, frame, **params)
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=outcome.summary(),
        metadata=outcome.to_metadata(),
    )


def _batch_frame(warehouse: Warehouse, table: str):
    batch_id = warehouse.current_batch()
    with warehouse.connect() as con:
        return con.execute(f"SELECT * FROM {table} WHERE batch_id = ?", [batch_id]).df()


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="raw_postings",
    blocking=True,
    description="GX suite raw_postings on this batch's rows.",
)
def raw_postings_suite(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _result("raw_postings", _batch_frame(warehouse, "raw.postings"))


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="raw_ingest_accounting",
    blocking=True,
    description="Every record read is accounted for: read = loaded + quarantined + duplicates, per file.",
)
def raw_postings_accounting(warehouse: Warehouse) -> dg.AssetCheckResult:
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


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="raw_quarantine",
    blocking=False,
    description="GX suite quarantine: every quarantined record has a reason.",
)
def quarantine_suite(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _result("quarantine", _batch_frame(warehouse, "raw.quarantine"))


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="clean_postings",
    blocking=True,
    description="GX suite clean_postings on this batch's rows.",
)
def clean_postings_suite(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _result("clean_postings", _batch_frame(warehouse, "clean.postings"))


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="responsibilities",
    blocking=True,
    description="GX suite responsibilities on this batch's rows.",
)
def responsibilities_suite(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _result("responsibilities", _batch_frame(warehouse, "clean.responsibilities"))


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="responsibility_labels",
    blocking=True,
    description="GX suite responsibility_labels: categories from the taxonomy, one primary per item.",
)
def responsibility_labels_suite(
    roleprint: RoleprintConfig, warehouse: Warehouse
) -> dg.AssetCheckResult:
    categories = list(load_taxonomy(roleprint.taxonomy_path).category_ids)
    return _result(
        "responsibility_labels",
        _batch_frame(warehouse, "clean.responsibility_labels"),
        categories=categories,
    )


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="posting_role_types",
    blocking=True,
    description="GX suite posting_role_types on this batch's rows.",
)
def posting_role_types_suite(warehouse: Warehouse) -> dg.AssetCheckResult:
    return _result("posting_role_types", _batch_frame(warehouse, "clean.posting_role_types"))


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=dg.AssetKey(["marts", "category_frequency"]),
    blocking=True,
    description="GX suite on the category-frequency mart.",
)
def category_frequency_suite(
    roleprint: RoleprintConfig, warehouse: Warehouse
) -> dg.AssetCheckResult:
    categories = list(load_taxonomy(roleprint.taxonomy_path).category_ids)
    with warehouse.connect() as con:
        frame = con.execute("SELECT * FROM marts.category_frequency").df()
    return _result("category_frequency", frame, categories=categories)


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset=dg.AssetKey(["marts", "role_type_split"]),
    blocking=True,
    description="GX suite on the role-type split mart.",
)
def role_type_split_suite(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        frame = con.execute("SELECT * FROM marts.role_type_split").df()
    return _result("role_type_split", frame)


ALL_CHECKS = [
    raw_postings_suite,
    raw_postings_accounting,
    quarantine_suite,
    clean_postings_suite,
    responsibilities_suite,
    responsibility_labels_suite,
    posting_role_types_suite,
    category_frequency_suite,
    role_type_split_suite,
]

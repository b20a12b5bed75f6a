"""Stage 3, extract: clean.postings -> clean.responsibilities."""

import dagster as dg

from pipeline.extract import get_extractor
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.warehouse import pending_postings, read_postings, stage_fingerprint, write_stage


@dg.asset(
    group_name="extract",
    pool=WAREHOUSE_POOL,
    deps=["clean_postings"],
    kinds={"polars", "duckdb"},
    description="Each responsibility of each posting: the items of its duties section(s), or its precomputed items for enriched records.",
    metadata={"table": "clean.responsibilities"},
)
def responsibilities(
    context: dg.AssetExecutionContext, roleprint: RoleprintConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    fingerprint = stage_fingerprint(roleprint.extractor)
    with warehouse.connect() as con:
        keys = pending_postings(con, "extract", fingerprint)
        postings = read_postings(con, "clean.postings", keys)
        items = get_extractor(roleprint.extractor)(postings)
        write_stage(con, "extract", keys, items, fingerprint, context.run_id)
        total = con.execute("SELECT count(*) FROM clean.responsibilities").fetchone()[0]
    covered = items["posting_id"].n_unique()
    context.log.info(
        f"{items.height} responsibilities from {covered} of {postings.height} new or changed postings"
    )
    return dg.MaterializeResult(
        metadata={
            "processed_this_run": postings.height,
            "items_this_run": items.height,
            "dagster/row_count": int(total),
            "postings_with_items": covered,
            "postings_without_items": postings.height - covered,
            "by_method": dg.MetadataValue.json(dict(items.group_by("method").len().iter_rows())),
        }
    )

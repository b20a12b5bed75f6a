"""Stage 3, extract: clean.postings -> clean.responsibilities."""

import dagster as dg

from pipeline.extract import get_extractor
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.warehouse import read_batch, replace_batch


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
    batch_id = warehouse.current_batch()
    with warehouse.connect() as con:
        postings = read_batch(con, "clean.postings", batch_id)
        items = get_extractor(roleprint.extractor)(postings)
        replace_batch(con, "clean.responsibilities", items, batch_id)
    covered = items["posting_id"].n_unique()
    context.log.info(
        f"{items.height} responsibilities from {covered} of {postings.height} postings"
    )
    return dg.MaterializeResult(
        metadata={
            "batch_id": batch_id,
            "dagster/row_count": items.height,
            "postings_with_items": covered,
            "postings_without_items": postings.height - covered,
            "by_method": dg.MetadataValue.json(dict(items.group_by("method").len().iter_rows())),
        }
    )

"""Stage 3, extract: clean.postings -> clean.responsibilities."""

import dagster as dg

from pipeline.extract import POSTING_COLUMNS, get_extractor
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.warehouse import (
    StageWriter,
    computed_chunks,
    log_chunk,
    pending_postings,
    read_postings,
    stage_fingerprint,
)


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
        extract = get_extractor(roleprint.extractor)
        items, covered, by_method = 0, 0, {}
        chunks = computed_chunks(
            keys,
            lambda part: read_postings(con, "clean.postings", part, POSTING_COLUMNS),
            extract,
        )
        with StageWriter(con, "extract", fingerprint, context.run_id, total=keys.height) as writer:
            for done, part, found in chunks:
                writer.write(part, found)
                items += found.height
                covered += found["posting_id"].n_unique()
                for method, n in found.group_by("method").len().iter_rows():
                    by_method[method] = by_method.get(method, 0) + n
                log_chunk(context, "extract", done, part, keys)
        total = con.execute("SELECT count(*) FROM clean.responsibilities").fetchone()[0]
    context.log.info(
        f"{items} responsibilities from {covered} of {keys.height} new or changed postings"
    )
    return dg.MaterializeResult(
        metadata={
            "processed_this_run": keys.height,
            "items_this_run": items,
            "dagster/row_count": int(total),
            "postings_with_items": covered,
            "postings_without_items": keys.height - covered,
            "by_method": dg.MetadataValue.json(by_method),
        }
    )

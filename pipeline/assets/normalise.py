"""Stage 2, normalise: raw.postings -> clean.postings (Polars text normalisation, dedup flags)."""

import dagster as dg

from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.text.clean import clean_batch
from pipeline.warehouse import assign_duplicates, read_batch, replace_batch


@dg.asset(
    group_name="normalise",
    pool=WAREHOUSE_POOL,
    deps=["raw_postings"],
    kinds={"polars", "duckdb"},
    description="Postings with normalised plain text, normalised titles and seniority, language, PII redacted, duplicates flagged.",
    metadata={"table": "clean.postings"},
)
def clean_postings(
    context: dg.AssetExecutionContext, roleprint: RoleprintConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    batch_id = warehouse.current_batch()
    with warehouse.connect() as con:
        raw = read_batch(con, "raw.postings", batch_id)
        context.log.info(f"normalising {raw.height} postings of batch {batch_id}")
        clean = clean_batch(raw)
        replace_batch(con, "clean.postings", clean, batch_id)
        assign_duplicates(con, dedup=roleprint.dedup)
        stats = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NOT NULL),
                      count(*) FILTER (WHERE is_analysed), coalesce(sum(pii_redactions), 0),
                      count(*) FILTER (WHERE language <> 'en')
               FROM clean.postings WHERE batch_id = ?""",
            [batch_id],
        ).fetchone()
    return dg.MaterializeResult(
        metadata={
            "batch_id": batch_id,
            "dagster/row_count": stats[0],
            "duplicates_flagged": stats[1],
            "analysed": stats[2],
            "pii_redactions": int(stats[3]),
            "not_english": stats[4],
            "dedup": roleprint.dedup,
        }
    )

"""Stage 1, ingest: source files -> raw.postings (+ raw.quarantine, raw.ingest_accounting)."""

import json
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.sources.ingest import ingest_sources
from pipeline.warehouse import replace_rows


class IngestConfig(dg.Config):
    """Run-level overrides, e.g. from the inbox sensor; empty means the resource's sources."""

    sources: list[str] = []
    batch_id: str = ""


@dg.multi_asset(
    group_name="ingest",
    pool=WAREHOUSE_POOL,
    specs=[
        dg.AssetSpec(
            "raw_postings",
            kinds={"python", "duckdb"},
            description="Every input record of the batch that could be read, mapped onto one contract.",
            metadata={"table": "raw.postings"},
        ),
        dg.AssetSpec(
            "raw_quarantine",
            kinds={"duckdb"},
            description="Records that could not be loaded, each with its file, locator and reason.",
            metadata={"table": "raw.quarantine"},
        ),
        dg.AssetSpec(
            "raw_ingest_accounting",
            kinds={"duckdb"},
            description="Per file: records read = loaded + quarantined + duplicates.",
            metadata={"table": "raw.ingest_accounting, raw.ingest_runs"},
        ),
    ],
)
def ingest(
    context: dg.AssetExecutionContext,
    config: IngestConfig,
    roleprint: RoleprintConfig,
    warehouse: Warehouse,
):
    settings = roleprint.settings(sources=config.sources or None, batch_id=config.batch_id or None)
    batch_id = settings.resolved_batch_id()
    now = datetime.now(UTC).replace(tzinfo=None)
    context.log.info(f"ingesting batch {batch_id} from {[str(s) for s in settings.sources]}")
    result = ingest_sources(
        settings.sources,
        batch_id,
        now,
        progress=context.log.info,
        field_maps=settings.load_field_maps(),
    )
    totals = result.totals()
    sources = sorted({s.name for s in settings.sources})
    run = pl.DataFrame(
        [
            {
                "run_id": context.run_id,
                "batch_id": batch_id,
                "sources": json.dumps([str(s) for s in settings.sources]),
                "ingested_at": now,
                **totals,
            }
        ]
    )
    with warehouse.connect() as con:
        # a rerun of this batch replaces what its sources loaded before, and nothing else
        where = "batch_id = ? AND source IN (SELECT unnest(?::VARCHAR[]))"
        replace_rows(con, "raw.postings", result.postings, where, [batch_id, sources])
        replace_rows(con, "raw.quarantine", result.quarantine, where, [batch_id, sources])
        replace_rows(con, "raw.ingest_accounting", result.accounting, where, [batch_id, sources])
        replace_rows(con, "raw.ingest_runs", run, "run_id = ?", [context.run_id])
        batch_total = con.execute(
            "SELECT count(*) FROM raw.postings WHERE batch_id = ?", [batch_id]
        ).fetchone()[0]
    context.log.info(f"batch {batch_id}: {totals}")
    reasons = result.quarantine.group_by("reason").len().sort("len", descending=True).head(10)
    yield dg.MaterializeResult(
        asset_key="raw_postings",
        metadata={
            "batch_id": batch_id,
            "records_read": totals["records_read"],
            "loaded": totals["loaded"],
            "quarantined": totals["quarantined"],
            "duplicates": totals["duplicates"],
            "postings_in_batch": int(batch_total),
            "dagster/row_count": int(batch_total),
            "quarantine_reasons": dg.MetadataValue.md(
                "\n".join(f"- {r['len']} x {r['reason'][:160]}" for r in reasons.to_dicts())
                or "none"
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key="raw_quarantine",
        metadata={"batch_id": batch_id, "dagster/row_count": result.quarantine.height},
    )
    yield dg.MaterializeResult(
        asset_key="raw_ingest_accounting",
        metadata={"batch_id": batch_id, "files": result.accounting.height, **totals},
    )

"""Stage 2, normalise: raw.postings -> clean.postings (Polars text normalisation, dedup flags).

Incremental: only new or changed raw postings are normalised; duplicate flags are then
recomputed for them and every posting they may be grouped with (see
`warehouse.assign_duplicates`), since a new posting can duplicate an old one.
"""

import dagster as dg
import polars as pl

from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.text.clean import NORMALISE_METHOD, clean_batch
from pipeline.text.dedup import posting_bands
from pipeline.warehouse import (
    StageWriter,
    assign_duplicates,
    computed_chunks,
    drop_orphans,
    log_chunk,
    pending_postings,
    read_postings,
    reset_derived,
    stage_fingerprint,
)


def normalised_tables(raw: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """A chunk of raw.postings -> its clean.postings rows, and its rows of the tables written
    with them (signatures, and their bands for the near-duplicate search). All computed in
    the chunk's worker thread: the thread that writes the warehouse is the one every chunk
    waits for (on a million postings, the bands alone took it 6 s)."""
    clean = clean_batch(raw)
    signed = clean.filter(pl.col("signature").is_not_null())
    return clean, {"clean.posting_signatures": signed, "clean.posting_bands": posting_bands(signed)}


class RebuildConfig(dg.Config):
    """`rebuild: true` redoes every posting in every stage from the raw layer (after a code
    change; a method or taxonomy change is detected and redone without it)."""

    rebuild: bool = False


@dg.asset(
    group_name="normalise",
    pool=WAREHOUSE_POOL,
    deps=["raw_postings"],
    kinds={"polars", "duckdb"},
    description="Postings with normalised plain text, normalised titles and seniority, language, PII redacted, duplicates flagged.",
    metadata={"table": "clean.postings"},
)
def clean_postings(
    context: dg.AssetExecutionContext,
    config: RebuildConfig,
    roleprint: RoleprintConfig,
    warehouse: Warehouse,
) -> dg.MaterializeResult:
    fingerprint = stage_fingerprint(NORMALISE_METHOD)
    with warehouse.connect() as con:
        if config.rebuild:
            context.log.info("rebuild: every stage's output is dropped and redone from raw")
            reset_derived(con)
        orphans = drop_orphans(con)
        keys = pending_postings(con, "normalise", fingerprint)
        context.log.info(f"normalising {keys.height} new or changed postings")
        chunks = computed_chunks(
            keys, lambda part: read_postings(con, "raw.postings", part), normalised_tables
        )
        with StageWriter(
            con, "normalise", fingerprint, context.run_id, total=keys.height
        ) as writer:
            for done, part, (clean, extra) in chunks:
                writer.write(part, clean, extra=extra)
                log_chunk(context, "normalise", done, part, keys)
        dedup_run = assign_duplicates(con, dedup=roleprint.dedup)
        context.log.info(
            f"duplicate flags: {dedup_run['mode']} pass over {dedup_run['examined']} postings, "
            f"{dedup_run['flags_changed']} changed"
        )
        stats = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NOT NULL),
                      count(*) FILTER (WHERE is_analysed), coalesce(sum(pii_redactions), 0),
                      count(*) FILTER (WHERE language <> 'en')
               FROM clean.postings"""
        ).fetchone()
    return dg.MaterializeResult(
        metadata={
            "processed_this_run": keys.height,
            "removed_replaced_versions": orphans,
            "dagster/row_count": stats[0],
            "duplicates_flagged": stats[1],
            "analysed": stats[2],
            "pii_redactions": int(stats[3]),
            "not_english": stats[4],
            "dedup": roleprint.dedup,
            "dedup_pass": dedup_run["mode"],
            "dedup_examined": dedup_run["examined"],
        }
    )

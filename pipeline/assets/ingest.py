"""Stage 1, ingest: new or changed source files -> raw.postings (+ quarantine, accounting).

Incremental: a file whose content hash is in raw.file_manifest is not read again; a record
identical to a posting already loaded is counted `unchanged`; one with the same id and other
content replaces the old version (which moves to raw.superseded_postings).
"""

import json
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import dagster as dg
import polars as pl

from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.sources.connectors import ConnectorError, land_board
from pipeline.sources.ingest import ingest_sources, plan_files
from pipeline.warehouse import (
    abort_ingest,
    begin_ingest,
    file_manifest,
    finish_ingest,
    ingest_run_row,
    known_postings,
    load_postings,
)


class IngestConfig(dg.Config):
    """Run-level overrides, e.g. from the inbox sensor; empty means the resource's sources."""

    sources: list[str] = []
    batch_id: str = ""


def fetch_api_sources(settings, log) -> list[str]:
    """Land each job-board API source's current postings before the ingest reads them.

    A board that cannot be fetched is logged and listed, and the run goes on with what was
    landed before: one unreachable board must not stop every other source's nightly run.
    """
    failures = []
    for source in settings.configured_sources:
        if not source.api:
            continue
        try:
            files = land_board(source.api, source.board, source.spec.path, base_url=source.base_url)
            log.info(
                f"{source.spec.name}: fetched {source.api} board {source.board!r}, {len(files)} page(s)"
            )
        except ConnectorError as exc:
            log.warning(f"{source.spec.name}: {exc}")
            failures.append(f"{source.spec.name}: {exc}")
        source.spec.path.mkdir(parents=True, exist_ok=True)
    return failures


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
            description="Per file: records read = loaded + quarantined + duplicates + unchanged.",
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
    fetch_failures = fetch_api_sources(settings, context.log)
    field_maps = settings.load_field_maps()
    rules = settings.load_source_rules()
    with warehouse.connect() as con:
        to_read, unchanged_files = plan_files(
            settings.sources, file_manifest(con), field_maps, rules
        )
        context.log.info(
            f"{len(to_read)} new or changed file(s) to read, {len(unchanged_files)} unchanged "
            "since they were last read (skipped)"
        )
        rereading = [(f.source, str(f.path)) for f in to_read]
        known = known_postings(con, batch_id, rereading)
        # One transaction for the whole ingest (see begin_ingest): the files' earlier rows go,
        # then postings go straight to raw.postings in chunks as they are read, so memory
        # stays bounded. A thread loads them: DuckDB releases the GIL while it inserts, so
        # the next chunk is read meanwhile; a chunk waits for the one before, so at most
        # two are held.
        begin_ingest(con, batch_id, rereading)
        loaded = 0
        pending: Future | None = None

        def wait_for_loading() -> None:
            nonlocal loaded, pending
            if pending is not None:
                loaded += pending.result()
                pending = None
                context.log.info(f"ingest: {loaded:,} postings read and loaded")

        def load(rows: pl.DataFrame, replaced: pl.DataFrame) -> int:
            load_postings(con, rows, replaced, batch_id, context.run_id, now)
            return rows.height

        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="loading") as loader:

                def sink(rows: pl.DataFrame, replaced: pl.DataFrame) -> None:
                    nonlocal pending
                    wait_for_loading()
                    pending = loader.submit(load, rows, replaced)

                result = ingest_sources(
                    settings.sources,
                    batch_id,
                    now,
                    progress=context.log.info,
                    field_maps=field_maps,
                    files=to_read,
                    known=known,
                    run_id=context.run_id,
                    rules=rules,
                    sink=sink,
                )
                wait_for_loading()
        except BaseException:
            # leaving the executor waited for a chunk still loading: nothing uses the
            # connection while it rolls back
            abort_ingest(con)
            raise
        totals = result.totals()
        run = ingest_run_row(
            context.run_id,
            batch_id,
            json.dumps([str(s) for s in settings.sources]),
            now,
            result,
            len(to_read),
            len(unchanged_files),
        )
        finish_ingest(con, result, run, now)
        batch_total = con.execute(
            "SELECT count(*) FROM raw.postings WHERE batch_id = ?", [batch_id]
        ).fetchone()[0]
    context.log.info(f"batch {batch_id}: {totals}")
    reasons = result.quarantine.group_by("reason").len().sort("len", descending=True).head(10)
    yield dg.MaterializeResult(
        asset_key="raw_postings",
        metadata={
            "batch_id": batch_id,
            **totals,
            "files_read": len(to_read),
            "files_unchanged": len(unchanged_files),
            "api_fetch_failures": dg.MetadataValue.md(
                "\n".join(f"- {f}" for f in fetch_failures) or "none"
            ),
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

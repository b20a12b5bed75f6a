"""The DuckDB warehouse: table contracts (DDL), incremental writes, duplicate flags, publish.

Every write replaces the rows it owns (a file's contribution to a batch, a stage's output for
a set of postings) inside one transaction, so a rerun is idempotent and a failed or killed run
leaves the previous rows in place.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipeline.sources.ingest import IngestResult, KnownPostings, SourceFile
from pipeline.text.dedup import KEY_SEP as _KEY_SEP
from pipeline.text.dedup import flags, near_pairs_of, posting_bands, posting_key

#: The storage format of a new warehouse file (the pinned DuckDB's; a file keeps the format it
#: was created in). DuckDB otherwise writes its oldest readable format, v0.10, which has no
#: zstd for strings and stored the descriptions (several KB each) uncompressed: about 10 GB
#: of a million postings' 14.5 GB file, read back by every stage after them and copied whole
#: by every publish.
STORAGE_VERSION = "v1.5.0"
#: The type of the description columns: zstd (DuckDB >= 1.2 formats) over long text.
LONG_TEXT = "VARCHAR USING COMPRESSION zstd"

RAW_POSTING_COLUMNS = f"""
        posting_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_uri VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL, title VARCHAR, company VARCHAR, location VARCHAR,
        posted_date DATE, description_raw {LONG_TEXT}, description_format VARCHAR NOT NULL,
        raw_hash VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL, extra VARCHAR,
        precomputed_responsibilities VARCHAR[], precomputed_role_type VARCHAR,
        source_file VARCHAR, ingest_run_id VARCHAR"""

DDL = {
    "raw.postings": RAW_POSTING_COLUMNS + ", PRIMARY KEY (batch_id, posting_id)",
    # old versions of postings that a later record with the same id and other content replaced
    # (kept for lineage and for the accounting of the batch that loaded them)
    "raw.superseded_postings": RAW_POSTING_COLUMNS
    + """, superseded_by_batch_id VARCHAR NOT NULL, superseded_by_run_id VARCHAR NOT NULL,
        superseded_at TIMESTAMP NOT NULL""",
    # the last content hash read from each source file: an unchanged file is not read again
    "raw.file_manifest": """
        source VARCHAR NOT NULL, source_file VARCHAR NOT NULL, content_hash VARCHAR NOT NULL,
        size_bytes BIGINT NOT NULL, batch_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        read_at TIMESTAMP NOT NULL, modified_ns BIGINT, file_digest VARCHAR,
        PRIMARY KEY (source, source_file)""",
    # which postings each Python stage has processed, from which raw version, with which
    # method (fingerprint): a stage processes exactly the postings it has no current row for
    "meta.stage_state": """
        stage VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, posting_id VARCHAR NOT NULL,
        raw_hash VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, run_id VARCHAR NOT NULL,
        PRIMARY KEY (stage, batch_id, posting_id)""",
    # the number of the last write that changed a posting's derived rows (a stage's output, a
    # duplicate flag, a removal): dbt's incremental models rebuild exactly the postings
    # changed since the change number they were last built from (`record_changes`)
    "meta.posting_changes": """
        batch_id VARCHAR NOT NULL, posting_id VARCHAR NOT NULL, change_seq BIGINT NOT NULL,
        PRIMARY KEY (batch_id, posting_id)""",
    # the postings whose rows dbt's tests on the large posting-keyed tables check in this build:
    # those changed since the last successful build (every posting on a first build or a full
    # refresh); written by the dbt asset before it runs dbt (`scope_dbt_tests`)
    "meta.postings_to_test": """
        batch_id VARCHAR NOT NULL, posting_id VARCHAR NOT NULL""",
    # one row per successful dbt build: the change number it covered (tests included)
    "meta.dbt_builds": """
        run_id VARCHAR NOT NULL, changes_through BIGINT NOT NULL, full_refresh BOOLEAN NOT NULL,
        finished_at TIMESTAMP NOT NULL""",
    # every posting in a group of duplicates (2+ postings), canonical included, with the
    # group's canonical posting; kept by `assign_duplicates` to recompute only the groups a
    # run's changes touch (a posting's old group is still known after it is replaced)
    "meta.duplicate_groups": """
        batch_id VARCHAR NOT NULL, posting_id VARCHAR NOT NULL,
        canonical_batch_id VARCHAR NOT NULL, canonical_posting_id VARCHAR NOT NULL,
        PRIMARY KEY (batch_id, posting_id)""",
    # one row per `assign_duplicates`: the change number its flags cover, whether it examined
    # every posting ("full") or the changed ones and their groups ("incremental"), and how many
    "meta.dedup_runs": """
        changes_through BIGINT NOT NULL, mode VARCHAR NOT NULL, examined BIGINT NOT NULL,
        flags_changed BIGINT NOT NULL, finished_at TIMESTAMP NOT NULL""",
    # postings whose duplicate-detection inputs changed since the last `assign_duplicates`:
    # written in the transaction of the normalise write or the removal that changed them
    "meta.dedup_pending": """
        batch_id VARCHAR NOT NULL, posting_id VARCHAR NOT NULL,
        PRIMARY KEY (batch_id, posting_id)""",
    "raw.quarantine": """
        stage VARCHAR NOT NULL, source VARCHAR, source_uri VARCHAR, locator VARCHAR,
        reason VARCHAR NOT NULL, excerpt VARCHAR, batch_id VARCHAR NOT NULL,
        quarantined_at TIMESTAMP NOT NULL""",
    "raw.ingest_accounting": """
        batch_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_uri VARCHAR NOT NULL,
        records_read BIGINT NOT NULL, loaded BIGINT NOT NULL, quarantined BIGINT NOT NULL,
        duplicates BIGINT NOT NULL, unchanged BIGINT, replaced BIGINT""",
    "raw.ingest_runs": """
        run_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, sources VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL, records_read BIGINT NOT NULL, loaded BIGINT NOT NULL,
        quarantined BIGINT NOT NULL, duplicates BIGINT NOT NULL, unchanged BIGINT,
        replaced BIGINT, files_read BIGINT, files_unchanged BIGINT""",
    # no copy of the raw description (raw.postings keeps it): the stages after normalise read
    # the normalised text only, and the copy was the largest column a run wrote (about 5 GB
    # of text at a million postings), then copied again by every publish
    "clean.postings": f"""
        posting_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_uri VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL, title VARCHAR, company VARCHAR, location VARCHAR,
        posted_date DATE, description_format VARCHAR NOT NULL,
        raw_hash VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL, extra VARCHAR,
        precomputed_responsibilities VARCHAR[], precomputed_role_type VARCHAR,
        description_text {LONG_TEXT}, title_normalized VARCHAR, seniority VARCHAR,
        language VARCHAR NOT NULL, pii_redactions INTEGER NOT NULL, dedup_key VARCHAR,
        duplicate_of VARCHAR, duplicate_of_batch_id VARCHAR, is_analysed BOOLEAN NOT NULL,
        duplicate_reason VARCHAR,
        PRIMARY KEY (batch_id, posting_id)""",
    # each posting's MinHash signature (pipeline.text.dedup), written with its clean row:
    # near duplicates are found among stored signatures, so a run signs only new postings
    "clean.posting_signatures": """
        posting_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, title_key VARCHAR NOT NULL,
        signature UBIGINT[] NOT NULL, PRIMARY KEY (batch_id, posting_id)""",
    # the BANDS locality-sensitive hashes of each signature, one row per band: a new posting's
    # near-duplicate candidates are the postings sharing a band with it (one join)
    "clean.posting_bands": """
        posting_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, title_key VARCHAR NOT NULL,
        band INTEGER NOT NULL, band_hash UBIGINT NOT NULL""",
    # The two largest tables (about 12 and 21 rows per posting) have no primary-key index:
    # unique per (batch_id, posting_id, position[, category]) by construction (a stage
    # replaces a posting's rows in one transaction) and tested (the stage's GX suite on the
    # rows it wrote, dbt's unique_combination on the postings changed since the last build).
    # DuckDB keeps such an index in memory and maintains it on every insert: at 100k postings
    # it tripled the time to insert the labels (3.6 s -> 10.8 s for 2.1M rows).
    "clean.responsibilities": """
        posting_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, position INTEGER NOT NULL,
        text VARCHAR NOT NULL, section VARCHAR, method VARCHAR NOT NULL""",
    "clean.responsibility_labels": """
        posting_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, position INTEGER NOT NULL,
        category VARCHAR NOT NULL, subpattern VARCHAR, rank INTEGER NOT NULL,
        score DOUBLE NOT NULL, classifier VARCHAR NOT NULL, evidence VARCHAR""",
    "clean.posting_role_types": """
        posting_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, role_type VARCHAR NOT NULL,
        score DOUBLE NOT NULL, method VARCHAR NOT NULL, reason VARCHAR,
        PRIMARY KEY (batch_id, posting_id)""",
    "clean.taxonomy_categories": """
        taxonomy VARCHAR NOT NULL, taxonomy_version VARCHAR NOT NULL, category VARCHAR NOT NULL,
        sort_order INTEGER NOT NULL, name VARCHAR NOT NULL, problem VARCHAR,
        what_people_do VARCHAR[], core_challenge VARCHAR, PRIMARY KEY (category)""",
    # the latest evaluation's headline figures (pipeline.evaluation.run.quality_figures), for
    # the report's methods section; empty when no evaluation is configured
    "meta.evaluation_results": """
        taxonomy VARCHAR NOT NULL, dataset VARCHAR NOT NULL, metric VARCHAR NOT NULL,
        value DOUBLE NOT NULL, target DOUBLE, items BIGINT NOT NULL,
        PRIMARY KEY (dataset, metric)""",
    "clean.taxonomy_subpatterns": """
        taxonomy_version VARCHAR NOT NULL, category VARCHAR NOT NULL, subpattern VARCHAR NOT NULL,
        sort_order INTEGER NOT NULL, name VARCHAR NOT NULL, description VARCHAR,
        PRIMARY KEY (category, subpattern)""",
}


def columns_of(table: str) -> list[str]:
    """Column names of a contract table, in DDL order."""
    body = DDL[table].split("PRIMARY KEY")[0]
    return [part.split()[0] for part in body.split(",") if part.strip()]


def column_types(table: str) -> dict[str, str]:
    """Column name -> type of a contract table, in DDL order."""
    body = DDL[table].split("PRIMARY KEY")[0]
    return {part.split()[0]: part.split()[1] for part in body.split(",") if part.strip()}


def _contract_in_place(con: duckdb.DuckDBPyConnection) -> bool:
    """Every contract table has every contract column, and no column or table the contract
    dropped is there: one catalog query
    (every stage and check connects, and the full pass below costs 0.06-0.3 s a time on a
    million-posting warehouse)."""
    schemas = sorted({t.split(".")[0] for t in DDL})
    present = set(
        con.execute(
            "SELECT table_schema || '.' || table_name, column_name FROM information_schema.columns "
            f"WHERE table_schema IN ({', '.join('?' for _ in schemas)})",
            schemas,
        ).fetchall()
    )
    expected = {(table, column) for table in DDL for column in column_types(table)}
    dropped = {(table, column) for table, columns in DROPPED_COLUMNS.items() for column in columns}
    stale = {table for table, _ in present} & set(DROPPED_TABLES)
    return expected <= present and not dropped & present and not stale


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the contract tables; add columns a newer contract has to an older warehouse."""
    if _contract_in_place(con):
        return
    for schema in {t.split(".")[0] for t in DDL}:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table, body in DDL.items():
        schema, name = table.split(".")
        created = not con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchone()
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
        if created and table in BACKFILL_ROWS:
            con.execute(BACKFILL_ROWS[table])
        existing = {
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?",
                [schema, name],
            ).fetchall()
        }
        for column, sql_type in column_types(table).items():
            if column not in existing:  # nullable: rows written before it have no value
                con.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql_type}")
                if column in BACKFILL.get(table, {}):
                    con.execute(f"UPDATE {table} SET {column} = {BACKFILL[table][column]}")
        for column in DROPPED_COLUMNS.get(table, ()):
            if column in existing:
                con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    for table in DROPPED_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


# rows for a table added to a warehouse written before the table existed
BACKFILL_ROWS = {
    # what changed before the pending list existed is unknown: the next pass examines all
    "meta.dedup_pending": "DELETE FROM meta.dedup_runs",
    # so does a warehouse whose signatures have no band rows yet (the full pass adds them)
    "clean.posting_bands": "DELETE FROM meta.dedup_runs",
    # every posting already derived counts as changed once (change 0), so incremental models
    # built before the log existed cover it
    "meta.posting_changes": """INSERT INTO meta.posting_changes
        SELECT DISTINCT batch_id, posting_id, 0 FROM meta.stage_state""",
}

# columns a warehouse written under an older contract has and the contract dropped
DROPPED_COLUMNS = {
    "clean.postings": ("description_raw",),
}

# tables a warehouse written under an older contract may have and the contract dropped: the
# ingest's staging table (postings went there first, then were copied to raw.postings; an
# ingest killed before its commit left it behind, empty)
DROPPED_TABLES = ("meta.ingest_staging",)

# values for columns added to tables written before the column existed
BACKFILL = {
    "raw.postings": {"source_file": r"regexp_replace(source_uri, '#[^#/]*$', '')"},
    "raw.ingest_accounting": {"unchanged": "0", "replaced": "0"},
}


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    where: str,
    params: Sequence[object] = (),
) -> int:
    """Delete the rows matching `where`, insert `frame`, in one transaction. Returns rows inserted."""
    cols = columns_of(table)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: frame lacks columns {missing}")
    arrow = frame.select(cols).to_arrow()  # noqa: F841 - referenced by name in the SQL below
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {table} WHERE {where}", list(params))
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM arrow")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return frame.height


# --- incremental ingest ------------------------------------------------------------------


def file_manifest(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], SourceFile]:
    """(source, file) -> what was read last time (hash, size, modification time, when)."""
    rows = con.execute(
        """SELECT source, source_file, content_hash, size_bytes, coalesce(modified_ns, 0),
                  file_digest, epoch_ns(read_at) FROM raw.file_manifest"""
    )
    return {
        (source, path): SourceFile(source, Path(path), digest, size, modified, raw, read_at)
        for source, path, digest, size, modified, raw, read_at in rows.fetchall()
    }


def known_postings(
    con: duckdb.DuckDBPyConnection, batch_id: str, rereading: Sequence[tuple[str, str]]
) -> KnownPostings:
    """The postings loaded so far, by id, except what the files about to be re-read loaded into
    this same batch: re-reading a file in its batch replaces that file's contribution."""
    files = pl.DataFrame(  # noqa: F841 - referenced by name in the SQL below
        rereading, schema={"source": pl.String, "source_file": pl.String}, orient="row"
    )
    known = con.execute(
        """SELECT p.posting_id, p.source, p.raw_hash, p.batch_id FROM raw.postings AS p
           WHERE NOT (p.batch_id = $batch AND EXISTS (
               SELECT 1 FROM files AS f
               WHERE f.source = p.source AND f.source_file = p.source_file))""",
        {"batch": batch_id},
    ).pl()
    return KnownPostings.of_frame(known)


def begin_ingest(
    con: duckdb.DuckDBPyConnection, batch_id: str, rereading: Sequence[tuple[str, str]]
) -> None:
    """Open the transaction of one ingest, and remove what the files about to be (re-)read,
    as (source, source_file), contributed to this batch before: their postings, superseded
    versions, quarantine and accounting rows. `load_postings` adds each chunk read and
    `finish_ingest` commits; a failed ingest rolls back (`abort_ingest`) and leaves the
    warehouse as it was.

    One transaction for all the chunks: committed one by one, each ~100 MB insert would
    trigger a checkpoint whose cost grows with the table (6 s of a 100k-posting ingest, 29 s
    at 300k, when measured)."""
    read_files = pl.DataFrame(  # noqa: F841 - referenced by name in the SQL below
        rereading, schema={"source": pl.String, "source_file": pl.String}, orient="row"
    )
    con.execute("BEGIN TRANSACTION")
    try:
        for table, file_column in (
            ("raw.postings", "source_file"),
            ("raw.superseded_postings", "source_file"),
            ("raw.quarantine", "source_uri"),
            ("raw.ingest_accounting", "source_uri"),
        ):
            con.execute(
                f"""DELETE FROM {table} AS t USING read_files AS f
                    WHERE t.batch_id = $batch AND t.source = f.source
                      AND t.{file_column} = f.source_file""",
                {"batch": batch_id},
            )
    except Exception:
        con.execute("ROLLBACK")
        raise


def load_postings(
    con: duckdb.DuckDBPyConnection,
    postings: pl.DataFrame,
    superseded: pl.DataFrame,
    batch_id: str,
    run_id: str,
    read_at: datetime,
) -> None:
    """Inside the transaction of an ingest into `batch_id`: move the earlier versions the
    chunk `postings` replaces (`superseded`: their batch_id, posting_id) to
    raw.superseded_postings, then insert the chunk into raw.postings (a replacement in the
    same batch keeps the posting's key, so the old version goes first)."""
    raw_cols = ", ".join(columns_of("raw.postings"))
    if superseded.height:
        replaced = superseded.to_arrow()  # noqa: F841 - referenced by name in the SQL below
        con.execute(
            f"""INSERT INTO raw.superseded_postings
                SELECT {raw_cols}, $batch, $run, $at FROM raw.postings AS p
                SEMI JOIN replaced USING (batch_id, posting_id)""",
            {"batch": batch_id, "run": run_id, "at": read_at},
        )
        con.execute(
            "DELETE FROM raw.postings AS p USING replaced AS s "
            "WHERE p.batch_id = s.batch_id AND p.posting_id = s.posting_id"
        )
    arrow = postings.select(columns_of("raw.postings")).to_arrow()  # noqa: F841 - used below
    con.execute(f"INSERT INTO raw.postings ({raw_cols}) SELECT * FROM arrow")


def ingest_run_row(
    run_id: str,
    batch_id: str,
    sources: str,
    ingested_at: datetime,
    result: IngestResult,
    files_read: int,
    files_unchanged: int,
) -> pl.DataFrame:
    """The raw.ingest_runs row of one ingest (`sources`: what it was asked to read, as JSON)."""
    return pl.DataFrame(
        [
            {
                "run_id": run_id,
                "batch_id": batch_id,
                "sources": sources,
                "ingested_at": ingested_at,
                **result.totals(),
                "files_read": files_read,
                "files_unchanged": files_unchanged,
            }
        ]
    )


def finish_ingest(
    con: duckdb.DuckDBPyConnection,
    result: IngestResult,
    run_row: pl.DataFrame,
    read_at: datetime,
) -> None:
    """Write the rest of an ingest (quarantine, accounting and run rows, the manifest of the
    files read, with their hashes) and commit its transaction."""
    batch_id, run_id = run_row["batch_id"][0], run_row["run_id"][0]
    manifest = result.manifest.with_columns(  # noqa: F841 - referenced by name in the SQL below
        batch_id=pl.lit(batch_id), run_id=pl.lit(run_id), read_at=pl.lit(read_at)
    )
    try:
        for table, frame in (
            ("raw.quarantine", result.quarantine),
            ("raw.ingest_accounting", result.accounting),
            ("raw.ingest_runs", run_row),
        ):
            cols = columns_of(table)
            arrow = frame.select(cols).to_arrow()  # noqa: F841 - referenced by name below
            con.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM arrow")
        con.execute(
            """INSERT OR REPLACE INTO raw.file_manifest
               (source, source_file, content_hash, size_bytes, batch_id, run_id, read_at,
                modified_ns, file_digest)
               SELECT source, source_file, content_hash, size_bytes, batch_id, run_id, read_at,
                      modified_ns, file_digest
               FROM manifest"""
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def abort_ingest(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back an ingest's transaction (after a failure between `begin_ingest` and
    `finish_ingest`)."""
    con.execute("ROLLBACK")


def write_ingest(
    con: duckdb.DuckDBPyConnection,
    result: IngestResult,
    run_row: pl.DataFrame,
    read_at: datetime,
) -> None:
    """Write one ingest read whole into memory (`result.postings`) in one transaction: the
    files read replace what they contributed to its batch before, and the old versions of
    changed postings move to raw.superseded_postings (see `begin_ingest`)."""
    batch_id, run_id = run_row["batch_id"][0], run_row["run_id"][0]
    begin_ingest(con, batch_id, result.accounting.select("source", "source_uri").rows())
    try:
        load_postings(con, result.postings, result.superseded, batch_id, run_id, read_at)
    except Exception:
        abort_ingest(con)
        raise
    finish_ingest(con, result, run_row, read_at)


# --- incremental stages ------------------------------------------------------------------
# Each Python stage after ingest processes exactly the postings it has no current
# `meta.stage_state` row for: new or changed raw versions, postings an earlier stage redid, or
# every posting when the stage's method (fingerprint) changed. Its output rows and its state
# rows are written in one transaction (several chunks to one, see `StageWriter`), so a run
# killed anywhere leaves either the old or the new rows, and the next run picks up what is
# still pending.

STAGES = ("normalise", "extract", "classify", "role_types")


def stage_fingerprint(*method: str) -> str:
    """What a stage's output depends on besides its input: its method and the code version.
    When it changes, the stage redoes every posting."""
    try:
        version = importlib.metadata.version("roleprint")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        version = "unknown"
    return "|".join((*method, f"roleprint {version}"))


STAGE_OUTPUT = {
    "normalise": "clean.postings",
    "extract": "clean.responsibilities",
    "classify": "clean.responsibility_labels",
    "role_types": "clean.posting_role_types",
}
KEY = ["batch_id", "posting_id"]
# tables a stage writes besides its output, keyed by posting like it
STAGE_EXTRA = {"normalise": ("clean.posting_signatures", "clean.posting_bands")}
DERIVED_TABLES = (*STAGE_OUTPUT.values(), *(t for ts in STAGE_EXTRA.values() for t in ts))


def pending_postings(con: duckdb.DuckDBPyConnection, stage: str, fingerprint: str) -> pl.DataFrame:
    """(batch_id, posting_id, raw_hash) of the postings `stage` still has to process."""
    index = STAGES.index(stage)
    source = "raw.postings" if index == 0 else "clean.postings"
    ready = (
        ""  # normalise takes every raw posting
        if index == 0
        else """AND EXISTS (SELECT 1 FROM meta.stage_state AS prev
                           WHERE prev.stage = $prev AND prev.batch_id = s.batch_id
                             AND prev.posting_id = s.posting_id AND prev.raw_hash = s.raw_hash)"""
    )
    params = {"stage": stage, "fingerprint": fingerprint}
    if index:
        params["prev"] = STAGES[index - 1]
    return con.execute(
        f"""SELECT s.batch_id, s.posting_id, s.raw_hash FROM {source} AS s
            WHERE NOT EXISTS (SELECT 1 FROM meta.stage_state AS st
                              WHERE st.stage = $stage AND st.batch_id = s.batch_id
                                AND st.posting_id = s.posting_id AND st.raw_hash = s.raw_hash
                                AND st.fingerprint = $fingerprint)
            {ready}
            ORDER BY s.batch_id, s.posting_id""",
        params,
    ).pl()


#: Rows in a DuckDB row group (its default), the unit a table is stored and rewritten in.
ROW_GROUP_ROWS = 122_880
#: Postings a stage reads and processes at a time: memory stays bounded at any scale. A killed
#: run keeps every chunk it committed (see COMMIT_POSTINGS). A twelfth of a row group, so that
#: whole chunks add up to a commit of exactly one row group of clean.postings (a row per
#: posting): a commit that ends inside a row group leaves a partly filled one, and the next
#: checkpoint rewrites partly filled row groups together, reading back and compressing again
#: every description in them. With chunks of 10,000 (commits of 130,000), the checkpoint
#: after normalising 1M postings took 13-17 s; normalising 300k postings, 2.5 s with chunks
#: of 10,000 against 0.07 s with chunks of 10,240.
CHUNK_POSTINGS = int(os.environ.get("ROLEPRINT_CHUNK_POSTINGS", "0")) or ROW_GROUP_ROWS // 12


def in_chunks(keys: pl.DataFrame, size: int | None = None) -> Iterator[pl.DataFrame]:
    """`keys` (pending postings) in slices of `size` (default CHUNK_POSTINGS) rows."""
    size = size or CHUNK_POSTINGS
    for offset in range(0, keys.height, size):
        yield keys.slice(offset, size)


#: Chunks computed at once. Polars releases the GIL, and one chunk's query leaves a core idle
#: in its single-threaded string kernels, so two chunks in flight keep both cores of a small
#: machine busy; each chunk in flight holds its data and intermediates in memory.
STAGE_WORKERS = max(1, int(os.environ.get("ROLEPRINT_STAGE_WORKERS", "2")))


def computed_chunks(
    keys: pl.DataFrame,
    read: Callable[[pl.DataFrame], Any],
    compute: Callable[[Any], Any],
    workers: int | None = None,
) -> Iterator[tuple[int, pl.DataFrame, Any]]:
    """(chunk number from 1, chunk of `keys`, compute(read(chunk))) for each chunk of `keys`
    (see `in_chunks`), in order.

    `read` runs in the caller's thread, `compute` in up to `workers` (default STAGE_WORKERS)
    threads, and the caller writes each result as it is yielded: the warehouse connection is
    only ever used by the caller's thread (one writer), and at most `workers` chunks wait in
    memory."""
    workers = workers or STAGE_WORKERS
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stage-chunk") as pool:
        in_flight: deque[tuple[int, pl.DataFrame, Future]] = deque()
        for done, part in enumerate(in_chunks(keys), start=1):
            in_flight.append((done, part, pool.submit(compute, read(part))))
            if len(in_flight) >= workers:
                number, chunk, result = in_flight.popleft()
                yield number, chunk, result.result()
        while in_flight:
            number, chunk, result = in_flight.popleft()
            yield number, chunk, result.result()


def log_chunk(context, stage: str, done: int, part: pl.DataFrame, keys: pl.DataFrame) -> None:
    """Progress of a chunked stage, once per chunk."""
    processed = min(done * CHUNK_POSTINGS, keys.height) if part.height else 0
    context.log.info(f"{stage}: {processed:,} of {keys.height:,} postings done")


def read_postings(
    con: duckdb.DuckDBPyConnection,
    table: str,
    keys: pl.DataFrame,
    columns: Sequence[str] | None = None,
    where: str | None = None,
) -> pl.DataFrame:
    """The rows of `table` belonging to the postings in `keys` (batch_id, posting_id): every
    column, or only `columns` (a stage that reads few of a wide table's columns does not
    decompress the others: role types read 5 of clean.postings' 24, 0.17 -> 0.12 s a chunk);
    every such row, or only those meeting `where` (an SQL condition on the table's columns)."""
    wanted = keys.select(KEY)  # noqa: F841 - referenced by name in the SQL below
    picked = ", ".join(f't."{c}"' for c in columns) if columns else "t.*"
    condition = f" AND ({where})" if where else ""
    return con.execute(
        f"SELECT {picked} FROM {table} AS t SEMI JOIN wanted USING (batch_id, posting_id)"
        f" WHERE {KEY_BOUNDS_SQL}{condition}",
        key_bounds(keys),
    ).pl()


def record_changes(con: duckdb.DuckDBPyConnection, keys: str | pl.DataFrame) -> None:
    """Give the postings in `keys` (a frame, or SQL selecting batch_id, posting_id) the next
    change number.

    Call it inside the transaction of the write it records. Numbers only grow (one writer),
    so "changed since the last build" is one comparison; see meta.posting_changes."""
    if isinstance(keys, pl.DataFrame):
        frame = keys.select(KEY).to_arrow()  # noqa: F841 - referenced by name in the SQL below
        keys_sql = "SELECT batch_id, posting_id FROM frame"
    else:
        keys_sql = keys
    con.execute(
        f"""INSERT OR REPLACE INTO meta.posting_changes
            SELECT DISTINCT changed.batch_id, changed.posting_id, next.change_seq
            FROM ({keys_sql}) AS changed,
                 (SELECT coalesce(max(change_seq), 0) + 1 AS change_seq
                  FROM meta.posting_changes) AS next"""
    )


#: Postings a stage commits at a time (whole chunks, see `StageWriter`): by default DuckDB's
#: row group size, 122,880 rows. Rows a transaction inserts go straight to the database file
#: once a table's new rows fill a row group; fewer go through the write-ahead log and are
#: written again at a checkpoint, so a commit per chunk (10,000 postings, fewer rows than a
#: row group in clean.postings and clean.responsibilities) wrote every text twice. Measured on
#: 1M synthetic postings, two whole runs back to back: normalise + extract + classify took
#: 325.5 s with a commit per chunk and 310.3 s with a commit per 122,880 postings (normalise
#: 140.8 -> 134.6 s, extract 86.4 -> 81.9 s, classify 98.3 -> 93.9 s), peak RSS 4.9 and
#: 4.7 GiB, and the file is the same size (10.2 GiB, work and published; with the layout of
#: an earlier code it grew, 20.7 -> 25.9 GB, which is why the default was a commit per chunk
#: until then). A killed run keeps what it committed.
COMMIT_POSTINGS = int(os.environ.get("ROLEPRINT_COMMIT_POSTINGS", "0")) or ROW_GROUP_ROWS


#: The constant bounds of a chunk's keys (`key_bounds`), for a statement that looks up the
#: chunk's rows of a table: DuckDB skips the row groups whose min/max statistics lie outside
#: them, where a join with the keys alone reads every row group of the table (and every row
#: the open transaction inserted). On a first run of 100k postings, where a chunk has no old
#: rows, the DELETEs of the chunks' old labels took 0.71 s in all without them and 0.04 s
#: with them (responsibilities 0.45 -> 0.05 s, signature bands 0.33 -> 0.05 s); reading 10
#: chunks of 1M raw postings, 1.63 -> 1.10 CPU-s.
KEY_BOUNDS_SQL = (
    "t.batch_id BETWEEN $first_batch AND $last_batch "
    "AND t.posting_id BETWEEN $first_posting AND $last_posting"
)


def key_bounds(keys: pl.DataFrame) -> dict[str, str | None]:
    """The parameters of KEY_BOUNDS_SQL for `keys` (batch_id, posting_id)."""
    bounds = keys.select(
        first_batch=pl.col("batch_id").min(),
        last_batch=pl.col("batch_id").max(),
        first_posting=pl.col("posting_id").min(),
        last_posting=pl.col("posting_id").max(),
    )
    return bounds.row(0, named=True)


class StageWriter:
    """Writes a stage's output chunk by chunk (`write`), in transactions of at least
    `postings_per_commit` postings (default COMMIT_POSTINGS): each chunk's rows replace the
    postings' old output and state as in `write_stage`.

    Given the `total` number of postings the stage will write, a transaction that would leave
    fewer than `postings_per_commit` postings for the last one stays open and takes them too:
    rows of a transaction that fill no row group go to the write-ahead log and are written
    again at the next checkpoint (the last 89,000 of a million postings made a 543 MB log).

    Use it as a context manager: leaving the block commits what is left; an error rolls back
    the open transaction only, so the chunks committed before it are kept and the next run
    redoes the rest (they are still pending)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        stage: str,
        fingerprint: str,
        run_id: str,
        postings_per_commit: int | None = None,
        total: int | None = None,
    ) -> None:
        self.con, self.stage, self.fingerprint, self.run_id = con, stage, fingerprint, run_id
        self.postings_per_commit = postings_per_commit or COMMIT_POSTINGS
        self.total = total
        self.uncommitted = 0
        self.committed = 0
        self._open = False

    def __enter__(self) -> StageWriter:
        return self

    def write(
        self,
        keys: pl.DataFrame,
        output: pl.DataFrame,
        extra: dict[str, pl.DataFrame] | None = None,
    ) -> None:
        """Replace the output (and `extra` tables' rows) of the postings in `keys`."""
        if not self._open:
            self.con.execute("BEGIN TRANSACTION")
            self._open = True
        self._replace(keys, output, extra)
        self.uncommitted += keys.height
        if self.uncommitted >= self.postings_per_commit and not self._short_tail_after():
            self.commit()

    def _short_tail_after(self) -> bool:
        """Whether committing now would leave a last transaction of too few postings."""
        if self.total is None:
            return False
        left = self.total - self.committed - self.uncommitted
        return 0 < left < self.postings_per_commit

    def _replace(
        self,
        keys: pl.DataFrame,
        output: pl.DataFrame,
        extra: dict[str, pl.DataFrame] | None,
    ) -> None:
        """One chunk's statements, in the open transaction. Later stages' state for these
        postings is dropped, so they redo them in turn."""
        outputs = {STAGE_OUTPUT[self.stage]: output, **(extra or {})}
        done = keys.select(  # noqa: F841 - referenced by name in the SQL below
            pl.lit(self.stage).alias("stage"),
            "batch_id",
            "posting_id",
            "raw_hash",
            pl.lit(self.fingerprint).alias("fingerprint"),
            pl.lit(self.run_id).alias("run_id"),
        )
        later = list(STAGES[STAGES.index(self.stage) :])
        bounds = key_bounds(keys)
        for table, frame in outputs.items():
            cols = columns_of(table)
            rows = frame.select(cols).to_arrow()  # noqa: F841 - referenced by name below
            self.con.execute(
                f"""DELETE FROM {table} AS t USING done
                    WHERE t.batch_id = done.batch_id AND t.posting_id = done.posting_id
                      AND {KEY_BOUNDS_SQL}""",
                bounds,
            )
            self.con.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM rows"
            )
        self.con.execute(
            """DELETE FROM meta.stage_state AS st USING done
               WHERE st.stage IN (SELECT unnest($1::VARCHAR[]))
                 AND st.batch_id = done.batch_id AND st.posting_id = done.posting_id""",
            [later],
        )
        self.con.execute("INSERT INTO meta.stage_state SELECT * FROM done")
        if self.stage == "normalise":
            self.con.execute(
                "INSERT OR IGNORE INTO meta.dedup_pending SELECT batch_id, posting_id FROM done"
            )
        record_changes(self.con, keys)

    def commit(self) -> None:
        if self._open:
            self.con.execute("COMMIT")
            self._open = False
            self.committed += self.uncommitted
            self.uncommitted = 0

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        elif self._open:
            self.con.execute("ROLLBACK")
            self._open = False
            self.uncommitted = 0


def write_stage(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    keys: pl.DataFrame,
    output: pl.DataFrame,
    fingerprint: str,
    run_id: str,
    extra: dict[str, pl.DataFrame] | None = None,
) -> None:
    """Replace the stage's output for `keys` (and its `extra` tables' rows, see STAGE_EXTRA)
    and mark them done, in one transaction (see `StageWriter` for many chunks)."""
    with StageWriter(con, stage, fingerprint, run_id) as writer:
        writer.write(keys, output, extra)


def scope_dbt_tests(con: duckdb.DuckDBPyConnection, full_refresh: bool) -> tuple[int, int]:
    """Fill meta.postings_to_test for the coming dbt build and return (postings in scope, the
    change number the build will cover).

    In scope: the postings changed since the last successful build (`record_dbt_build`); all
    of them on the first build or a full refresh. The unchanged rest passed the same tests in
    an earlier build and has not been written since."""
    (through,) = con.execute(
        "SELECT coalesce(max(change_seq), 0) FROM meta.posting_changes"
    ).fetchone()
    (since,) = con.execute(
        "SELECT coalesce(max(changes_through), -1) FROM meta.dbt_builds"
    ).fetchone()
    since = -1 if full_refresh else since
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM meta.postings_to_test")
        con.execute(
            """INSERT INTO meta.postings_to_test
               SELECT batch_id, posting_id FROM meta.posting_changes WHERE change_seq > ?""",
            [since],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    (scoped,) = con.execute("SELECT count(*) FROM meta.postings_to_test").fetchone()
    return scoped, through


def record_dbt_build(
    con: duckdb.DuckDBPyConnection, run_id: str, changes_through: int, full_refresh: bool
) -> None:
    """A dbt build covering every change up to `changes_through` succeeded, tests included."""
    con.execute(
        "INSERT INTO meta.dbt_builds VALUES (?, ?, ?, now()::TIMESTAMP)",
        [run_id, changes_through, full_refresh],
    )


def drop_orphans(con: duckdb.DuckDBPyConnection) -> int:
    """Remove derived rows of postings no longer in raw.postings (replaced or withdrawn)."""
    removed = 0
    # every derived row has its posting's stage_state rows (written in one transaction)
    orphans = """SELECT DISTINCT batch_id, posting_id FROM meta.stage_state AS t
           WHERE NOT EXISTS (SELECT 1 FROM raw.postings AS r
                             WHERE r.batch_id = t.batch_id AND r.posting_id = t.posting_id)"""
    # so without orphaned stage state there is nothing to remove, and the derived tables
    # (tens of millions of rows at a million postings) are not scanned: 2.6 -> 0.2 s a run
    if not con.execute(f"SELECT EXISTS ({orphans})").fetchone()[0]:
        return 0
    con.execute("BEGIN TRANSACTION")
    try:
        record_changes(con, orphans)
        # a removed posting's duplicate group is examined again
        con.execute(f"INSERT OR IGNORE INTO meta.dedup_pending {orphans}")
        for table in (*DERIVED_TABLES, "meta.stage_state"):
            removed += con.execute(
                f"""DELETE FROM {table} AS t WHERE NOT EXISTS (
                        SELECT 1 FROM raw.postings AS r
                        WHERE r.batch_id = t.batch_id AND r.posting_id = t.posting_id)"""
            ).fetchone()[0]
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return removed


def reset_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Forget every stage's work (not the raw layer): the next run rebuilds from raw."""
    con.execute("BEGIN TRANSACTION")
    record_changes(con, "SELECT batch_id, posting_id FROM meta.posting_changes")
    for table in DERIVED_TABLES:  # dbt's staging views read these: their rows go, not them
        con.execute(f"DELETE FROM {table}")
    for table in ("meta.stage_state", *DEDUP_STATE):  # no view reads these
        empty_table(con, table)
    con.execute("COMMIT")


def empty_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Remove every row of contract table `table` (no view reads it) by dropping and creating
    it, in the caller's transaction. A DELETE of every row removes each key from the
    primary-key index one by one: emptying a million postings' meta.dedup_pending took 17 s,
    and as long again to commit; this takes milliseconds."""
    con.execute(f"DROP TABLE {table}")
    con.execute(f"CREATE TABLE {table} ({DDL[table]})")


#: Tables holding `assign_duplicates`' own state (cleared with the derived tables on a rebuild).
DEDUP_STATE = ("meta.duplicate_groups", "meta.dedup_runs", "meta.dedup_pending")
#: Above this share of changed postings, `assign_duplicates` examines every posting at once.
FULL_DEDUP_SHARE = 0.5


def assign_duplicates(con: duckdb.DuckDBPyConnection, dedup: bool) -> dict:
    """Flag every posting that duplicates another, exactly or nearly, across all batches, and
    return what was examined ({"mode", "examined", "flags_changed"}).

    Rules and reasons: `pipeline.text.dedup.flags`. Near-duplicate candidates are the pairs
    that share a stored band (clean.posting_bands); only their signatures
    (clean.posting_signatures) are read, and the texts of the pairs the signatures put near
    the threshold. The canonical posting is the earliest by (batch_id, posting_id), so
    loading batches out of order gives the same answer. With dedup off, duplicates are
    flagged but still analysed.

    Incremental: only the postings normalised or removed since the last run
    (meta.dedup_pending, written with those changes) can change a flag, and only within the
    groups they reach. Examined are the changed postings,
    the postings sharing a band (clean.posting_bands) or a dedup key with them, and every
    member of the groups (meta.duplicate_groups) any of those belonged to. No pair links
    an examined posting to one outside that set (pairs among unchanged postings lie within
    their groups), so its flags are those a run over every posting gives. The first run, a
    rebuild, or one where most postings changed examines every posting.
    """
    (runs, changed, total) = con.execute(
        """SELECT (SELECT count(*) FROM meta.dedup_runs),
                  (SELECT count(*) FROM meta.dedup_pending),
                  (SELECT count(*) FROM clean.postings)"""
    ).fetchone()
    mode = "incremental" if runs and changed <= FULL_DEDUP_SHARE * max(total, 1) else "full"
    if mode == "incremental":
        _dedup_scope(con)
        within = "JOIN dedup_scope USING (batch_id, posting_id)"
    else:
        _backfill_bands(con)
        within = ""
    keyed = posting_key(pl.col("batch_id"), pl.col("posting_id")).alias("key")
    keys = con.execute(f"SELECT batch_id, posting_id, dedup_key FROM clean.postings {within}").pl()
    # near-duplicate candidates: the pairs of postings in scope with the same title key that
    # agree on a band, found by a join of their stored bands (on a million postings: 0.7-1.1 s,
    # against 8.6 s to read every signature and hash its bands again); only the candidates'
    # signatures are read
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE dedup_candidates AS
            WITH bands AS (SELECT * FROM clean.posting_bands {within})
            SELECT DISTINCT a.batch_id AS batch_a, a.posting_id AS posting_a,
                   b.batch_id AS batch_b, b.posting_id AS posting_b
            FROM bands AS a JOIN bands AS b
              ON a.title_key = b.title_key AND a.band = b.band AND a.band_hash = b.band_hash
            WHERE a.batch_id < b.batch_id
               OR (a.batch_id = b.batch_id AND a.posting_id < b.posting_id)"""
    )
    candidates = con.execute("SELECT * FROM dedup_candidates").pl()
    signed = con.execute(
        """SELECT s.batch_id, s.posting_id, s.title_key AS group, s.signature
           FROM clean.posting_signatures AS s
           SEMI JOIN (SELECT batch_a AS batch_id, posting_a AS posting_id FROM dedup_candidates
                      UNION
                      SELECT batch_b, posting_b FROM dedup_candidates) AS c
             USING (batch_id, posting_id)"""
    ).pl()
    con.execute("DROP TABLE dedup_candidates")

    def texts_of(wanted: pl.Series) -> pl.DataFrame:
        # joined on the key columns themselves: a join on a computed key would read every
        # posting's text first
        parts = wanted.str.split_exact(_KEY_SEP, 1)
        rows = pl.DataFrame(  # noqa: F841 - referenced by name in the SQL below
            {"key": wanted, "batch_id": parts.struct[0], "posting_id": parts.struct[1]}
        )
        return con.execute(
            r"""SELECT k.key, coalesce(p.description_text,
                       array_to_string(p.precomputed_responsibilities, chr(10))) AS text
            FROM clean.postings AS p
            JOIN rows AS k USING (batch_id, posting_id)"""
        ).pl()

    near = near_pairs_of(
        signed.select(keyed, "group", "signature"),
        texts_of,
        candidates=candidates.select(
            key_a=posting_key(pl.col("batch_a"), pl.col("posting_a")),
            key_b=posting_key(pl.col("batch_b"), pl.col("posting_b")),
        ),
    )
    flagged = flags(keys.select(keyed, "dedup_key"), near)
    examined = keys.height
    del keys, signed, candidates
    con.register("flagged", flagged.to_arrow())
    con.execute("BEGIN TRANSACTION")
    try:
        flags_changed = _write_flags(con, within, dedup)
        if mode == "incremental":
            con.execute(
                """DELETE FROM meta.duplicate_groups AS g
                   WHERE EXISTS (SELECT 1 FROM dedup_scope AS s
                                 WHERE s.batch_id = g.batch_id AND s.posting_id = g.posting_id)
                      OR EXISTS (SELECT 1 FROM meta.dedup_pending AS c
                                 WHERE c.batch_id = g.batch_id AND c.posting_id = g.posting_id)
                      OR EXISTS (SELECT 1 FROM dedup_groups AS t
                                 WHERE t.canonical_batch_id = g.canonical_batch_id
                                   AND t.canonical_posting_id = g.canonical_posting_id)"""
            )
        else:
            empty_table(con, "meta.duplicate_groups")
        con.execute(
            """INSERT INTO meta.duplicate_groups
               SELECT batch_id, posting_id, duplicate_of_batch_id, duplicate_of FROM flagged
               UNION
               SELECT duplicate_of_batch_id, duplicate_of, duplicate_of_batch_id, duplicate_of
               FROM flagged"""
        )
        (through,) = con.execute(
            "SELECT coalesce(max(change_seq), 0) FROM meta.posting_changes"
        ).fetchone()
        empty_table(con, "meta.dedup_pending")
        con.execute(
            "INSERT INTO meta.dedup_runs VALUES (?, ?, ?, ?, now())",
            [through, mode, examined, flags_changed],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("flagged")
    for table in ("dedup_scope", "dedup_groups"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return {"mode": mode, "examined": examined, "flags_changed": flags_changed}


def _dedup_scope(con: duckdb.DuckDBPyConnection) -> None:
    """Temp tables for an incremental `assign_duplicates`: dedup_groups (the canonical
    postings of the groups the pending postings reach) and dedup_scope (the existing postings
    to examine)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE dedup_reached AS
           SELECT batch_id, posting_id FROM meta.dedup_pending
           UNION
           SELECT o.batch_id, o.posting_id
           FROM clean.posting_bands AS c
           JOIN meta.dedup_pending USING (batch_id, posting_id)
           JOIN clean.posting_bands AS o
             ON o.title_key = c.title_key AND o.band = c.band AND o.band_hash = c.band_hash
           UNION
           SELECT o.batch_id, o.posting_id
           FROM clean.postings AS c
           JOIN meta.dedup_pending USING (batch_id, posting_id)
           JOIN clean.postings AS o ON o.dedup_key = c.dedup_key"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE dedup_groups AS
           SELECT DISTINCT g.canonical_batch_id, g.canonical_posting_id
           FROM meta.duplicate_groups AS g JOIN dedup_reached USING (batch_id, posting_id)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE dedup_scope AS
           SELECT DISTINCT p.batch_id, p.posting_id
           FROM clean.postings AS p
           JOIN (SELECT batch_id, posting_id FROM dedup_reached
                 UNION
                 SELECT g.batch_id, g.posting_id
                 FROM meta.duplicate_groups AS g
                 JOIN dedup_groups USING (canonical_batch_id, canonical_posting_id)) AS s
             USING (batch_id, posting_id)"""
    )
    con.execute("DROP TABLE dedup_reached")


def _write_flags(con: duckdb.DuckDBPyConnection, within: str, dedup: bool) -> int:
    """Write the `flagged` frame's flags to the postings `within` selects (all when empty),
    and make every posting's is_analysed agree with its flag and the dedup setting. Only the
    postings whose values change are written and recorded as changed; returns their number."""
    analysed = "p.duplicate_of IS NULL" if dedup else "TRUE"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE changed_flags AS
            SELECT s.batch_id, s.posting_id, f.duplicate_of, f.duplicate_of_batch_id,
                   f.duplicate_reason
            FROM (SELECT batch_id, posting_id FROM clean.postings {within}) AS s
            JOIN clean.postings AS p USING (batch_id, posting_id)
            LEFT JOIN flagged AS f USING (batch_id, posting_id)
            WHERE p.duplicate_of IS DISTINCT FROM f.duplicate_of
               OR p.duplicate_of_batch_id IS DISTINCT FROM f.duplicate_of_batch_id
               OR p.duplicate_reason IS DISTINCT FROM f.duplicate_reason"""
    )
    con.execute(
        """UPDATE clean.postings AS p SET
               duplicate_of = c.duplicate_of,
               duplicate_of_batch_id = c.duplicate_of_batch_id,
               duplicate_reason = c.duplicate_reason
           FROM changed_flags AS c
           WHERE p.batch_id = c.batch_id AND p.posting_id = c.posting_id"""
    )
    # a whole-table pass: the dedup setting can change between runs
    con.execute(
        f"""INSERT INTO changed_flags
            SELECT p.batch_id, p.posting_id, p.duplicate_of, p.duplicate_of_batch_id,
                   p.duplicate_reason
            FROM clean.postings AS p
            WHERE p.is_analysed IS DISTINCT FROM ({analysed})"""
    )
    con.execute(
        f"""UPDATE clean.postings AS p SET is_analysed = {analysed}
            WHERE p.is_analysed IS DISTINCT FROM ({analysed})"""
    )
    (count,) = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT batch_id, posting_id FROM changed_flags)"
    ).fetchone()
    record_changes(con, "SELECT batch_id, posting_id FROM changed_flags")
    con.execute("DROP TABLE changed_flags")
    return count


def _backfill_bands(con: duckdb.DuckDBPyConnection) -> None:
    """Band rows for signatures that have none: a warehouse from before clean.posting_bands
    (its creation forces a full pass, see BACKFILL_ROWS); the normalise stage writes them
    with each signature."""
    missing = con.execute(
        """SELECT s.batch_id, s.posting_id, s.title_key, s.signature
           FROM clean.posting_signatures AS s
           WHERE NOT EXISTS (SELECT 1 FROM clean.posting_bands AS b
                             WHERE b.batch_id = s.batch_id AND b.posting_id = s.posting_id)"""
    ).pl()
    if missing.height:
        bands = posting_bands(missing).to_arrow()  # noqa: F841 - referenced by name below
        con.execute(
            f"INSERT INTO clean.posting_bands SELECT {', '.join(columns_of('clean.posting_bands'))} FROM bands"
        )


def mart_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """sha256 of each mart's rows in a stable order: equal checksums, equal marts.

    Rows are hashed in DuckDB (md5 per row, then sha256 over the sorted row hashes), so a
    large mart is never pulled into Python.
    """
    marts = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
    ).fetchall()
    checksums = {}
    for (mart,) in marts:
        (digest,) = con.execute(
            f"""SELECT sha256(coalesce(string_agg(h, '' ORDER BY h), ''))
                FROM (SELECT md5(CAST(t AS VARCHAR)) AS h FROM marts.{mart} AS t)"""
        ).fetchone()
        checksums[mart] = digest
    return checksums


def publish(work_path: Path, published_path: Path) -> Path:
    """Copy the working warehouse to the analysts' path atomically.

    The copy is written next to its destination and renamed over it, so a reader opening the
    published file sees either the previous snapshot or the new one, never half of one.
    """
    published_path.parent.mkdir(parents=True, exist_ok=True)
    # a publish killed between copy and rename leaves its temporary copy: remove it (runs are
    # one at a time, so no other publish is writing one now)
    for stale in published_path.parent.glob(f".{published_path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    with duckdb.connect(str(work_path)) as con:
        con.execute("CHECKPOINT")
    tmp = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
    shutil.copyfile(work_path, tmp)
    os.replace(tmp, published_path)
    return published_path

"""The DuckDB warehouse: table contracts (DDL), batch-replacing writes, duplicate flags, publish.

Every write replaces the rows of one batch inside a transaction, so a rerun of the same batch
is idempotent and a failed run leaves the previous rows in place.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb
import polars as pl

from pipeline.text.dedup import duplicate_flags

DDL = {
    "raw.postings": """
        posting_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_uri VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL, title VARCHAR, company VARCHAR, location VARCHAR,
        posted_date DATE, description_raw VARCHAR, description_format VARCHAR NOT NULL,
        raw_hash VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL, extra VARCHAR,
        precomputed_responsibilities VARCHAR[], precomputed_role_type VARCHAR,
        PRIMARY KEY (batch_id, posting_id)""",
    "raw.quarantine": """
        stage VARCHAR NOT NULL, source VARCHAR, source_uri VARCHAR, locator VARCHAR,
        reason VARCHAR NOT NULL, excerpt VARCHAR, batch_id VARCHAR NOT NULL,
        quarantined_at TIMESTAMP NOT NULL""",
    "raw.ingest_accounting": """
        batch_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_uri VARCHAR NOT NULL,
        records_read BIGINT NOT NULL, loaded BIGINT NOT NULL, quarantined BIGINT NOT NULL,
        duplicates BIGINT NOT NULL""",
    "raw.ingest_runs": """
        run_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, sources VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL, records_read BIGINT NOT NULL, loaded BIGINT NOT NULL,
        quarantined BIGINT NOT NULL, duplicates BIGINT NOT NULL""",
    "clean.postings": """
        posting_id VARCHAR NOT NULL, source VARCHAR NOT NULL, source_uri VARCHAR NOT NULL,
        batch_id VARCHAR NOT NULL, title VARCHAR, company VARCHAR, location VARCHAR,
        posted_date DATE, description_raw VARCHAR, description_format VARCHAR NOT NULL,
        raw_hash VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL, extra VARCHAR,
        precomputed_responsibilities VARCHAR[], precomputed_role_type VARCHAR,
        description_text VARCHAR, title_normalized VARCHAR, seniority VARCHAR,
        language VARCHAR NOT NULL, pii_redactions INTEGER NOT NULL, dedup_key VARCHAR,
        duplicate_of VARCHAR, duplicate_of_batch_id VARCHAR, is_analysed BOOLEAN NOT NULL,
        duplicate_reason VARCHAR,
        PRIMARY KEY (batch_id, posting_id)""",
    "clean.responsibilities": """
        posting_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, position INTEGER NOT NULL,
        text VARCHAR NOT NULL, section VARCHAR, method VARCHAR NOT NULL,
        PRIMARY KEY (batch_id, posting_id, position)""",
    "clean.responsibility_labels": """
        posting_id VARCHAR NOT NULL, batch_id VARCHAR NOT NULL, position INTEGER NOT NULL,
        category VARCHAR NOT NULL, subpattern VARCHAR, rank INTEGER NOT NULL,
        score DOUBLE NOT NULL, classifier VARCHAR NOT NULL, evidence VARCHAR,
        PRIMARY KEY (batch_id, posting_id, position, category)""",
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


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only)


def column_types(table: str) -> dict[str, str]:
    """Column name -> type of a contract table, in DDL order."""
    body = DDL[table].split("PRIMARY KEY")[0]
    return {part.split()[0]: part.split()[1] for part in body.split(",") if part.strip()}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the contract tables; add columns a newer contract has to an older warehouse."""
    for schema in {t.split(".")[0] for t in DDL}:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table, body in DDL.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
        schema, name = table.split(".")
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


def replace_batch(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, batch_id: str
) -> int:
    return replace_rows(con, table, frame, "batch_id = ?", [batch_id])


def read_batch(con: duckdb.DuckDBPyConnection, table: str, batch_id: str) -> pl.DataFrame:
    return con.execute(f"SELECT * FROM {table} WHERE batch_id = ?", [batch_id]).pl()


def assign_duplicates(con: duckdb.DuckDBPyConnection, dedup: bool) -> None:
    """Flag every posting that duplicates another, exactly or nearly, across all batches.

    Rules and reasons: `pipeline.text.dedup.duplicate_flags`. The canonical posting is the
    earliest by (batch_id, posting_id); flags are recomputed over the whole table, so loading
    batches out of order gives the same answer. With dedup off, duplicates are flagged but
    still analysed.
    """
    postings = con.execute(
        r"""SELECT batch_id, posting_id, dedup_key,
                   coalesce(description_text, array_to_string(precomputed_responsibilities, chr(10)))
                       AS text,
                   lower(trim(regexp_replace(coalesce(title, ''), '\s+', ' ', 'g'))) AS title_key
            FROM clean.postings"""
    ).pl()
    flags = duplicate_flags(postings)  # noqa: F841 - referenced by name in the SQL below
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"""UPDATE clean.postings AS p SET
                    duplicate_of = f.duplicate_of,
                    duplicate_of_batch_id = f.duplicate_of_batch_id,
                    duplicate_reason = f.duplicate_reason,
                    is_analysed = {"f.duplicate_of IS NULL" if dedup else "TRUE"}
                FROM (SELECT p2.batch_id, p2.posting_id, flags.duplicate_of,
                             flags.duplicate_of_batch_id, flags.duplicate_reason
                      FROM clean.postings AS p2 LEFT JOIN flags
                        ON flags.batch_id = p2.batch_id AND flags.posting_id = p2.posting_id) AS f
                WHERE p.batch_id = f.batch_id AND p.posting_id = f.posting_id"""
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


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

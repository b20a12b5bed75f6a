"""Data-quality asset checks: a Great Expectations suite after every stage.

Checks on the Python stages are blocking: a failure stops every downstream asset in the run,
so a bad batch never reaches the marts, the report or the published snapshot. Stage suites
validate the rows the run wrote (stages are incremental); mart suites validate the whole mart.
"""

from dataclasses import dataclass

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from data_quality import SuiteResult, run_suite, run_suite_by_parts
from data_quality.runner import fetch_plan
from data_quality.suites import build_suite, splits_by_posting
from pipeline.parallel import workers
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.taxonomy import load_taxonomy
from pipeline.warehouse import STAGE_OUTPUT


@dataclass(frozen=True)
class SuiteCheck:
    suite: str
    asset: dg.AssetKey
    table: str
    per_run: bool = True
    blocking: bool = True
    needs_categories: bool = False


def mart_suite(mart: str, needs_categories: bool = False) -> SuiteCheck:
    """The suite named after a dbt mart, on the whole mart (asset marts/<mart>)."""
    return SuiteCheck(
        mart,
        dg.AssetKey(["marts", mart]),
        f"marts.{mart}",
        per_run=False,
        needs_categories=needs_categories,
    )


SUITE_CHECKS = (
    SuiteCheck("raw_postings", dg.AssetKey("raw_postings"), "raw.postings"),
    SuiteCheck("quarantine", dg.AssetKey("raw_quarantine"), "raw.quarantine", blocking=False),
    SuiteCheck("clean_postings", dg.AssetKey("clean_postings"), "clean.postings"),
    SuiteCheck("responsibilities", dg.AssetKey("responsibilities"), "clean.responsibilities"),
    SuiteCheck(
        "responsibility_labels",
        dg.AssetKey("responsibility_labels"),
        "clean.responsibility_labels",
        needs_categories=True,
    ),
    SuiteCheck("posting_role_types", dg.AssetKey("posting_role_types"), "clean.posting_role_types"),
    mart_suite("category_frequency", needs_categories=True),
    mart_suite("category_changes_between_batches", needs_categories=True),
    mart_suite("role_type_split"),
)


def rows_written_by_run(table: str) -> str:
    """SQL (one parameter, the run id) selecting the rows of a stage table this run wrote."""
    if table == "raw.postings":
        return "SELECT * FROM raw.postings WHERE ingest_run_id = ?"
    if table == "raw.quarantine":
        return """SELECT q.* FROM raw.quarantine AS q JOIN raw.ingest_runs AS r
                  ON r.batch_id = q.batch_id AND r.ingested_at = q.quarantined_at
                  WHERE r.run_id = ?"""
    stage = {v: k for k, v in STAGE_OUTPUT.items()}[table]
    return f"""SELECT t.* FROM {table} AS t SEMI JOIN (
                   SELECT batch_id, posting_id FROM meta.stage_state
                   WHERE stage = '{stage}' AND run_id = ?) AS s USING (batch_id, posting_id)"""


#: pandas' default text dtype ("str", Arrow-backed, NaN for a missing value): what DuckDB's
#: `.df()` gives a VARCHAR column.
_PANDAS_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def fetched_frame(con, query: str, args: list) -> pd.DataFrame:
    """`con.execute(query, args).df()`, with the text columns converted through Arrow.

    `.df()` builds a Python string per value before pandas packs them into Arrow again: on a
    million postings' label rows that was 11.5 s of the labels suite's 29 s. The text columns
    are taken from the Arrow result as they are; the other columns still go through `.df()`
    (from the same Arrow result, in memory), so their dtypes and missing values are exactly
    `.df()`'s (nullable integers and booleans, dates as datetime64)."""
    table = con.execute(query, args).to_arrow_table()
    # (a column with no value at all is left to `.df()`, which makes it an object column)
    is_text = [
        (
            pa.types.is_string(f.type)
            or pa.types.is_large_string(f.type)
            or pa.types.is_string_view(f.type)
        )
        and table.column(i).null_count < table.num_rows
        for i, f in enumerate(table.schema)
    ]
    if not any(is_text):
        return _via_duckdb(table)
    text = table.select([i for i, t in enumerate(is_text) if t]).to_pandas(
        types_mapper=lambda _: _PANDAS_TEXT
    )
    others = [i for i, t in enumerate(is_text) if not t]
    if not others:
        return text
    return pd.concat([text, _via_duckdb(table.select(others))], axis=1)[table.column_names]


def _via_duckdb(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as `.df()` converts it (a private in-memory connection reads it)."""
    with duckdb.connect() as memory:
        return memory.from_arrow(table).df()


def suite_columns(con, suite: str, sql: str, args: list, params: dict) -> str:
    """`sql` narrowed to the columns the suite reads; a column it only checks for nulls is
    fetched as one character (see `fetch_plan`)."""
    described = con.execute(f"DESCRIBE SELECT * FROM ({sql})", args).fetchall()
    text = {name for name, kind, *_ in described if kind == "VARCHAR"}
    plan = fetch_plan(suite, [name for name, *_ in described], **params)
    plan = [(c, stand_in and c in text) for c, stand_in in plan]
    picked = [f'left("{c}", 1) AS "{c}"' if stand_in else f'"{c}"' for c, stand_in in plan]
    return f"SELECT {', '.join(picked) or '*'} FROM ({sql})"


#: A suite validates at most about this many rows at once. pandas holds every string as a
#: Python object, so a million postings' 21M label rows took 11.6 GiB in one frame; the rows
#: a run wrote to a large table are validated in parts of whole postings instead, for the
#: suites whose checks split by posting (data_quality.suites.splits_by_posting). Parts are
#: validated one per core at a time; on a million postings' label rows (2 cores), parts of
#: 1M rows took 14.5 s and 3.2 GB at peak, of 2M rows 16.3 s and 4.0 GB, of 500k rows 17.3 s.
CHECK_PART_ROWS = 1_000_000
#: With at least this many rows per core, a suite that splits by posting is validated in at
#: least one part per core, in threads (`run_suite_by_parts`): GX runs a part on one core.
MIN_PART_ROWS = 250_000


def part_count(rows: int, part_rows: int = CHECK_PART_ROWS) -> int:
    """The number of parts to validate `rows` rows in (when the suite splits by posting):
    enough that no part has over `part_rows` rows, and at least one per core when every
    core gets MIN_PART_ROWS rows."""
    return max(-(-rows // part_rows), min(workers(), rows // MIN_PART_ROWS), 1)


def validate_rows(
    con, suite: str, sql: str, args: list, params: dict, rows: int, part_rows: int = CHECK_PART_ROWS
) -> SuiteResult:
    """Run `suite` on the `rows` rows `sql` selects: at once, or, when the suite splits by
    posting and there are enough rows (`part_count`), in parts of whole postings (their
    rows staged once in a temporary table, each part read from it in turn while the parts
    before it are validated in threads) whose results are added up."""
    query = suite_columns(con, suite, sql, args, params)
    parts = part_count(rows, part_rows)
    if parts <= 1 or not splits_by_posting(build_suite(suite, **params)):
        return run_suite(suite, fetched_frame(con, query, args), **params)
    # stored in part order, so that each part's read skips the other parts' row groups
    # (1M postings' responsibilities, 6 parts: 2.4 s + 23.3 s of reads unordered, 5.0 s +
    # 10.0 s ordered)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE dq_rows_by_part AS
            SELECT *, hash(batch_id, posting_id) % {parts} AS dq_part FROM ({query})
            ORDER BY dq_part""",
        args,
    )
    try:
        frames = (
            fetched_frame(
                con, "SELECT * EXCLUDE (dq_part) FROM dq_rows_by_part WHERE dq_part = ?", [part]
            )
            for part in range(parts)
        )
        return run_suite_by_parts(suite, frames, workers=workers(), **params)
    finally:
        con.execute("DROP TABLE IF EXISTS dq_rows_by_part")


def suite_check(spec: SuiteCheck) -> dg.AssetChecksDefinition:
    scope = "the rows this run wrote" if spec.per_run else "the whole mart"

    @dg.asset_check(
        name=f"{spec.suite}_suite",
        asset=spec.asset,
        blocking=spec.blocking,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suite `{spec.suite}` on {scope} of {spec.table}.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, roleprint: RoleprintConfig, warehouse: Warehouse
    ) -> dg.AssetCheckResult:
        params = {}
        if spec.needs_categories:
            params["categories"] = list(load_taxonomy(roleprint.taxonomy_path).category_ids)
        with warehouse.connect() as con:
            sql, args = (
                (rows_written_by_run(spec.table), [context.run.run_id])
                if spec.per_run
                else (f"SELECT * FROM {spec.table}", [])
            )
            (rows,) = con.execute(f"SELECT count(*) FROM ({sql})", args).fetchone()
            if spec.per_run and not rows:
                return dg.AssetCheckResult(
                    passed=True,
                    severity=dg.AssetCheckSeverity.ERROR
                    if spec.blocking
                    else dg.AssetCheckSeverity.WARN,
                    description=f"nothing new: this run wrote no rows to {spec.table}",
                    metadata={"rows_validated": 0},
                )
            outcome = validate_rows(con, spec.suite, sql, args, params, rows)
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=dg.AssetCheckSeverity.ERROR if spec.blocking else dg.AssetCheckSeverity.WARN,
            description=outcome.summary(),
            metadata=outcome.to_metadata(),
        )

    return _check


ACCOUNTING_BY_SOURCE = """
    WITH acc AS (
        SELECT batch_id, source, sum(records_read) AS records_read, sum(loaded) AS loaded,
               sum(quarantined) AS quarantined, sum(duplicates) AS duplicates,
               sum(coalesce(unchanged, 0)) AS unchanged,
               count(*) FILTER (WHERE records_read
                   <> loaded + quarantined + duplicates + coalesce(unchanged, 0))
                   AS unbalanced_files
        FROM raw.ingest_accounting GROUP BY ALL),
    -- a loaded posting is in raw.postings, or in raw.superseded_postings once a later
    -- version replaced it
    loaded_rows AS (
        SELECT batch_id, source, count(*) AS n
        FROM (SELECT batch_id, source FROM raw.postings
              UNION ALL SELECT batch_id, source FROM raw.superseded_postings)
        GROUP BY ALL),
    quarantined_rows AS (
        SELECT batch_id, coalesce(source, '(unknown)') AS source, count(*) AS n
        FROM raw.quarantine WHERE stage = 'ingest' GROUP BY ALL)
    SELECT batch_id, source,
           coalesce(records_read, 0), coalesce(loaded, 0), coalesce(quarantined, 0),
           coalesce(duplicates, 0), coalesce(unchanged, 0), coalesce(unbalanced_files, 0),
           coalesce(loaded_rows.n, 0), coalesce(quarantined_rows.n, 0)
    FROM acc FULL JOIN loaded_rows USING (batch_id, source)
         FULL JOIN quarantined_rows USING (batch_id, source)
    ORDER BY batch_id, source
"""


def accounting_problems(rows: list[tuple]) -> list[str]:
    """What does not add up, per batch and source: files, postings rows, quarantine rows."""
    problems = []
    for row in rows:
        batch, source, read, loaded, quarantined, dups, unchanged, unbalanced = row[:8]
        in_postings, in_quarantine = row[8:]
        where = f"batch {batch}, source {source}"
        if unbalanced:
            problems.append(
                f"{where}: {unbalanced} file(s) where read <> loaded + quarantined + "
                "duplicates + unchanged"
            )
        if read != loaded + quarantined + dups + unchanged:
            problems.append(
                f"{where}: read {read} <> {loaded} loaded + {quarantined} quarantined + "
                f"{dups} duplicates + {unchanged} unchanged"
            )
        if in_postings != loaded:
            problems.append(
                f"{where}: {loaded} loaded but {in_postings} rows in raw.postings "
                "(with superseded versions)"
            )
        if in_quarantine != quarantined:
            problems.append(
                f"{where}: {quarantined} quarantined but {in_quarantine} rows in raw.quarantine"
            )
    return problems


@dg.asset_check(
    pool=WAREHOUSE_POOL,
    asset="raw_ingest_accounting",
    blocking=True,
    description=(
        "Every record ever read is accounted for, per file and per batch and source: "
        "read = loaded + quarantined + duplicates + unchanged (already loaded by an earlier "
        "run), and the loaded and quarantined records are the rows of raw.postings (or "
        "raw.superseded_postings) and raw.quarantine."
    ),
)
def records_accounted_for(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        rows = con.execute(ACCOUNTING_BY_SOURCE).fetchall()
    problems = accounting_problems(rows)
    read, loaded, quarantined, dups, unchanged = (sum(r[i] for r in rows) for i in range(2, 7))
    totals = (
        f"{read} read = {loaded} loaded + {quarantined} quarantined + {dups} duplicates "
        f"+ {unchanged} unchanged"
    )
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "by_batch_and_source": dg.MetadataValue.md(
                "| batch | source | read | loaded | quarantined | duplicates | unchanged |\n"
                "|---|---|---|---|---|---|---|\n"
                + "\n".join(f"| {' | '.join(str(v) for v in r[:7])} |" for r in rows)
            ),
            "records_read": int(read),
            "loaded": int(loaded),
            "quarantined": int(quarantined),
            "duplicates": int(dups),
            "unchanged": int(unchanged),
        },
        description=f"balanced: {totals}" if not problems else "; ".join(problems[:10]),
    )


ALL_CHECKS = [records_accounted_for, *(suite_check(spec) for spec in SUITE_CHECKS)]

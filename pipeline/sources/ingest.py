"""Ingest: source files -> the rows of raw.postings, raw.quarantine and raw.ingest_accounting.

Pure of Dagster and DuckDB: it reads files and returns Polars frames, so it is tested alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from pipeline.settings import SourceSpec
from pipeline.sources.files import RawRecord, discover_files, read_records
from pipeline.sources.mapping import RecordError, map_record

POSTINGS_SCHEMA = {
    "posting_id": pl.String,
    "source": pl.String,
    "source_uri": pl.String,
    "batch_id": pl.String,
    "title": pl.String,
    "company": pl.String,
    "location": pl.String,
    "posted_date": pl.Date,
    "description_raw": pl.String,
    "description_format": pl.String,
    "raw_hash": pl.String,
    "ingested_at": pl.Datetime("us"),
    "extra": pl.String,
    "precomputed_responsibilities": pl.List(pl.String),
    "precomputed_role_type": pl.String,
}
QUARANTINE_SCHEMA = {
    "stage": pl.String,
    "source": pl.String,
    "source_uri": pl.String,
    "locator": pl.String,
    "reason": pl.String,
    "excerpt": pl.String,
    "batch_id": pl.String,
    "quarantined_at": pl.Datetime("us"),
}
ACCOUNTING_SCHEMA = {
    "batch_id": pl.String,
    "source": pl.String,
    "source_uri": pl.String,
    "records_read": pl.Int64,
    "loaded": pl.Int64,
    "quarantined": pl.Int64,
    "duplicates": pl.Int64,
}


@dataclass
class IngestResult:
    postings: pl.DataFrame
    quarantine: pl.DataFrame
    accounting: pl.DataFrame

    def totals(self) -> dict[str, int]:
        sums = self.accounting.select(
            pl.col("records_read", "loaded", "quarantined", "duplicates").sum()
        )
        return {k: int(v or 0) for k, v in sums.row(0, named=True).items()}


ProgressFn = Callable[[str], None]


def place_id(
    seen: Mapping[str, tuple[str, str, str]], source: str, posting_id: str, raw_hash: str
) -> tuple[str, str]:
    """Decide what a record's id means given the ids already loaded in this batch.

    Returns (verdict, id): `new` (load it under id), `duplicate` (the same record again in
    the same source: counted, not loaded) or `conflict` (the same id with other content in the
    same source: quarantined, since neither can be trusted to be "the" posting). The same id
    in another source is another posting: it is loaded as `<source>:<id>`.
    """
    for candidate in (posting_id, f"{source}:{posting_id}"):
        if candidate not in seen:
            return "new", candidate
        first_source, first_hash, _ = seen[candidate]
        if first_source == source:
            return ("duplicate" if first_hash == raw_hash else "conflict"), candidate
    # `<source>:<id>` itself is taken by another source: qualify with the record's hash
    return "new", f"{source}:{posting_id}:{raw_hash[:12]}"


def ingest_sources(
    sources: Iterable[SourceSpec],
    batch_id: str,
    ingested_at: datetime,
    progress: ProgressFn | None = None,
    progress_every: int = 500,
    field_maps: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
) -> IngestResult:
    """Read every source; `field_maps` gives a source (by name) its own field mapping."""
    postings: list[dict] = []
    quarantine: list[dict] = []
    accounting: list[dict] = []
    # posting_id -> (source, raw_hash, where first seen): the id rules of `_place`
    seen: dict[str, tuple[str, str, str]] = {}
    files_done = 0

    def quarantine_row(source: str, rec: RawRecord, reason: str) -> dict:
        return {
            "stage": "ingest",
            "source": source,
            "source_uri": rec.source_uri,
            "locator": rec.locator,
            "reason": reason,
            "excerpt": rec.excerpt,
            "batch_id": batch_id,
            "quarantined_at": ingested_at,
        }

    for spec in sources:
        for path in discover_files(Path(spec.path)):
            counts = {"records_read": 0, "loaded": 0, "quarantined": 0, "duplicates": 0}
            for rec in read_records(path):
                counts["records_read"] += 1
                if not rec.ok:
                    quarantine.append(quarantine_row(spec.name, rec, rec.error or "unknown error"))
                    counts["quarantined"] += 1
                    continue
                try:
                    row = map_record(rec.data or {}, (field_maps or {}).get(spec.name))
                except RecordError as exc:
                    excerpt = str(rec.data)[:200]
                    quarantine.append(
                        quarantine_row(
                            spec.name,
                            RawRecord(rec.source_uri, rec.locator, excerpt=excerpt),
                            str(exc),
                        )
                    )
                    counts["quarantined"] += 1
                    continue
                where = f"{rec.source_uri} ({rec.locator})"
                verdict, posting_id = place_id(seen, spec.name, row["posting_id"], row["raw_hash"])
                if verdict == "duplicate":
                    counts["duplicates"] += 1
                    continue
                if verdict == "conflict":
                    first = seen[posting_id][2]
                    quarantine.append(
                        quarantine_row(
                            spec.name,
                            RawRecord(rec.source_uri, rec.locator, excerpt=str(rec.data)[:200]),
                            f"duplicate id {posting_id!r} in source {spec.name!r} with different "
                            f"content (first seen in {first}): fix the source or give the "
                            "postings distinct ids",
                        )
                    )
                    counts["quarantined"] += 1
                    continue
                row["posting_id"] = posting_id
                seen[posting_id] = (spec.name, row["raw_hash"], where)
                row.update(
                    source=spec.name,
                    source_uri=f"{rec.source_uri}#{rec.locator}"
                    if rec.locator != "file"
                    else rec.source_uri,
                    batch_id=batch_id,
                    ingested_at=ingested_at,
                )
                postings.append(row)
                counts["loaded"] += 1
            accounting.append(
                {"batch_id": batch_id, "source": spec.name, "source_uri": str(path), **counts}
            )
            files_done += 1
            if progress and files_done % progress_every == 0:
                progress(
                    f"ingest: {files_done} files read, {len(postings)} postings, {len(quarantine)} quarantined"
                )

    return IngestResult(
        postings=pl.DataFrame(postings, schema=POSTINGS_SCHEMA),
        quarantine=pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA),
        accounting=pl.DataFrame(accounting, schema=ACCOUNTING_SCHEMA),
    )

"""Ingest: source files -> the rows of raw.postings, raw.quarantine and raw.ingest_accounting.

Pure of Dagster and DuckDB: it reads files and returns Polars frames, so it is tested alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import polars as pl

from pipeline import parallel
from pipeline.settings import SourceSpec
from pipeline.sources.files import RawRecord, discover_files
from pipeline.sources.mapping import with_mapping
from pipeline.sources.reading import FileJob, Rejected, read_in_order
from pipeline.sources.rules import SourceRules

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
    "source_file": pl.String,
    "ingest_run_id": pl.String,
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
    "unchanged": pl.Int64,
    "replaced": pl.Int64,
}
MANIFEST_SCHEMA = {
    "source": pl.String,
    "source_file": pl.String,
    "content_hash": pl.String,
    "size_bytes": pl.Int64,
    "modified_ns": pl.Int64,
    "file_digest": pl.String,
}
#: A file modified this close to (or after) the time it was hashed may have changed again
#: within the same timestamp tick: it is hashed again rather than trusted ("racy" files).
RACY_NS = 2_000_000_000
SUPERSEDED_SCHEMA = {"batch_id": pl.String, "posting_id": pl.String}
# a file that failed this way was not read at all: it stays out of the manifest
UNREAD_FILE_ERRORS = ("file vanished", "unreadable file")
COUNTS = ("records_read", "loaded", "quarantined", "duplicates", "unchanged", "replaced")


@dataclass(frozen=True)
class SourceFile:
    """One file of a source, with the hash of its bytes when they could be read.

    `content_hash` also covers the source's mapping and rules (`with_mapping`); `file_digest`
    is the bytes' own sha256, and `modified_ns` / `read_at_ns` let the next run trust it
    without reading the file again while its size and modification time are unchanged."""

    source: str
    path: Path
    content_hash: str | None
    size_bytes: int = 0
    modified_ns: int = 0
    file_digest: str | None = None
    read_at_ns: int = 0


@dataclass(frozen=True)
class KnownPosting:
    """A posting an earlier run loaded: a record with its id is unchanged or replaces it."""

    source: str
    raw_hash: str
    batch_id: str


class KnownPostings(Mapping[str, KnownPosting]):
    """The postings earlier runs loaded, by id, held as columns: a nightly run onto a million
    postings looks up the ids it reads, instead of first building a million objects (6 s of
    a 10k-posting increment's ingest). Only the ids become Python strings (the index); the
    other columns stay as they came and are read for the ids a run meets again."""

    def __init__(
        self,
        posting_ids: Sequence[str],
        sources: Sequence[str],
        raw_hashes: Sequence[str],
        batch_ids: Sequence[str],
    ) -> None:
        self._row = dict(zip(posting_ids, range(len(posting_ids)), strict=True))
        self._columns = (sources, raw_hashes, batch_ids)

    @classmethod
    def of_frame(cls, frame: pl.DataFrame) -> KnownPostings:
        """From a frame with the columns posting_id, source, raw_hash and batch_id."""
        return cls(
            frame["posting_id"].to_list(), *(frame[c] for c in ("source", "raw_hash", "batch_id"))
        )

    def __getitem__(self, posting_id: str) -> KnownPosting:
        row = self._row[posting_id]
        source, raw_hash, batch_id = (column[row] for column in self._columns)
        return KnownPosting(source, raw_hash, batch_id)

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


class SeenIds(Mapping[str, tuple[str, str, str]]):
    """posting_id -> (source, raw_hash, where first seen), for `place_id`: the ids this run
    has placed, over the known postings (looked up there, not copied)."""

    def __init__(self, known: Mapping[str, KnownPosting]) -> None:
        self._known = known
        self._run: dict[str, tuple[str, str, str]] = {}

    def __setitem__(self, posting_id: str, first: tuple[str, str, str]) -> None:
        self._run[posting_id] = first

    def __getitem__(self, posting_id: str) -> tuple[str, str, str]:
        if posting_id in self._run:
            return self._run[posting_id]
        known = self._known[posting_id]
        return known.source, known.raw_hash, f"batch {known.batch_id}"

    def __contains__(self, posting_id: object) -> bool:
        return posting_id in self._run or posting_id in self._known

    def __iter__(self) -> Iterator[str]:
        yield from self._run
        yield from (pid for pid in self._known if pid not in self._run)

    def __len__(self) -> int:
        return len(self._run) + sum(1 for pid in self._known if pid not in self._run)


def hash_file(path: Path) -> tuple[str | None, int]:
    """sha256 of the file's bytes and its size; (None, 0) when it cannot be read (the reader
    then reports why, and the record is quarantined)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return None, 0
    return digest.hexdigest(), size


def hashed_files(paths: Sequence[Path]) -> list[tuple[str | None, int]]:
    """`hash_file` of each path, in order, computed in threads (one per core): sha256 and the
    file reads release the GIL, and a first run over a million postings hashed 5 GB before
    reading a record (7 s on one core)."""
    return parallel.map_in_threads(hash_file, paths)


def mapping_fingerprint(field_map: Mapping[str, tuple[str, ...]] | None) -> str:
    """A short hash of a source's own field mapping; '' for the default mapping."""
    if not field_map:
        return ""
    canonical = json.dumps({k: list(v) for k, v in sorted(field_map.items())})
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def reader_fingerprint(
    source: str,
    field_maps: Mapping[str, Mapping[str, tuple[str, ...]]] | None,
    rules: Mapping[str, SourceRules] | None,
) -> str:
    """What a source's records are read with besides the code: its mapping and value rules."""
    own = (rules or {}).get(source)
    parts = [mapping_fingerprint((field_maps or {}).get(source)), own.fingerprint if own else ""]
    return "|".join(parts) if any(parts) else ""


class _FoundFile(NamedTuple):
    """A source file as `plan_files` found it, with the digest it keeps unread (None: hash it)."""

    source: str
    fingerprint: str
    path: Path
    known: SourceFile | None
    size: int
    modified: int
    kept_digest: str | None


def plan_files(
    sources: Iterable[SourceSpec],
    manifest: Mapping[tuple[str, str], SourceFile],
    field_maps: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
    rules: Mapping[str, SourceRules] | None = None,
) -> tuple[list[SourceFile], list[SourceFile]]:
    """Split the sources' files into (to read, unchanged).

    `manifest` maps (source, file) to what was read last time: a file with the same hash (and
    the same field mapping) is not read again; a new or changed file is, and so is one that
    cannot be hashed. A file whose size and modification time are those recorded (and not
    racy, see RACY_NS) keeps its recorded digest without being read: a nightly run over a
    million postings does not re-hash gigabytes that did not change.
    """
    found: list[_FoundFile] = []
    for spec in sources:
        fingerprint = reader_fingerprint(spec.name, field_maps, rules)
        for path in discover_files(Path(spec.path)):
            known = manifest.get((spec.name, str(path)))
            try:
                stat = path.stat()
                size, modified = stat.st_size, stat.st_mtime_ns
            except OSError:
                size, modified = 0, 0
            kept = (
                known.file_digest
                if known is not None
                and known.file_digest
                and (known.size_bytes, known.modified_ns) == (size, modified)
                and modified < known.read_at_ns - RACY_NS
                else None
            )
            found.append(_FoundFile(spec.name, fingerprint, path, known, size, modified, kept))
    # the files without a digest to keep are hashed together, in threads
    hashed = iter(hashed_files([f.path for f in found if f.kept_digest is None]))
    to_read: list[SourceFile] = []
    unchanged: list[SourceFile] = []
    for f in found:
        digest, size = (f.kept_digest, f.size) if f.kept_digest is not None else next(hashed)
        entry = SourceFile(
            f.source,
            f.path,
            with_mapping(digest, f.fingerprint) if digest is not None else None,
            size,
            f.modified,
            digest,
        )
        known = f.known
        same = digest is not None and known is not None and known.content_hash == entry.content_hash
        (unchanged if same else to_read).append(entry)
    return to_read, unchanged


@dataclass
class IngestResult:
    postings: pl.DataFrame
    quarantine: pl.DataFrame
    accounting: pl.DataFrame
    # (batch_id, posting_id) of earlier versions the loaded postings replace
    superseded: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SUPERSEDED_SCHEMA))
    # the files read, with their content hashes (the next run skips them while unchanged)
    manifest: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MANIFEST_SCHEMA))

    def totals(self) -> dict[str, int]:
        sums = self.accounting.select(pl.col(*COUNTS).sum())
        return {k: int(v or 0) for k, v in sums.row(0, named=True).items()}


def postings_frame(rows: Sequence[Mapping]) -> pl.DataFrame:
    """Rows of raw.postings as a frame, built a column at a time: much faster than from the
    row dicts, and the same frame (a missing key is null, as it would be there)."""
    return pl.DataFrame(
        {name: [row.get(name) for row in rows] for name in POSTINGS_SCHEMA},
        schema=POSTINGS_SCHEMA,
    )


def superseded_frame(rows: Sequence[Mapping]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=SUPERSEDED_SCHEMA)


ProgressFn = Callable[[str], None]
#: Takes a chunk of loaded rows (raw.postings) and the earlier versions they replace
#: (SUPERSEDED_SCHEMA: batch_id, posting_id of postings in `known`).
SinkFn = Callable[[pl.DataFrame, pl.DataFrame], None]
#: Rows of raw.postings held in memory before they go to the sink (when there is one).
SINK_ROWS = 20_000


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
    files: Sequence[SourceFile] | None = None,
    known: Mapping[str, KnownPosting] | None = None,
    run_id: str = "",
    rules: Mapping[str, SourceRules] | None = None,
    sink: SinkFn | None = None,
    workers: int | None = None,
) -> IngestResult:
    """Read the sources' files (or just `files`) into rows.

    `field_maps` gives a source (by name) its own field mapping. `known` holds the postings
    earlier runs loaded, by id: a record identical to one is counted `unchanged` and not loaded
    again; one with other content is loaded and replaces it (`replaced`, listed in
    `superseded`). Every record read ends up loaded, quarantined, a duplicate or unchanged.

    With a `sink`, loaded rows are handed to it every SINK_ROWS rows (and at the end) as
    raw.postings frames instead of being returned, so memory stays bounded however much is
    read; `postings` is then empty. Each chunk comes with the known postings its rows
    replace (those not handed over with an earlier chunk); `superseded` still lists them all.
    """
    sources = list(sources)
    if files is None:
        files, _ = plan_files(sources, {}, field_maps, rules)
    postings: list[dict] = []
    quarantine: list[dict] = []
    accounting: list[dict] = []
    superseded: list[dict] = []
    known = known or {}
    # posting_id -> (source, raw_hash, where first seen): the id rules of `place_id`
    seen = SeenIds(known)
    met: set[str] = set()  # known postings met again in this run
    retry: set[Path] = set()
    files_done = 0
    loaded_total = 0  # rows already handed to the sink
    replaced_sunk = 0  # superseded entries already handed to the sink

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

    fingerprints = {s.name: reader_fingerprint(s.name, field_maps, rules) for s in sources}
    jobs = [
        FileJob(
            f.path,
            (field_maps or {}).get(f.source),
            (rules or {}).get(f.source),
            fingerprints.get(f.source, ""),
        )
        for f in files
    ]
    for index, records in read_in_order(jobs, [f.size_bytes for f in files], workers):
        file = files[index]
        source, path = file.source, file.path
        counts = dict.fromkeys(COUNTS, 0)
        for rec in records:
            counts["records_read"] += 1
            if isinstance(rec, RawRecord):  # not read: unreadable, malformed, not an object
                quarantine.append(quarantine_row(source, rec, rec.error or "unknown error"))
                counts["quarantined"] += 1
                if (rec.error or "").startswith(UNREAD_FILE_ERRORS):
                    retry.add(path)  # not in the manifest: read again once it is back
                continue
            if isinstance(rec, Rejected):  # read, but not a posting (RecordError)
                failed = RawRecord(rec.source_uri, rec.locator, excerpt=rec.excerpt)
                quarantine.append(quarantine_row(source, failed, rec.reason))
                counts["quarantined"] += 1
                continue
            row = rec.row
            where = f"{rec.source_uri} ({rec.locator})"
            verdict, posting_id = place_id(seen, source, row["posting_id"], row["raw_hash"])
            if row.pop("id_from_content") and verdict == "conflict":
                # same title, company and description, other unmapped fields (a row number,
                # a scrape time): the same posting again, not two postings fighting for an id
                verdict = "duplicate"
            # the known posting this record is a new sighting of (the first sighting only)
            previous = None if posting_id in met else known.get(posting_id)
            if previous is not None:
                met.add(posting_id)
            if previous is not None and verdict == "duplicate":
                counts["unchanged"] += 1
                seen[posting_id] = (source, row["raw_hash"], where)
                continue
            if previous is not None and verdict == "conflict":  # a new version of it
                superseded.append({"batch_id": previous.batch_id, "posting_id": posting_id})
                counts["replaced"] += 1
                verdict = "new"
            if verdict == "duplicate":
                counts["duplicates"] += 1
                continue
            if verdict == "conflict":
                first = seen[posting_id][2]
                quarantine.append(
                    quarantine_row(
                        source,
                        RawRecord(rec.source_uri, rec.locator, excerpt=rec.excerpt),
                        f"duplicate id {posting_id!r} in source {source!r} with different "
                        f"content (first seen in {first}): fix the source or give the "
                        "postings distinct ids",
                    )
                )
                counts["quarantined"] += 1
                continue
            row["posting_id"] = posting_id
            seen[posting_id] = (source, row["raw_hash"], where)
            row.update(
                source=source,
                source_uri=f"{rec.source_uri}#{rec.locator}"
                if rec.locator != "file"
                else rec.source_uri,
                source_file=str(path),
                ingest_run_id=run_id,
                batch_id=batch_id,
                ingested_at=ingested_at,
            )
            postings.append(row)
            counts["loaded"] += 1
            if sink is not None and len(postings) >= SINK_ROWS:
                sink(postings_frame(postings), superseded_frame(superseded[replaced_sunk:]))
                loaded_total += len(postings)
                replaced_sunk = len(superseded)
                postings.clear()
        accounting.append(
            {"batch_id": batch_id, "source": source, "source_uri": str(path), **counts}
        )
        files_done += 1
        if progress and files_done % progress_every == 0:
            progress(
                f"ingest: {files_done} of {len(files)} files read, "
                f"{loaded_total + len(postings)} postings, "
                f"{len(quarantine)} quarantined"
            )

    manifest = [
        {
            "source": f.source,
            "source_file": str(f.path),
            "content_hash": f.content_hash,
            "size_bytes": f.size_bytes,
            "modified_ns": f.modified_ns,
            "file_digest": f.file_digest,
        }
        for f in files
        if f.content_hash is not None and f.path not in retry
    ]
    if sink is not None:
        sink(postings_frame(postings), superseded_frame(superseded[replaced_sunk:]))
        postings = []
    return IngestResult(
        postings=postings_frame(postings),
        quarantine=pl.DataFrame(quarantine, schema=QUARANTINE_SCHEMA),
        accounting=pl.DataFrame(accounting, schema=ACCOUNTING_SCHEMA),
        superseded=superseded_frame(superseded),
        manifest=pl.DataFrame(manifest, schema=MANIFEST_SCHEMA),
    )

"""One file's records, read and mapped, in worker processes when there are many files.

Reading and mapping a record (parsing, field lookups, canonical JSON, hashing) is pure Python
that holds the GIL, and it is most of an ingest's time: threads would not help, processes do.
What needs every file seen so far (the id rules of `place_id`, the counts) stays in the ingest
itself, which takes the files' results in the files' order, so a parallel ingest gives exactly
the rows, reasons and counts of a serial one.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.sources.files import RawRecord, read_records
from pipeline.sources.mapping import RecordError, map_record, with_mapping
from pipeline.sources.rules import SourceRules

#: A parallel read pays for starting processes (about a second): below this many bytes to
#: read, or with a single batch of files (see `batches`), the files are read in this process.
PARALLEL_MIN_BYTES = 64 << 20
#: A file this large is read in this process, record by record, so that no file's records
#: are ever held in memory whole (a worker returns a file's records at once).
PARALLEL_MAX_FILE_BYTES = 256 << 20
#: Files go to a worker in runs of consecutive files of about this many bytes (or this many
#: files): one small file per task would cost more in round trips than reading it does.
BATCH_BYTES = 4 << 20
BATCH_FILES = 200
EXCERPT_CHARS = 200

_NO_RULES = SourceRules()


class Mapped(NamedTuple):
    """A record that mapped onto raw.postings: its row (raw_hash already includes the source's
    mapping fingerprint) and what a quarantine row needs if its id turns out to conflict."""

    source_uri: str
    locator: str
    row: dict[str, Any]
    excerpt: str


class Rejected(NamedTuple):
    """A record that was read but cannot be a posting (`RecordError`): the reason says why."""

    source_uri: str
    locator: str
    reason: str
    excerpt: str


class FileJob(NamedTuple):
    """What a worker needs to read one file as its source would."""

    path: Path
    field_map: Mapping[str, tuple[str, ...]] | None
    rules: SourceRules | None
    fingerprint: str


def dict_excerpt(data: dict[str, Any] | None) -> str:
    """`str(data)[:200]` (a quarantine excerpt) without repr'ing a long description whole: a
    worker computes it for every record, in case the record's id conflicts later.

    The repr of a string over 200 characters is longer than the excerpt, so the dict's repr
    is built up to the first one, whose repr's start `_repr_head` gives."""
    if type(data) is not dict:
        return str(data)[:EXCERPT_CHARS]
    parts = []
    for key, value in data.items():
        if type(value) is str and len(value) > EXCERPT_CHARS:
            parts.append(f"{key!r}: {_repr_head(value)}")
            return ("{" + ", ".join(parts))[:EXCERPT_CHARS]
        parts.append(f"{key!r}: {value!r}")
    return str(data)[:EXCERPT_CHARS]


def _repr_head(text: str) -> str:
    """The first 201+ characters of `repr(text)`, from its first 200 characters. A character's
    escape depends only on it and the quote, and repr quotes with " when the text has a ' and
    no ", else with ': the head is repr'd with the whole text's quote."""
    head = text[:EXCERPT_CHARS]
    if "'" in text and '"' not in text:  # quoted with ", so the head has no " either
        return '"' + repr(head)[1:-1]  # its own repr may pick ', but escapes no quote then
    return repr(head + '"')[:-2]  # a " in it makes repr quote with ' (and leave the " alone)


def read_files(jobs: Sequence[FileJob]) -> list[list[RawRecord | Rejected | Mapped]]:
    """Every record of each file (what a worker returns for a batch): see `iter_file`."""
    return [list(iter_file(job)) for job in jobs]


def iter_file(job: FileJob) -> Iterator[RawRecord | Rejected | Mapped]:
    """Every record of one file, in the file's order: a `Mapped` row, a `Rejected` record or
    a `RawRecord` that could not be read (unreadable, malformed), with its reason."""
    rules = job.rules or _NO_RULES
    for rec in read_records(job.path):
        if not rec.ok:
            yield rec
            continue
        data = rec.data or {}
        try:
            rules.check(data)
            row = rules.apply(map_record(data, job.field_map))
        except RecordError as exc:
            yield Rejected(rec.source_uri, rec.locator, str(exc), str(rec.data)[:EXCERPT_CHARS])
            continue
        row["raw_hash"] = with_mapping(row["raw_hash"], job.fingerprint)
        yield Mapped(rec.source_uri, rec.locator, row, dict_excerpt(rec.data))


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def batches(sizes: Sequence[int]) -> list[tuple[int, int, bool]]:
    """(start, stop, in a worker) runs of consecutive files, in order: up to BATCH_BYTES or
    BATCH_FILES each; a file over PARALLEL_MAX_FILE_BYTES alone, read here."""
    runs: list[tuple[int, int, bool]] = []
    start, size = 0, 0
    for index, file_size in enumerate(sizes):
        if file_size > PARALLEL_MAX_FILE_BYTES:
            if start < index:
                runs.append((start, index, True))
            runs.append((index, index + 1, False))
            start, size = index + 1, 0
            continue
        size += file_size
        if size >= BATCH_BYTES or index + 1 - start >= BATCH_FILES:
            runs.append((start, index + 1, True))
            start, size = index + 1, 0
    if start < len(sizes):
        runs.append((start, len(sizes), True))
    return runs


def read_in_order(
    jobs: Sequence[FileJob], sizes: Sequence[int], workers: int | None = None
) -> Iterator[tuple[int, Iterator[RawRecord | Rejected | Mapped]]]:
    """(index, records) for every job, in the jobs' order, read in `workers` processes.

    `workers` None means the cores this process may use, and reading here when there is
    little to read (PARALLEL_MIN_BYTES); 1 means here. At most two batches per worker are in
    flight, so memory stays bounded by a few batches' records however many files there are.
    """
    if workers is None:
        workers = default_workers() if sum(sizes) >= PARALLEL_MIN_BYTES else 1
    runs = batches(sizes)
    if workers <= 1 or sum(1 for *_, remote in runs if remote) < 2:  # nothing to share out
        for index, job in enumerate(jobs):
            yield index, iter_file(job)
        return
    # spawn, not fork: the ingest runs in a process with threads (Dagster, DuckDB, Polars) and
    # an open DuckDB connection, which a forked child must not inherit
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[tuple[int, int, Future | None]] = deque()
        queued = iter(runs)

        def submit_more() -> None:
            while len(pending) < 2 * workers and (run := next(queued, None)) is not None:
                start, stop, remote = run
                future = pool.submit(read_files, jobs[start:stop]) if remote else None
                pending.append((start, stop, future))

        submit_more()
        while pending:
            start, stop, future = pending.popleft()
            if future is None:  # too big for a worker: streamed here
                results: list = [iter_file(jobs[start])]
            else:
                results = [iter(records) for records in future.result()]
            submit_more()
            for offset, records in enumerate(results):
                yield start + offset, records

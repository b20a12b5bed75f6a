"""Read posting files of every supported shape into plain records, or into reasons they failed.

Each reader yields `RawRecord`s: either a parsed mapping or a failure with its reason. Nothing is
dropped here: a bad line, row or file becomes a failure record that the ingest quarantines, so
`records read = loaded + quarantined + duplicates` holds by construction.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.sources.html import PageError, records_from_page

try:  # the C loader is ~10x faster; fall back quietly where libyaml is missing
    from yaml import CSafeLoader as _YamlLoader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _YamlLoader

SUPPORTED_SUFFIXES = {
    ".yaml",
    ".yml",
    ".json",
    ".jsonl",
    ".ndjson",
    ".csv",
    ".parquet",
    ".html",
    ".htm",
}
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class RawRecord:
    source_uri: str
    locator: str
    data: dict[str, Any] | None = None
    error: str | None = None
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def discover_files(path: Path) -> list[Path]:
    """The posting files under `path` (itself if a file), sorted for a stable order.

    Hidden files and documentation (`*.md`, `*.txt`) are not postings; any other unsupported
    file in a directory is returned too, so that it is quarantined rather than ignored.
    """
    if not path.exists():
        raise FileNotFoundError(
            f"source path {path} does not exist: check --source / ROLEPRINT_SOURCES"
        )
    if path.is_file():
        return [path]
    files = []
    for candidate in sorted(path.rglob("*")):
        if not candidate.is_file() or any(
            p.startswith(".") for p in candidate.relative_to(path).parts
        ):
            continue
        if candidate.suffix.lower() in {".md", ".txt"}:
            continue
        files.append(candidate)
    return files


def _excerpt(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text[:EXCERPT_CHARS]


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def _from_value(uri: str, locator: str, value: Any, raw_text: str) -> RawRecord:
    if isinstance(value, dict):
        return RawRecord(uri, locator, data=value)
    kind = type(value).__name__ if value is not None else "empty document"
    return RawRecord(
        uri, locator, error=f"not a posting object (got {kind})", excerpt=_excerpt(raw_text)
    )


def _records_from_document(uri: str, value: Any, raw_text: str) -> Iterator[RawRecord]:
    """A parsed JSON/YAML document: one posting, a list of postings, or `{"jobs": [...]}`."""
    if isinstance(value, dict):
        for key in ("jobs", "postings", "data", "items", "results"):
            if isinstance(value.get(key), list) and "description" not in value:
                value = value[key]
                break
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):  # the usual case: no excerpt needed (nor dumped)
                yield RawRecord(uri, f"item {index}", data=item)
                continue
            yield _from_value(
                uri, f"item {index}", item, json.dumps(item, default=str)[:EXCERPT_CHARS]
            )
    else:
        yield _from_value(uri, "file", value, raw_text)


def _read_text(path: Path) -> tuple[str | None, RawRecord | None]:
    uri = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, RawRecord(uri, "file", error=f"unreadable file: {_one_line(exc)}")
    if b"\x00" in data[:8192]:
        # NUL bytes never occur in text postings: an image, archive or database saved here
        return None, RawRecord(
            uri, "file", error="binary content (NUL bytes), not a text file of postings"
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        # Windows-1252 is what mis-saved postings nearly always are; say so rather than guess.
        return None, RawRecord(
            uri,
            "file",
            error=f"not UTF-8 text ({_one_line(exc)}); re-save as UTF-8",
            excerpt=_excerpt(data),
        )


def _text_file(parse):
    """Decode the file as UTF-8 first; a file that cannot be read or decoded is one failure."""

    def reader(path: Path) -> Iterator[RawRecord]:
        text, failure = _read_text(path)
        if failure:
            yield failure
            return
        yield from parse(path, text)

    reader.__name__ = parse.__name__
    reader.__doc__ = parse.__doc__
    return reader


@_text_file
def read_yaml(path: Path, text: str) -> Iterator[RawRecord]:
    try:
        value = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - CSafeLoader is the safe loader
    except yaml.YAMLError as exc:
        yield RawRecord(
            str(path), "file", error=f"malformed YAML: {_one_line(exc)}", excerpt=_excerpt(text)
        )
        return
    yield from _records_from_document(str(path), value, text)


@_text_file
def read_json(path: Path, text: str) -> Iterator[RawRecord]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        yield RawRecord(str(path), "file", error=f"malformed JSON: {exc}", excerpt=_excerpt(text))
        return
    yield from _records_from_document(str(path), value, text)


@_text_file
def read_jsonl(path: Path, text: str) -> Iterator[RawRecord]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRecord(
                str(path),
                f"line {number}",
                error=f"malformed JSON line: {exc}",
                excerpt=_excerpt(line),
            )
            continue
        yield _from_value(str(path), f"line {number}", value, line)


@_text_file
def read_csv(path: Path, text: str) -> Iterator[RawRecord]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield RawRecord(str(path), "header", error=f"malformed CSV header: {exc}")
        return
    header = [h.strip() for h in header]
    row_number = 0
    while True:
        row_number += 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield RawRecord(str(path), f"row {row_number}", error=f"malformed CSV row: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            row_number -= 1
            continue
        locator = f"row {row_number}"
        if len(row) != len(header):
            yield RawRecord(
                str(path),
                locator,
                error=f"CSV row has {len(row)} fields, header has {len(header)}",
                excerpt=_excerpt(",".join(row)),
            )
            continue
        yield RawRecord(str(path), locator, data=dict(zip(header, row, strict=True)))


@_text_file
def read_html(path: Path, text: str) -> Iterator[RawRecord]:
    """A job page: one record per schema.org JobPosting in its JSON-LD, else the page text."""
    try:
        found = records_from_page(text)
    except (PageError, json.JSONDecodeError) as exc:
        yield RawRecord(str(path), "file", error=_one_line(exc), excerpt=_excerpt(text))
        return
    for locator, record in found:
        yield RawRecord(
            str(path), locator if len(found) > 1 or locator == "page" else "file", data=record
        )


def read_parquet(path: Path) -> Iterator[RawRecord]:
    import polars as pl

    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for corrupt files
        yield RawRecord(str(path), "file", error=f"unreadable Parquet: {_one_line(exc)}")
        return
    for index, row in enumerate(frame.iter_rows(named=True)):
        yield RawRecord(str(path), f"row {index + 1}", data=row)


READERS = {
    ".yaml": read_yaml,
    ".yml": read_yaml,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
    ".parquet": read_parquet,
    ".html": read_html,
    ".htm": read_html,
}


def read_records(path: Path) -> Iterator[RawRecord]:
    """Every record in one file; an unsupported file is one failure record."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        yield RawRecord(
            str(path),
            "file",
            error=f"unsupported file type {path.suffix or '(none)'}: expected one of "
            + ", ".join(sorted(SUPPORTED_SUFFIXES)),
        )
        return
    if not path.exists():
        yield RawRecord(str(path), "file", error="file vanished before it could be read")
        return
    yield from reader(path)

"""Map records of any source shape onto the `raw.postings` contract.

A field mapping lists, per canonical field, the source keys to try in order (dotted paths reach
into nested objects). The default covers the common shapes (the field guide's YAML, schema.org
JobPosting names, typical job-board exports); a source may pass its own. Keys the mapping used
are consumed; everything else is kept as JSON in `extra`.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

import orjson
import yaml

DEFAULT_FIELD_MAP: dict[str, tuple[str, ...]] = {
    "posting_id": ("job_id", "posting_id", "id", "ref", "posting_ref", "jobId", "meta.job_id"),
    "title": ("title", "job_title", "role", "position.title", "jobTitle", "name"),
    "company": (
        "company",
        "company_name",
        "employer",
        "company.name",
        "hiringOrganization.name",
        "organization",
    ),
    "location": ("location", "city", "job_location", "jobLocation.address.addressLocality"),
    "posted_date": ("posted_date", "date_posted", "datePosted", "published", "posted_on", "date"),
    "description": (
        "description",
        "description_html",
        "body",
        "content",
        "job_description",
        "text",
    ),
    "responsibilities": ("position.responsibilities", "responsibilities"),
    "role_type": ("position.ai_type.type", "ai_type.type", "role_type"),
}

ROLE_TYPES = ("ai-first", "ai-support", "ml-first", "unknown")
_ESCAPED_HTML_HINT = re.compile(r"&lt;(p|br|li|ul|ol|div|h[1-6]|strong|b|em|span|table)\b", re.I)
# 2001-09-09 .. 2286-11-20: ten digits are Unix seconds, not a year or an id-like date
_UNIX_SECONDS = re.compile(r"[1-9]\d{9}")
_UNIX_MILLISECONDS = re.compile(r"[1-9]\d{12}")
_HTML_HINT = re.compile(r"<(p|br|li|ul|ol|div|h[1-6]|strong|b|em|span|table)\b[^>]*>", re.I)


def load_field_map(path: Path) -> dict[str, tuple[str, ...]]:
    """A source's own field mapping: YAML of canonical field -> source key or list of keys.

    Its keys are tried before the defaults, so a source only lists what it names differently.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"field mapping {path}: cannot read it ({exc})") from exc
    own = validate_field_map(f"field mapping {path}", data)
    return {field: keys + DEFAULT_FIELD_MAP[field] for field, keys in own.items()}


def validate_field_map(where: str, data: Any) -> dict[str, tuple[str, ...]]:
    """A mapping of canonical field -> source key or list of keys, checked; ValueError saying
    `where` and why otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a mapping of field -> source key(s)")
    unknown = sorted(set(data) - set(DEFAULT_FIELD_MAP))
    if unknown:
        raise ValueError(f"{where}: unknown fields {unknown}; known: {sorted(DEFAULT_FIELD_MAP)}")
    out = {}
    for field, keys in data.items():
        keys = [keys] if isinstance(keys, str) else keys
        if (
            not isinstance(keys, list)
            or not keys
            or not all(isinstance(k, str) and k for k in keys)
        ):
            raise ValueError(f"{where}: {field!r} must be a key or a list of keys")
        out[field] = tuple(keys)
    return out


class RecordError(ValueError):
    """A record that cannot become a posting; its message is the quarantine reason."""


def _lookup(record: Mapping[str, Any], dotted: str) -> tuple[bool, Any]:
    node: Any = record
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


_MISSING = object()


def _first(record: Mapping[str, Any], keys: tuple[str, ...], used: set[str]) -> Any:
    """The first non-empty value among `keys`. Top-level keys read are marked used; nested
    objects stay whole in `extra` since the rest of them is still unmapped."""
    plain = type(record) is dict
    for key in keys:
        if plain and "." not in key:  # the common case, without _lookup's walk
            value = record.get(key, _MISSING)
            found = value is not _MISSING
        else:
            found, value = _lookup(record, key)
        if found and value is not None and value != "":
            if "." not in key:
                used.add(key)
            return value
    return None


@lru_cache(maxsize=64)
def _merged_fields(own: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[str, ...]]:
    """The default mapping with a source's own on top, merged once per mapping rather than
    once per record (map_record runs a million times in a large ingest)."""
    return {**DEFAULT_FIELD_MAP, **dict(own)}


def _as_text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float | bool):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise RecordError(f"field {field!r} has type {type(value).__name__}, expected text")


def unescape_escaped_html(text: str | None) -> str | None:
    """HTML that was entity-escaped once more (`&lt;p&gt;`, as job-board APIs send it) and has
    no real tag is decoded, so it is then read as HTML."""
    if text and _ESCAPED_HTML_HINT.search(text) and not _HTML_HINT.search(text):
        return html.unescape(text)
    return text


def parse_date(value: Any) -> date | None:
    """ISO dates, ISO datetimes (with Z/offset), YAML dates, Unix seconds; None when not a date."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if _UNIX_SECONDS.fullmatch(text):  # e.g. Hacker News' `time`
        return datetime.fromtimestamp(int(text), UTC).date()
    if _UNIX_MILLISECONDS.fullmatch(text):  # e.g. Lever's `createdAt`
        return datetime.fromtimestamp(int(text) / 1000, UTC).date()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for fmt in ("%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%B %d, %Y", "%b %d, %Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _json_string(text: str) -> str:
    """`json.dumps(text, ensure_ascii=False)`: orjson escapes exactly as json does (the same
    characters, the same `\\u00XX` forms), about ten times faster on long descriptions."""
    if len(text) > 64:  # short: the call costs more than it saves
        try:
            return orjson.dumps(text).decode()
        except TypeError:  # a lone surrogate: orjson refuses it, json writes it as it is
            pass
    return encode_basestring(text)


def _json_value(value: Any) -> str:
    if type(value) is str:
        return _json_string(value)
    if value is None:
        return "null"
    return _dumps(value)  # numbers, booleans, lists, nested objects, dates (as str)


def canonical_json(value: Any) -> str:
    """`json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)`, byte for byte
    (raw_hash is its sha256: a different byte would reload every posting). A flat record
    with text keys, the usual shape, is assembled here so that its long strings are escaped
    by `_json_string`; anything else is left to the json module."""
    if type(value) is not dict or not all(type(k) is str for k in value):
        return _dumps(value)
    items = ", ".join(f"{_json_string(k)}: {_json_value(value[k])}" for k in sorted(value))
    return "{" + items + "}"


def content_hash(*parts: str | None) -> str:
    digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8"))
    return digest.hexdigest()


def with_mapping(digest: str, fingerprint: str) -> str:
    """A content hash that also changes when the source's field mapping does, so that a new
    mapping re-reads the files and reloads their postings."""
    return hashlib.sha256(f"{digest}|{fingerprint}".encode()).hexdigest() if fingerprint else digest


def normalise_role_type(value: Any) -> str:
    text = (
        str(value).strip().lower().replace("_", "-").replace(" ", "-") if value else ""
    ) or "unknown"
    return text if text in ROLE_TYPES else "unknown"


def map_record(
    record: Mapping[str, Any], field_map: Mapping[str, tuple[str, ...]] | None = None
) -> dict[str, Any]:
    """One source record -> the mapped columns of raw.postings (without batch/source/ingest info).

    Raises RecordError with a readable reason when the record cannot be a posting.
    """
    fields = _merged_fields(tuple((k, tuple(v)) for k, v in (field_map or {}).items()))
    used: set[str] = set()
    values = {name: _first(record, keys, used) for name, keys in fields.items()}

    title = _as_text(values["title"], "title")
    company = values["company"]
    company = _as_text(company.get("name") if isinstance(company, Mapping) else company, "company")
    location = values["location"]
    if isinstance(location, list):
        location = "; ".join(str(x) for x in location if x)
    location = _as_text(location, "location")
    description = unescape_escaped_html(_as_text(values["description"], "description"))

    responsibilities = values["responsibilities"]
    if responsibilities is not None:
        if not isinstance(responsibilities, list):
            raise RecordError("field 'responsibilities' is not a list")
        responsibilities = [
            str(r).strip() for r in responsibilities if r is not None and str(r).strip()
        ]

    if description is None and responsibilities is None:
        raise RecordError("no description (looked for: " + ", ".join(fields["description"]) + ")")
    if title is None and description is None:
        raise RecordError("neither a title nor a description")

    source_id = _as_text(values["posting_id"], "posting_id")
    raw_hash = content_hash(canonical_json(record))
    posting_id = source_id or "h_" + content_hash(title, company, description)[:16]

    extra = {k: v for k, v in record.items() if k not in used}
    posted_date = parse_date(values["posted_date"])
    if values["posted_date"] is not None and posted_date is None:
        extra["posted_date_unparsed"] = values["posted_date"]

    if description is None:
        description_format = "none"
    elif _HTML_HINT.search(description):
        description_format = "html"
    else:
        description_format = "text"

    return {
        "posting_id": posting_id,
        # an id made from the content: two records with it are the same posting listed twice
        "id_from_content": source_id is None,
        "title": title,
        "company": company,
        "location": location,
        "posted_date": posted_date,
        "description_raw": description,
        "description_format": description_format,
        "raw_hash": raw_hash,
        "extra": canonical_json(extra) if extra else None,
        "precomputed_responsibilities": responsibilities,
        "precomputed_role_type": normalise_role_type(values["role_type"])
        if responsibilities is not None
        else None,
    }

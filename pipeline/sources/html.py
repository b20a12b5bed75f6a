"""Job pages -> posting records: schema.org `JobPosting` JSON-LD, else a readable fallback.

Pure functions over the page's text, so each case is tested with a small literal page. The
records use the canonical field names `map_record` knows (id, title, company, location,
posted_date, description, url); everything else of the JobPosting is kept under its own keys
and ends up in `extra`.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

# the type attribute is sometimes HTML-escaped itself (`application/ld&#x2B;json`)
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
_TYPE_ATTR = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_TAG_TEXT = {
    "title": re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.I | re.S),
    "h1": re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.I | re.S),
}
_META = re.compile(r"<meta\b([^>]*)>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_BODY = re.compile(r"<body\b[^>]*>(.*)</body\s*>", re.I | re.S)
_MAIN = re.compile(r"<(main|article)\b[^>]*>(.*?)</\1\s*>", re.I | re.S)
_DROP = re.compile(r"<(script|style|noscript|nav|header|footer|svg|form)\b.*?</\1\s*>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")


class PageError(ValueError):
    """The page has neither a JobPosting nor readable text."""


def json_ld_blocks(page: str) -> list[str]:
    """The text of every `<script type="application/ld+json">` on the page, in order."""
    blocks = []
    for attrs, body in _SCRIPT.findall(page):
        kind = _TYPE_ATTR.search(attrs)
        if kind and html.unescape(kind.group(1)).lower() == "application/ld+json":
            blocks.append(body.strip())
    return blocks


def parse_json_ld(block: str) -> Any:
    """JSON-LD as published, or HTML-escaped once more (`&quot;`) by the page's template."""
    try:
        return json.loads(block)
    except json.JSONDecodeError:
        return json.loads(html.unescape(block))


def _types(node: dict) -> set[str]:
    kind = node.get("@type")
    return {kind} if isinstance(kind, str) else {k for k in kind or () if isinstance(k, str)}


def job_posting_nodes(value: Any) -> Iterator[dict]:
    """Every JobPosting object in a JSON-LD value: a single object, a list, `@graph` arrays."""
    if isinstance(value, list):
        for item in value:
            yield from job_posting_nodes(item)
    elif isinstance(value, dict):
        if "JobPosting" in _types(value):
            yield value
        if "@graph" in value:
            yield from job_posting_nodes(value["@graph"])


def _name(value: Any) -> str | None:
    """A schema.org Thing's name, or the text itself."""
    if isinstance(value, list):
        names = [n for n in (_name(v) for v in value) if n]
        return "; ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        value = value.get("name")
    return str(value).strip() or None if value is not None else None


def _place(value: Any) -> str | None:
    """`Place` / `PostalAddress` (or lists of them) as "locality, region, country"."""
    if isinstance(value, list):
        places = [p for p in (_place(v) for v in value) if p]
        return "; ".join(dict.fromkeys(places)) or None
    if not isinstance(value, dict):
        return _name(value)
    address = value.get("address", value)
    if not isinstance(address, dict):
        return _name(address)
    parts = [
        _name(address.get(key)) for key in ("addressLocality", "addressRegion", "addressCountry")
    ]
    return ", ".join(p for p in parts if p) or _name(value)


def _identifier(node: dict) -> str | None:
    ident = node.get("identifier")
    if isinstance(ident, dict):
        ident = ident.get("value")
    if ident is None or isinstance(ident, (dict, list)):
        return None
    return str(ident).strip() or None


def record_from_job_posting(node: dict) -> dict[str, Any]:
    """A JobPosting node -> a record with canonical field names plus its other properties."""
    location = _place(node.get("jobLocation"))
    if str(node.get("jobLocationType", "")).upper() == "TELECOMMUTE":
        location = f"{location} (remote)" if location else "Remote"
    if location is None:
        location = _name(node.get("applicantLocationRequirements"))
    record = {
        "id": _identifier(node),
        "title": node.get("title"),
        "company": _name(node.get("hiringOrganization")),
        "location": location,
        "posted_date": node.get("datePosted"),
        # the description is HTML, often entity-escaped once more: the normaliser decodes it
        "description": node.get("description"),
        "url": node.get("url"),
    }
    used = {"identifier", "title", "hiringOrganization", "jobLocation", "datePosted"}
    used |= {"description", "url", "@type", "@context"}
    record.update({k: v for k, v in node.items() if k not in used and k not in record})
    return {k: v for k, v in record.items() if v is not None}


def _meta(page: str) -> dict[str, str]:
    found = {}
    for attrs in _META.findall(page):
        pairs = {k.lower(): a or b for k, a, b in _ATTR.findall(attrs)}
        key = pairs.get("property") or pairs.get("name")
        if key and "content" in pairs:
            found.setdefault(key.lower(), html.unescape(pairs["content"]).strip())
    return found


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def fallback_record(page: str) -> dict[str, Any]:
    """A page without JobPosting JSON-LD: the title from og:title / <h1> / <title>, the company
    from og:site_name, the description from <main> or <article> (else <body>) without
    scripts, styles, navigation, headers and footers."""
    meta = _meta(page)
    heading = _TAG_TEXT["h1"].search(page) or _TAG_TEXT["title"].search(page)
    title = meta.get("og:title") or (_text(heading.group(1)) if heading else None)
    main = _MAIN.search(page)
    body = main.group(2) if main else (_BODY.search(page) or re.match(r"(.*)", page, re.S))[1]
    description = _DROP.sub(" ", body).strip()
    if not _text(description):
        raise PageError("no JobPosting JSON-LD and no readable text in the page")
    record = {
        "title": title or None,
        "company": meta.get("og:site_name"),
        "description": description,
        "url": meta.get("og:url"),
        "extraction": "page text (no JobPosting JSON-LD)",
    }
    return {k: v for k, v in record.items() if v}


def records_from_page(page: str) -> list[tuple[str, dict[str, Any]]]:
    """(locator, record) for every JobPosting on the page, else one fallback record.

    Raises `PageError` (or `json.JSONDecodeError` for a broken JSON-LD block when the page has
    nothing else) so the reader can quarantine the page with the reason.
    """
    records: list[tuple[str, dict[str, Any]]] = []
    errors = []
    for index, block in enumerate(json_ld_blocks(page)):
        try:
            value = parse_json_ld(block)
        except json.JSONDecodeError as exc:
            errors.append(f"JSON-LD block {index}: {exc}")
            continue
        for node in job_posting_nodes(value):
            records.append((f"jobposting {len(records)}", record_from_job_posting(node)))
    if records:
        return records
    try:
        return [("page", fallback_record(page))]
    except PageError as exc:
        raise PageError("; ".join([str(exc), *errors])) from None

"""Value rules of a source type (`source_types.yaml`), applied after the field mapping:

- `clean`: per field, a regular expression removed from the value (e.g. a rating a job site
  appends to the company name);
- `first_line`: fields read from the description's first line when the mapping found none
  (e.g. Hacker News "Who is hiring?" comments: "Company | Location | Title | ...");
- `postings_have`: keys every posting record has; a record without them is not a posting (e.g.
  the metadata element an API puts first) and is quarantined with that reason;
- `defaults` (set per source in sources.yaml): a value for a field the records never carry,
  e.g. the company of a Lever or Ashby board.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from typing import Any

from pipeline.sources.mapping import RecordError

_LINE_END = re.compile(r"<(p|br|div|li)\b[^>]*>|\n", re.I)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class FirstLine:
    separator: str = "|"
    company: int | None = 0  # index of the part that names the company
    title: str | None = None  # regex: the first other part that matches is the title
    location: str | None = None  # regex: the first remaining part that matches is the location


@dataclass(frozen=True)
class SourceRules:
    clean: tuple[tuple[str, str], ...] = ()
    first_line: FirstLine | None = None
    defaults: tuple[tuple[str, str], ...] = ()
    postings_have: tuple[str, ...] = ()

    def check(self, record: dict[str, Any]) -> None:
        """Raise RecordError for a record of the source that is not a posting at all."""
        missing = [k for k in self.postings_have if record.get(k) in (None, "")]
        if missing:
            keys = ", ".join(sorted(record)[:6])
            raise RecordError(
                f"not a posting: no {missing} (a metadata element of the source? its keys: {keys})"
            )

    @property
    def fingerprint(self) -> str:
        """Changes with the rules, so new rules re-read the files and reload their postings."""
        if not (self.clean or self.first_line or self.defaults or self.postings_have):
            return ""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:16]

    def apply(self, row: dict[str, Any]) -> dict[str, Any]:
        for field, pattern in self.clean:
            if isinstance(row.get(field), str):
                row[field] = re.sub(pattern, "", row[field]).strip() or None
        if self.first_line and row.get("description_raw"):
            found = first_line_fields(row["description_raw"], self.first_line)
            for field, value in found.items():
                if not row.get(field):
                    row[field] = value
        for field, value in self.defaults:
            if not row.get(field):
                row[field] = value
        return row


def first_line_parts(description: str, separator: str) -> list[str]:
    """The description's first line (up to a newline or a block tag), split on `separator`."""
    line = _LINE_END.split(description, maxsplit=1)[0]
    text = html.unescape(_TAGS.sub(" ", line))
    return [" ".join(part.split()) for part in text.split(separator) if part.strip()]


def first_line_fields(description: str, rule: FirstLine) -> dict[str, str]:
    parts = first_line_parts(description, rule.separator)
    if len(parts) < 2:  # no header line: a prose first sentence names nothing reliably
        return {}
    found: dict[str, str] = {}
    taken: set[int] = set()
    if rule.company is not None and rule.company < len(parts):
        found["company"] = parts[rule.company]
        taken.add(rule.company)
    for field, pattern in (("title", rule.title), ("location", rule.location)):
        if pattern is None:
            continue
        for index, part in enumerate(parts):
            if index not in taken and re.search(pattern, part):
                found[field] = part
                taken.add(index)
                break
    return found


def parse_rules(where: str, raw: dict[str, Any] | None) -> SourceRules:
    """The `clean` and `first_line` keys of a source type, validated."""
    raw = raw or {}
    clean = raw.get("clean") or {}
    if not isinstance(clean, dict):
        raise ValueError(f"{where}: clean must be field -> regular expression")
    for field, pattern in clean.items():
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ValueError(f"{where}: clean.{field}: not a regular expression ({exc})") from exc
    first = raw.get("first_line")
    if first is not None:
        unknown = set(first) - {"separator", "company", "title", "location"}
        if unknown:
            raise ValueError(f"{where}: first_line: unknown keys {sorted(unknown)}")
        first = FirstLine(**first)
    required = raw.get("postings_have") or []
    if not isinstance(required, list) or not all(isinstance(k, str) and k for k in required):
        raise ValueError(f"{where}: postings_have must be a list of keys")
    return SourceRules(
        clean=tuple(sorted(clean.items())), first_line=first, postings_have=tuple(required)
    )

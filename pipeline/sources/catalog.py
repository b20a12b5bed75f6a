"""Source types (`source_types.yaml`) and a user's `sources.yaml`: which sources to read, of
which type, from where, with which field mapping.

sources.yaml:

    sources:
      - name: remoteok            # the source name in the warehouse
        type: remoteok_api        # a type from pipeline/sources/source_types.yaml
        path: exports/remoteok    # a file or a folder (relative to sources.yaml)
      - name: board
        type: files
        path: exports/board
        mapping: {title: Headline}   # optional, tried before the type's mapping
      - name: lotmart
        api: lever                # greenhouse | lever | ashby: fetched at each run
        board: lotmart            # the board token / company slug
                                  # responses land in <data dir>/landing/<name>
        defaults: {company: Lotmart}   # for fields the records never carry
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipeline.settings import SourceSpec
from pipeline.sources.mapping import DEFAULT_FIELD_MAP, validate_field_map
from pipeline.sources.rules import SourceRules, parse_rules

SOURCE_TYPES_FILE = Path(__file__).with_name("source_types.yaml")


class SourcesError(ValueError):
    """sources.yaml (or a source type) is not valid; the message says where and why."""


@dataclass(frozen=True)
class ConfiguredSource:
    spec: SourceSpec
    type: str
    field_map: dict[str, tuple[str, ...]]
    rules: SourceRules = SourceRules()
    api: str | None = None  # a job-board API fetched into spec.path before each ingest
    board: str | None = None
    base_url: str | None = None


def _mapping(where: str, raw: Any) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    try:
        return validate_field_map(f"{where}: mapping", raw)
    except ValueError as exc:
        raise SourcesError(str(exc)) from exc


def _types_file(path: Path) -> dict[str, dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    types = data.get("types")
    if not isinstance(types, dict) or not types:
        raise SourcesError(f"{path}: expected `types:` with at least one type")
    return types


@cache
def source_types(path: Path = SOURCE_TYPES_FILE) -> dict[str, dict[str, tuple[str, ...]]]:
    """Type name -> its field mapping."""
    return {
        name: _mapping(f"{path}: type {name}", t.get("mapping"))
        for name, t in _types_file(path).items()
    }


@cache
def type_rules(path: Path = SOURCE_TYPES_FILE) -> dict[str, SourceRules]:
    """Type name -> its value rules (`clean`, `first_line`)."""
    try:
        return {
            name: parse_rules(f"{path}: type {name}", t) for name, t in _types_file(path).items()
        }
    except ValueError as exc:
        raise SourcesError(str(exc)) from exc


def merged_map(*maps: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Keys from the first map first, then the next ones, then the defaults."""
    out: dict[str, tuple[str, ...]] = {}
    for field, defaults in DEFAULT_FIELD_MAP.items():
        keys = [k for m in maps for k in m.get(field, ())] + list(defaults)
        out[field] = tuple(dict.fromkeys(keys))
    return out


def load_sources(path: Path, landing_root: Path | None = None) -> list[ConfiguredSource]:
    """Parse and validate sources.yaml; paths are relative to the file. An API source lands its
    responses in `landing_root/<name>` (default: ./data/landing)."""
    from pipeline.sources.connectors import PAGERS, SOURCE_TYPE

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourcesError(f"{path}: cannot read it ({exc})") from exc
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{path}: expected `sources:` with a list of sources")
    types = source_types()
    seen: set[str] = set()
    out = []
    for index, entry in enumerate(entries):
        where = f"{path}: sources[{index}]"
        if not isinstance(entry, dict):
            raise SourcesError(f"{where}: expected name, type, path")
        api = entry.get("api")
        required = ("name", "board") if api else ("name", "path")
        missing = [k for k in required if not entry.get(k)]
        if missing:
            raise SourcesError(f"{where}: missing {missing}")
        if api and api not in PAGERS:
            raise SourcesError(f"{where}: unknown api {api!r}; known: {sorted(PAGERS)}")
        name = str(entry["name"])
        kind = str(entry.get("type") or (SOURCE_TYPE[api] if api else "files"))
        where = f"{path}: source {name!r}"
        allowed = {"name", "type", "mapping", "defaults"} | (
            {"api", "board", "base_url"} if api else {"path"}
        )
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise SourcesError(f"{where}: unknown keys {unknown}")
        if name in seen:
            raise SourcesError(f"{where}: the name is used twice")
        seen.add(name)
        if kind not in types:
            raise SourcesError(f"{where}: unknown type {kind!r}; known: {sorted(types)}")
        if api:
            location = ((landing_root or Path("data") / "landing") / name).resolve()
        else:
            location = (Path(path).parent / Path(str(entry["path"])).expanduser()).resolve()
            if not location.exists():
                raise SourcesError(f"{where}: path {location} does not exist")
        own = _mapping(where, entry.get("mapping"))
        defaults = entry.get("defaults") or {}
        if not isinstance(defaults, dict) or not all(
            f in ("title", "company", "location") and isinstance(v, str) and v.strip()
            for f, v in defaults.items()
        ):
            raise SourcesError(
                f"{where}: defaults must give text for title, company or location, e.g. "
                "{company: Acme}"
            )
        rules = type_rules()[kind]
        if defaults:
            rules = dataclasses.replace(rules, defaults=tuple(sorted(defaults.items())))
        out.append(
            ConfiguredSource(
                SourceSpec(name, location),
                kind,
                merged_map(own, types[kind]),
                rules=rules,
                api=api,
                board=str(entry["board"]) if api else None,
                base_url=entry.get("base_url"),
            )
        )
    return out


def sample_source(source: ConfiguredSource, count: int = 3) -> list[str]:
    """Up to `count` records of the source as they would load (or why they would not), and
    how many files it has."""
    from pipeline.sources.files import discover_files, read_records
    from pipeline.sources.mapping import RecordError, map_record

    files = discover_files(source.spec.path)
    lines = [f"{len(files)} file(s)"]
    shown = 0
    for path in files:
        for rec in read_records(path):
            if shown >= count:
                return lines
            shown += 1
            where = f"{path.name} ({rec.locator})"
            if not rec.ok:
                lines.append(f"{where}: quarantined: {rec.error}")
                continue
            try:
                source.rules.check(rec.data or {})
                row = source.rules.apply(map_record(rec.data or {}, source.field_map))
            except RecordError as exc:
                lines.append(f"{where}: quarantined: {exc}")
                continue
            text = " ".join((row["description_raw"] or "").split())[:80]
            lines.append(
                f"{where}: id={row['posting_id']} title={row['title']!r} "
                f"company={row['company']!r} location={row['location']!r} "
                f"posted={row['posted_date']} description={text!r}"
            )
    return lines

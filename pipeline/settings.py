"""Run settings, read in one place from the environment (with defaults).

Every knob a user may turn lives here, so the Dagster resources, the CLI and the tests agree on
names and defaults. Nothing secret is read: roleprint needs no credentials yet.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
SAMPLE_POSTINGS_DIR = PACKAGE_DIR / "sample_data" / "postings"
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_DATE_IN_PATH = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")


def parse_bool(value: str | None, default: bool, name: str) -> bool:
    if value is None or value.strip() == "":
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name}={value!r} is not a boolean: use one of true/false/1/0/yes/no")


@dataclass(frozen=True)
class SourceSpec:
    """One input location: a file or a directory of posting files, under a source name."""

    name: str
    path: Path

    @classmethod
    def parse(cls, text: str) -> SourceSpec:
        """`name=path` or just `path` (the name is then the last path component)."""
        name, sep, path = text.partition("=")
        if not sep or "/" in name or os.sep in name:
            path, name = text, ""
        resolved = Path(path).expanduser()
        if not name:
            name = "sample" if resolved.resolve() == SAMPLE_POSTINGS_DIR else resolved.stem
        return cls(name=name, path=resolved)

    def __str__(self) -> str:
        return f"{self.name}={self.path}"


def default_batch_id(sources: list[SourceSpec], now: datetime | None = None) -> str:
    """A date named in the sources' paths (e.g. `.../2026-02-04/postings`), else today (UTC).

    Scraped batches are usually stored under their scrape date, so a rerun of the same folder
    lands in the same batch and replaces it instead of adding a copy.
    """
    dates = sorted({m for s in sources for m in _DATE_IN_PATH.findall(str(s.path))})
    if len(dates) == 1:
        return dates[0]
    return (now or datetime.now(UTC)).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    sources: tuple[SourceSpec, ...]
    taxonomy_path: Path | None = None
    batch_id: str | None = None
    dedup: bool = True
    extractor: str = "rules"
    category_classifier: str = "rules"
    role_type_classifier: str = "rules"
    eval_gold: Path | None = None
    eval_batches: tuple[str, ...] = ()  # "postings_dir=reference_dir"
    reference_report: Path | None = None  # hand-written report whose bands the report compares
    field_maps: tuple[str, ...] = ()  # "source_name=mapping.yaml"
    sources_file: Path | None = None  # sources.yaml: sources by type (pipeline.sources.catalog)
    schedule_cron: str = "0 2 * * *"
    inbox_dir: Path | None = None
    # DuckDB's own memory cap, for the pipeline's connection: past it, joins, sorts and
    # aggregations spill to disk instead of growing (DuckDB's default is 80% of RAM)
    duckdb_memory_limit: str = "2GB"
    # dbt's cap: dbt runs alone (the Python stages are done and the pipeline's connection is
    # idle), and its joins over every responsibility spill less with more; at a million
    # postings the process tree stays under 6 GiB with 3GB
    dbt_memory_limit: str = "3GB"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse" / "roleprint.duckdb"

    @property
    def published_path(self) -> Path:
        return self.data_dir / "published" / "roleprint.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def inbox(self) -> Path:
        return self.inbox_dir or self.data_dir / "inbox"

    @functools.cached_property
    def configured_sources(self) -> list:
        """The sources of sources.yaml (pipeline.sources.catalog.ConfiguredSource), parsed once
        per Settings: the ingest asks for their paths, field maps and rules."""
        from pipeline.sources.catalog import load_sources

        if not self.sources_file:
            return []
        return load_sources(self.sources_file, self.data_dir / "landing")

    def load_source_rules(self) -> dict:
        """Source name -> its type's value rules (pipeline.sources.rules.SourceRules)."""
        return {s.spec.name: s.rules for s in self.configured_sources}

    def load_field_maps(self) -> dict[str, dict[str, tuple[str, ...]]]:
        from pipeline.sources.mapping import load_field_map

        # a source's type mapping from sources.yaml; a mapping file given for it wins
        maps = {s.spec.name: s.field_map for s in self.configured_sources}
        for item in self.field_maps:
            name, sep, path = item.partition("=")
            if not sep or not name or not path:
                raise ValueError(
                    f"field mapping {item!r}: expected source_name=path/to/mapping.yaml"
                )
            maps[name] = load_field_map(Path(path).expanduser())
        return maps

    def resolved_batch_id(self) -> str:
        return self.batch_id or default_batch_id(list(self.sources))

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        raw_sources = [s for s in env.get("ROLEPRINT_SOURCES", "").split(os.pathsep) if s.strip()]
        sources_file = env.get("ROLEPRINT_SOURCES_FILE") or None
        sources = tuple(SourceSpec.parse(s.strip()) for s in raw_sources)
        if sources_file:
            from pipeline.sources.catalog import load_sources

            landing = Path(env.get("ROLEPRINT_DATA_DIR") or PROJECT_DIR / "data") / "landing"
            configured = load_sources(Path(sources_file).expanduser(), landing.expanduser())
            sources += tuple(s.spec for s in configured)
        sources = sources or (SourceSpec("sample", SAMPLE_POSTINGS_DIR),)
        taxonomy = env.get("ROLEPRINT_TAXONOMY") or None
        inbox = env.get("ROLEPRINT_INBOX") or None
        return cls(
            data_dir=Path(env.get("ROLEPRINT_DATA_DIR") or PROJECT_DIR / "data").expanduser(),
            sources=sources,
            taxonomy_path=Path(taxonomy).expanduser() if taxonomy else None,
            batch_id=env.get("ROLEPRINT_BATCH_ID") or None,
            dedup=parse_bool(env.get("ROLEPRINT_DEDUP"), True, "ROLEPRINT_DEDUP"),
            extractor=env.get("ROLEPRINT_EXTRACTOR") or "rules",
            category_classifier=env.get("ROLEPRINT_CATEGORY_CLASSIFIER") or "rules",
            role_type_classifier=env.get("ROLEPRINT_ROLE_TYPE_CLASSIFIER") or "rules",
            eval_gold=Path(env["ROLEPRINT_EVAL_GOLD"]).expanduser()
            if env.get("ROLEPRINT_EVAL_GOLD")
            else None,
            reference_report=Path(env["ROLEPRINT_REFERENCE_REPORT"]).expanduser()
            if env.get("ROLEPRINT_REFERENCE_REPORT")
            else None,
            eval_batches=tuple(
                b for b in env.get("ROLEPRINT_EVAL_BATCHES", "").split(os.pathsep) if b.strip()
            ),
            field_maps=tuple(
                m.strip()
                for m in env.get("ROLEPRINT_FIELD_MAPS", "").split(os.pathsep)
                if m.strip()
            ),
            sources_file=Path(sources_file).expanduser() if sources_file else None,
            schedule_cron=env.get("ROLEPRINT_SCHEDULE_CRON") or "0 2 * * *",
            inbox_dir=Path(inbox).expanduser() if inbox else None,
            duckdb_memory_limit=env.get("ROLEPRINT_DUCKDB_MEMORY_LIMIT") or "2GB",
            dbt_memory_limit=env.get("ROLEPRINT_DBT_MEMORY_LIMIT") or "3GB",
        )

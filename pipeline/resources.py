"""Dagster resources, configured in one place from the environment (see `pipeline.settings`)."""

import importlib.metadata
import shutil
import sys
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource
from packaging import version

from pipeline.settings import DBT_PROJECT_DIR, Settings, SourceSpec
from pipeline.warehouse import STORAGE_VERSION, ensure_tables

# Every step that opens the warehouse claims this pool (limit 1 in dagster.yaml): DuckDB allows
# one writer per file, and a second process cannot even read while one writes.
WAREHOUSE_POOL = "roleprint_warehouse"


class RoleprintConfig(dg.ConfigurableResource):
    """What a run reads and where it writes. Defaults come from ROLEPRINT_* variables."""

    data_dir: str
    sources: list[str]
    taxonomy_path: str | None = None
    batch_id: str | None = None
    dedup: bool = True
    extractor: str = "rules"
    category_classifier: str = "rules"
    role_type_classifier: str = "rules"
    field_maps: list[str] = []
    sources_file: str | None = None
    reference_report: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "RoleprintConfig":
        return cls(
            data_dir=str(settings.data_dir),
            sources=[str(s) for s in settings.sources],
            taxonomy_path=str(settings.taxonomy_path) if settings.taxonomy_path else None,
            batch_id=settings.batch_id,
            dedup=settings.dedup,
            extractor=settings.extractor,
            category_classifier=settings.category_classifier,
            role_type_classifier=settings.role_type_classifier,
            field_maps=list(settings.field_maps),
            sources_file=str(settings.sources_file) if settings.sources_file else None,
            reference_report=str(settings.reference_report) if settings.reference_report else None,
        )

    def settings(self, sources: list[str] | None = None, batch_id: str | None = None) -> Settings:
        return Settings(
            data_dir=Path(self.data_dir),
            sources=tuple(SourceSpec.parse(s) for s in (sources or self.sources)),
            taxonomy_path=Path(self.taxonomy_path) if self.taxonomy_path else None,
            batch_id=batch_id or self.batch_id,
            dedup=self.dedup,
            extractor=self.extractor,
            category_classifier=self.category_classifier,
            role_type_classifier=self.role_type_classifier,
            field_maps=tuple(self.field_maps),
            sources_file=Path(self.sources_file) if self.sources_file else None,
            reference_report=Path(self.reference_report) if self.reference_report else None,
        )


class Warehouse(DuckDBResource):
    """The working DuckDB file. Python stages and dbt write it one at a time (in-process
    executor, one run at a time); analysts read the published copy instead."""

    @contextmanager
    def connect(self):
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with self.get_connection() as con:
            ensure_tables(con)
            yield con

    def current_batch(self) -> str:
        """The batch of the latest ingest that loaded postings (names the run's report folder)."""
        with self.connect() as con:
            # a nightly run with nothing new loads nothing: name the batch that last did
            row = con.execute(
                "SELECT batch_id FROM raw.ingest_runs ORDER BY loaded > 0 DESC, ingested_at DESC LIMIT 1"
            ).fetchone()
        if row is None:
            raise dg.Failure("no batch has been ingested yet: materialise raw_postings first")
        return row[0]


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_env_for(settings: Settings) -> dict[str, str]:
    return {
        "ROLEPRINT_DUCKDB_PATH": str(settings.warehouse_path.resolve()),
        "ROLEPRINT_DBT_MEMORY_LIMIT": settings.dbt_memory_limit,
    }


def dbt_executable() -> str:
    """The dbt next to this interpreter (a venv not activated still finds its own dbt)."""
    sibling = Path(sys.executable).parent / "dbt"
    return str(sibling) if sibling.exists() else (shutil.which("dbt") or "dbt")


class RoleprintDbtCli(DbtCliResource):
    """dagster-dbt's resource without its two per-run start-up costs (about 8 s a run, before
    dbt even starts), both for things this project does not use:

    - the version of the dbt executable is read from the installed dbt-core's metadata when
      the executable is this environment's own dbt, instead of by running `dbt --version`;
    - no dbt adapter is opened in the Dagster process: it only serves the `fetch_row_counts`
      / `fetch_column_metadata` add-ons, which the dbt assets do not call (dagster-dbt runs
      without one when it cannot open it).

    Both override private members of the pinned dagster-dbt; tests/unit/test_resources.py
    fails if they stop existing."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == Path(sys.executable).parent / "dbt":
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None


#: The write-ahead log size at which DuckDB checkpoints on its own (its default is 16 MB). The
#: stages commit a chunk of postings at a time, 50-120 MB of log for normalise; at the default
#: nearly every commit checkpoints, and each checkpoint writes every primary-key index whole
#: (duckdb/duckdb#24848), which at a million postings took seconds a time. Measured on a 1M
#: warehouse, 60k postings' normalise writes: 16.7 s at the default, 12.3 s at 256 MB (final
#: checkpoint included). The log (and what it holds in memory) stays below this size.
CHECKPOINT_THRESHOLD = "256MB"


def warehouse_config(settings: Settings) -> dict[str, str]:
    """DuckDB settings of the pipeline's own connections to the working warehouse (the
    storage version applies when the connection creates the file)."""
    return {
        "memory_limit": settings.duckdb_memory_limit,
        "checkpoint_threshold": CHECKPOINT_THRESHOLD,
        "storage_compatibility_version": STORAGE_VERSION,
    }


def build_resources(settings: Settings) -> dict[str, object]:
    return {
        "roleprint": RoleprintConfig.from_settings(settings),
        "warehouse": Warehouse(
            database=str(settings.warehouse_path),
            connection_config=warehouse_config(settings),
        ),
        "dbt": RoleprintDbtCli(
            project_dir=dbt_project,
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=dbt_executable(),
        ),
    }

"""Helpers shared by the integration tests: real runs and what they left in the warehouse."""

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import yaml

from pipeline.settings import SAMPLE_POSTINGS_DIR, Settings, SourceSpec
from pipeline.warehouse import mart_checksums

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
WAREHOUSE_NAME = "roleprint.duckdb"


def execute(
    settings: Settings,
    selection: list[str] | None = None,
    run_config: dict | None = None,
) -> dg.ExecuteInProcessResult:
    """One real run of the refresh job (in process, ephemeral Dagster instance)."""
    from pipeline.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("refresh_warehouse")
    return job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[dg.AssetKey(k) for k in selection] if selection else None,
        raise_on_error=False,
        run_config=run_config,
    )


def warehouse_state(path: Path) -> dict:
    """What an incremental run changed, read from a warehouse file."""
    with duckdb.connect(str(path), read_only=True) as con:

        def rows(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        return {
            "marts": mart_checksums(con),
            # (batch, files read, files unchanged, records read, loaded, replaced, unchanged)
            "ingest": rows(
                "SELECT batch_id, files_read, files_unchanged, records_read, loaded, replaced, "
                "unchanged FROM raw.ingest_runs ORDER BY ingested_at DESC LIMIT 1"
            )[0],
            "postings": rows(
                "SELECT batch_id, posting_id, raw_hash FROM raw.postings ORDER BY ALL"
            ),
            "superseded": rows(
                "SELECT batch_id, posting_id, superseded_by_batch_id FROM raw.superseded_postings"
            ),
            "items": rows(
                "SELECT batch_id, posting_id, text FROM clean.responsibilities ORDER BY ALL"
            ),
            "processed_by": rows(
                "SELECT stage, run_id, count(*) FROM meta.stage_state GROUP BY ALL ORDER BY ALL"
            ),
        }


FIRST_BATCH, SECOND_BATCH = "2026-03-01", "2026-04-01"
# A reference in the reference report's layout, written here: two bands, two taxonomy
# categories, one name the taxonomy does not have.
REFERENCE = """\
# A Hand-Written Report

## Very Common

### Building AI Systems

### Collaboration and Communication

## Rare

### Prompt Whispering
"""
CHANGED_DUTY = "Own the evaluation dashboard for the support assistant"


@dataclass
class TwoBatches:
    first: Settings
    later: Settings
    first_result: dg.ExecuteInProcessResult
    result: dg.ExecuteInProcessResult
    after_first: dict
    after_later: dict
    changed_id: str
    unchanged_id: str


def built_tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every dbt intermediate and mart table's rows, sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('intermediate', 'marts') ORDER BY 1"
        ).fetchall()
        return {
            name: sorted(con.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
            for (name,) in names
        }


def _posting(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def build_two_batches(root: Path) -> TwoBatches:
    """The bundled samples as one batch, then a second batch a month later.

    The second batch holds the AI-engineer postings reposted under new ids (new postings with
    the same text: the mix of problems moves, and dedup counts them once overall), one posting
    scraped again unchanged (same id and content) and one edited (same id, a duty added).
    """
    reference = root / "reference.md"
    reference.write_text(REFERENCE, encoding="utf-8")
    second = root / "second"
    second.mkdir()
    for path in sorted(SAMPLE_POSTINGS_DIR.glob("48*AI_Engineer*.yaml")):
        record = _posting(path)
        record["job_id"] = f"r{record['job_id']}"
        (second / f"r{path.name}").write_text(yaml.safe_dump(record), encoding="utf-8")
    others = sorted(p for p in SAMPLE_POSTINGS_DIR.glob("48*.yaml") if "AI_Engineer" not in p.name)
    unchanged, changed = others[0], others[1]
    shutil.copy(unchanged, second / unchanged.name)
    edited = _posting(changed)
    edited["description"] += f"\n## Also\n\n- {CHANGED_DUTY}\n"
    (second / changed.name).write_text(yaml.safe_dump(edited), encoding="utf-8")

    common = {"data_dir": root / "data", "reference_report": reference}
    first = Settings(
        sources=(SourceSpec("sample", SAMPLE_POSTINGS_DIR),), batch_id=FIRST_BATCH, **common
    )
    first_result = execute(first)
    assert first_result.success
    after_first = warehouse_state(first.published_path)
    later = Settings(sources=(SourceSpec("sample", second),), batch_id=SECOND_BATCH, **common)
    result = execute(later)
    assert result.success
    return TwoBatches(
        first=first,
        later=later,
        first_result=first_result,
        result=result,
        after_first=after_first,
        after_later=warehouse_state(later.published_path),
        changed_id=str(_posting(changed)["job_id"]),
        unchanged_id=str(_posting(unchanged)["job_id"]),
    )


def start_dbt_build(
    workdir: Path, *extra_args: str, command: str = "build"
) -> subprocess.Popen[bytes]:
    """Start the real `dbt build` (or `command`) of dbt_project/ against
    `workdir`/roleprint.duckdb.

    Target path, logs, console output (dbt_build.log) and working directory are all inside
    `workdir`, so parallel runs do not clash. dbt's own debug-level file log is off: it
    doubles the run time of ~220 nodes.
    """
    env = {
        **os.environ,
        "ROLEPRINT_DUCKDB_PATH": str(workdir / WAREHOUSE_NAME),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    # The child keeps its own copy of the log file descriptor.
    with (workdir / "dbt_build.log").open("w") as log:
        return subprocess.Popen(
            [
                str(DBT),
                command,
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(workdir / "target"),
                "--log-path",
                str(workdir / "logs"),
                "--log-level-file",
                "none",
                *extra_args,
            ],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def run_dbt_side_by_side(runs: dict[Path, tuple[str, ...]]) -> None:
    """Run `dbt run` with each workdir's extra arguments, all at once; all must succeed."""
    processes = {
        workdir: start_dbt_build(workdir, *args, command="run") for workdir, args in runs.items()
    }
    try:
        for workdir, process in processes.items():
            process.wait(timeout=240)
            output = (workdir / "dbt_build.log").read_text()
            assert process.returncode == 0, output[-3000:]
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()

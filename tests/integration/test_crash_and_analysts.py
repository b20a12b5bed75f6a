"""Crash safety and analysts' reads, with real processes.

`roleprint run` is started as a user starts it, killed with SIGKILL in the middle of a stage
and rerun; analysts query the published snapshot from their own processes the whole time.
The killed run is a `--rebuild`, so every stage it dies in is rewriting every posting (runs are
incremental: a plain rerun of the same inputs would have nothing to lose); the plain rerun
after it must finish that work and end exactly where the first run ended.

The suite kills the run in one stage (dbt, the longest, which rewrites every model). Set
ROLEPRINT_TEST_KILL_STAGES=all to kill it in every stage in turn.
"""

import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.integration

BATCH = "2026-06-01"
ALL_KILL_STAGES = (
    "ingest",
    "clean_postings",
    "responsibilities",
    "responsibility_labels",
    "roleprint_dbt_models",
    "report",
)
KILL_STAGES = (
    ALL_KILL_STAGES
    if os.environ.get("ROLEPRINT_TEST_KILL_STAGES") == "all"
    else ("roleprint_dbt_models",)
)
# tables a rerun must leave exactly as a clean run does
TABLES = (
    "raw.postings",
    "raw.quarantine",
    "raw.ingest_accounting",
    "clean.postings",
    "clean.responsibilities",
    "clean.responsibility_labels",
    "clean.posting_role_types",
    "marts.category_frequency",
    "marts.role_type_split",
    "marts.word_frequency",
    "marts.batch_trends",
    "marts.pipeline_accounting",
)
# volatile columns (when a row was written) are left out of the comparison
VOLATILE = {"ingested_at", "quarantined_at"}

# An analyst in a process of their own: queries the snapshot every 50 ms and logs what it
# saw. "held" keeps one connection for the whole session; "reconnect" opens one per query.
ANALYST = """
import pathlib, sys, time
import duckdb
path, out, stop, mode = sys.argv[1:5]
held = duckdb.connect(path, read_only=True) if mode == "held" else None
with open(out, "w") as log:
    while not pathlib.Path(stop).exists():
        try:
            con = held or duckdb.connect(path, read_only=True)
            runs = con.execute("SELECT count(*) FROM raw.ingest_runs").fetchone()[0]
            shares = con.execute("SELECT count(*) FROM marts.category_frequency").fetchone()[0]
            if con is not held:
                con.close()
            log.write(f"{time.time()} ok {runs} {shares}\\n")
        except Exception as exc:
            log.write(f"{time.time()} error {type(exc).__name__}: {exc}\\n")
        log.flush()
        time.sleep(0.05)
"""


def run_command(data_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pipeline.cli",
        "run",
        "--data-dir",
        str(data_dir),
        "--batch-id",
        BATCH,
    ]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("ROLEPRINT_", "DAGSTER_"))}


def run_to_completion(
    data_dir: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        run_command(data_dir),
        capture_output=True,
        text=True,
        env={**clean_env(), **(extra_env or {})},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def run_and_kill(data_dir: Path, stage: str) -> float:
    """Start a run, SIGKILL its whole process group once `stage` starts; returns the kill time."""
    proc = subprocess.Popen(
        [*run_command(data_dir), "--rebuild"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
        start_new_session=True,  # its own process group: dbt's subprocess dies with it
    )
    marker = f'Started execution of step "{stage}"'
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if marker in line:
                # well into the stage, past its first writes; the report step is short, so
                # it is killed at once
                time.sleep(0 if stage == "report" else 0.5)
                os.killpg(proc.pid, signal.SIGKILL)
                break
        else:
            pytest.fail(f"the run ended before stage {stage!r} started:\n{''.join(seen[-20:])}")
    finally:
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return time.time()


def table_digest(path: Path) -> dict[str, str]:
    digests = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for table in TABLES:
            schema, name = table.split(".")
            cols = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                    [schema, name],
                ).fetchall()
                if c not in VOLATILE
            ]
            rows = con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL").fetchall()
            digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Analysts:
    """Two analyst processes reading the published snapshot until stopped."""

    def __init__(self, snapshot: Path, work: Path) -> None:
        self.stop = work / "stop"
        self.logs = {mode: work / f"analyst_{mode}.log" for mode in ("held", "reconnect")}
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-c", ANALYST, str(snapshot), str(log), str(self.stop), mode]
            )
            for mode, log in self.logs.items()
        ]
        deadline = time.time() + 60
        while not all(p.exists() and p.read_text().count("\n") >= 3 for p in self.logs.values()):
            assert time.time() < deadline, "analysts did not start"
            time.sleep(0.1)

    def wait_until_reconnect_sees(self, changes: int, timeout: float = 30) -> None:
        """Wait until the reconnecting analyst has seen `changes` snapshot switches."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            values = [
                line.split(" ", 2)[2] for line in self.logs["reconnect"].read_text().splitlines()
            ]
            if sum(1 for a, b in zip(values, values[1:], strict=False) if a != b) >= changes:
                return
            time.sleep(0.1)

    def finish(self) -> dict[str, list[tuple[float, str, str]]]:
        self.stop.touch()
        for p in self.procs:
            p.wait(timeout=30)
        readings = {}
        for mode, log in self.logs.items():
            readings[mode] = [
                (float(t), status, rest)
                for t, status, rest in (
                    line.split(" ", 2) for line in log.read_text().splitlines() if line
                )
            ]
        return readings


# secrets a real deployment has in its environment (API tokens for connectors, a password)
SECRETS = {
    "GREENHOUSE_API_TOKEN": "gh-" + secrets.token_hex(12),
    "OPENAI_API_KEY": "sk-" + secrets.token_hex(16),
    "ROLEPRINT_DB_PASSWORD": "pw-" + secrets.token_hex(10),
}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One complete run of the bundled samples: the good state every test starts from.

    It runs with secrets in its environment and a persistent Dagster instance (event log and
    compute logs on disk), so the secrets test can search everything the run wrote.
    """
    root = tmp_path_factory.mktemp("crash")
    data_dir, dagster_home = root / "data", root / "dagster_home"
    dagster_home.mkdir()
    done = run_to_completion(data_dir, {**SECRETS, "DAGSTER_HOME": str(dagster_home)})
    settings_paths = {
        "work": data_dir / "warehouse" / "roleprint.duckdb",
        "published": data_dir / "published" / "roleprint.duckdb",
        "report": data_dir / "reports" / "latest" / "report.md",
        "dagster_home": dagster_home,
        "output": done.stdout + done.stderr,
    }
    return data_dir, settings_paths, table_digest(settings_paths["work"])


def test_no_secret_reaches_the_logs_the_warehouse_or_the_report(first_run):
    data_dir, paths, _ = first_run
    found = []
    # the run's own output
    found += [f"run output: {name}" for name, v in SECRETS.items() if v in paths["output"]]
    # every file the run wrote: reports, dbt logs and artifacts, Dagster's event log (SQLite
    # stores text as is) and compute logs, and the DuckDB files themselves
    files = [p for d in (data_dir, paths["dagster_home"]) for p in d.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in paths["dagster_home"].rglob("*"))  # the event log
    for path in files:
        data = path.read_bytes()
        found += [f"{path}: {name}" for name, v in SECRETS.items() if v.encode() in data]
    # DuckDB may compress strings on disk: search every row of every table as text too
    with duckdb.connect(str(paths["published"]), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        ).fetchall()
        for (table,) in tables:
            for name, value in SECRETS.items():
                hits = con.execute(
                    f"SELECT count(*) FROM {table} AS t WHERE CAST(t AS VARCHAR) LIKE ?",
                    [f"%{value}%"],
                ).fetchone()[0]
                if hits:
                    found.append(f"{table}: {name}")
    assert len(files) > 20 and len(tables) > 20
    assert not found, found


@pytest.mark.parametrize("stage", KILL_STAGES)
def test_kill_9_then_rerun_loses_and_duplicates_nothing_and_analysts_never_fail(
    first_run, stage, tmp_path
):
    data_dir, paths, clean_digest = first_run
    published_before = file_digest(paths["published"])
    report_before = file_digest(paths["report"])
    analysts = Analysts(paths["published"], tmp_path)

    run_and_kill(data_dir, stage)
    # the killed run published nothing: analysts still have the last good snapshot and report
    assert file_digest(paths["published"]) == published_before
    assert file_digest(paths["report"]) == report_before
    assert not list(paths["published"].parent.glob(".*.tmp"))
    if stage in ("clean_postings", "responsibilities", "responsibility_labels"):
        # the rebuild died half-way: postings wait in a later stage for the rerun to finish
        with duckdb.connect(str(paths["work"]), read_only=True) as con:
            typed, postings = con.execute(
                "SELECT (SELECT count(*) FROM meta.stage_state WHERE stage = 'role_types'), "
                "(SELECT count(*) FROM raw.postings)"
            ).fetchone()
        assert typed < postings, "the killed run had no work left to lose"

    rerun_started = time.time()
    run_to_completion(data_dir)
    analysts.wait_until_reconnect_sees(changes=1)
    readings = analysts.finish()

    # the rerun ends exactly where an uninterrupted run ends: no lost or duplicated rows
    assert table_digest(paths["work"]) == clean_digest
    assert table_digest(paths["published"]) == clean_digest

    for mode, rows in readings.items():
        errors = [r for r in rows if r[1] != "ok"]
        assert not errors, f"{mode} analyst hit errors: {errors[:3]}"
        assert len(rows) > 20, f"{mode} analyst made only {len(rows)} queries"
    # a new connection sees the new snapshot only once the rerun has published it
    reconnect = readings["reconnect"]
    during_kill = [r for r in reconnect if r[0] < rerun_started]
    assert {r[2] for r in during_kill} == {during_kill[0][2]}
    # ... and then exactly once, to the rerun's snapshot (which records more ingest runs: the
    # killed run's ingest is in the run log of the working warehouse too)
    seen = [r[2] for r in reconnect]
    assert sum(1 for a, b in zip(seen, seen[1:], strict=False) if a != b) == 1
    assert int(seen[-1].split()[0]) > int(seen[0].split()[0])
    # a held connection keeps reading its snapshot without an error throughout
    assert {r[2] for r in readings["held"]} == {readings["held"][0][2]}


def test_stage_list_names_real_steps():
    # a renamed step would make the kill test wait for a marker that never comes
    from pipeline.definitions import build_definitions
    from pipeline.settings import Settings

    job = build_definitions(Settings.from_env({})).resolve_job_def("refresh_warehouse")
    steps = {node.name for node in job.nodes}
    assert set(ALL_KILL_STAGES) <= steps

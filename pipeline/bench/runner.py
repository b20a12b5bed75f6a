"""`roleprint bench`: time the real pipeline on synthetic postings at several scales.

Each run is a real `roleprint run` (Dagster job, DuckDB warehouse, dbt build, GX checks,
report, publish) in its own process on a fresh data dir, so one run's caches and memory never
help the next. The parent samples the run's process tree (the pipeline and the dbt process it
starts) for peak RSS, reads each Dagster step's duration from the run's `--timings` file, and
measures the warehouse on disk. The nightly-increment scenario adds a new batch of postings to
the largest warehouse built. The naive baseline (`pipeline.bench.baseline`) and the fast path's
same three stages are timed side by side in this process, on the same raw postings.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipeline.bench.synthetic import GENERATOR_VERSION, postings, write_postings

# Dagster step keys -> the stage they belong to (asset checks are grouped as "checks")
STAGES = {
    "ingest": "ingest",
    "clean_postings": "normalise",
    "responsibilities": "extract",
    "taxonomy": "classify",
    "responsibility_labels": "classify",
    "posting_role_types": "role types",
    "roleprint_dbt_models": "dbt",
    "report": "report",
    "published_warehouse": "publish",
}
STAGE_ORDER = [
    "ingest", "normalise", "extract", "classify", "role types", "dbt", "checks", "report",
    "publish", "other (startup, Dagster)",
]  # fmt: skip


def stage_of(step_key: str) -> str:
    return STAGES.get(step_key, "checks")


# --- process-tree memory -------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(c) for c in task.read_text().split()]
        except OSError:
            continue
    return found


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid` and all its descendants (Linux /proc), in bytes."""
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue
        stack += _children(current)
    return total


class PeakRss:
    """Samples a process tree's RSS every `interval` seconds until stopped; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self.samples: list[tuple[float, int]] = []  # (Unix time, bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = tree_rss_bytes(self.pid)
            self.samples.append((time.time(), rss))
            self.peak = max(self.peak, rss)
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


# --- one pipeline run ----------------------------------------------------------------------------


@dataclass
class RunMeasure:
    label: str
    postings: int
    wall_seconds: float
    peak_rss_bytes: int
    warehouse_bytes: int
    stage_seconds: dict[str, float]
    load_before: float
    returncode: int
    responsibilities: int = 0
    distinct_responsibility_share: float = 0.0
    # the process tree's peak RSS while each stage's steps ran
    stage_peak_rss_bytes: dict[str, int] = field(default_factory=dict)


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def run_pipeline(
    label: str,
    sources: list[str],
    data_dir: Path,
    postings_count: int,
    log: Path,
    batch_id: str = "2026-11-01",
) -> RunMeasure:
    """One `roleprint run` in a child process, measured."""
    timings = log.with_suffix(".timings.json")  # beside the log: an increment reuses data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pipeline.cli", "run", "--data-dir", str(data_dir)]
    cmd += ["--batch-id", batch_id]
    cmd += [f"--source={s}" for s in sources] + ["--timings", str(timings)]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    load = os.getloadavg()[0]
    start = time.perf_counter()
    with log.open("w") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        sampler = PeakRss(child.pid)
        child.wait()
    wall = time.perf_counter() - start
    peak = sampler.stop()
    steps = json.loads(timings.read_text()) if timings.exists() else {}
    stages: dict[str, float] = {}
    stage_rss: dict[str, int] = {}
    for key, step in steps.items():
        stage = stage_of(key)
        stages[stage] = stages.get(stage, 0.0) + step["seconds"]
        during = [rss for t, rss in sampler.samples if step["start"] <= t <= step["end"]]
        stage_rss[stage] = max([stage_rss.get(stage, 0), *during])
    stages["other (startup, Dagster)"] = max(0.0, wall - sum(stages.values()))
    size = _dir_bytes(data_dir / "warehouse") + _dir_bytes(data_dir / "published")
    items, distinct = _responsibilities(data_dir / "published" / "roleprint.duckdb")
    return RunMeasure(
        label,
        postings_count,
        wall,
        peak,
        size,
        stages,
        load,
        child.returncode,
        items,
        distinct,
        stage_rss,
    )


def _responsibilities(warehouse: Path) -> tuple[int, float]:
    """Responsibilities in the warehouse and the share of distinct texts among them (repeated
    texts are classified once, so this says how much that saved)."""
    if not warehouse.exists():
        return 0, 0.0
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        total, distinct = con.execute(
            "SELECT count(*), count(DISTINCT text) FROM clean.responsibilities"
        ).fetchone()
    return total, (distinct / total if total else 0.0)


# --- scales --------------------------------------------------------------------------------------


def generated(scale: int, seed: int, root: Path, prefix: str = "") -> tuple[Path, dict]:
    """The synthetic postings for (scale, seed), written once under `root` and reused."""
    out = root / f"synthetic-v{GENERATOR_VERSION}-{prefix}{seed}-{scale}"
    done = out / ".generated.json"
    if done.exists():
        return out, json.loads(done.read_text())
    started = time.perf_counter()
    made = write_postings(postings(scale, seed=seed, id_prefix=prefix), out, seed=seed)
    facts = {
        "postings": made.postings,
        "files": made.files,
        "bytes": made.bytes,
        "description_chars": made.description_chars,
        "by_format": made.by_format,
        "seconds": round(time.perf_counter() - started, 1),
    }
    done.write_text(json.dumps(facts))
    return out, facts


@dataclass
class ScaleResult:
    scale: int
    data: dict
    runs: list[RunMeasure] = field(default_factory=list)

    def median(self, pick) -> float:
        return statistics.median(pick(r) for r in self.runs)


def growth_exponent(small: ScaleResult, large: ScaleResult) -> float:
    """k in time ~ size^k between two scales (1.0 = linear)."""
    t0 = small.median(lambda r: r.wall_seconds)
    t1 = large.median(lambda r: r.wall_seconds)
    return math.log(t1 / t0) / math.log(large.scale / small.scale)


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1024
    return f"{n:.1f} GiB"


def table(results: list[ScaleResult], extra: list[RunMeasure] | None = None) -> str:
    """The bench table: per scale (median of runs), wall time, peak RSS, warehouse size, and
    each stage's seconds and postings per second."""
    rows = [(f"{r.scale:,} postings", r) for r in results]
    head = ["", *(name for name, _ in rows), *(m.label for m in extra or [])]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def cells(pick, fmt) -> list[str]:
        out = [fmt(r.median(pick), r.scale) for _, r in rows]
        return out + [fmt(pick(m), m.postings) for m in extra or []]

    lines.append(
        "| runs | "
        + " | ".join([str(len(r.runs)) for _, r in rows] + ["1"] * len(extra or []))
        + " |"
    )
    lines.append(
        "| end to end | "
        + " | ".join(cells(lambda m: m.wall_seconds, lambda s, n: f"{s:.1f} s ({n / s:,.0f}/s)"))
        + " |"
    )
    for stage in STAGE_ORDER:
        lines.append(
            f"| {stage} | "
            + " | ".join(
                cells(
                    lambda m, st=stage: m.stage_seconds.get(st, 0.0),
                    lambda s, n: f"{s:.1f} s ({n / s:,.0f}/s)" if s > 0.05 else f"{s:.2f} s",
                )
            )
            + " |"
        )
    lines.append(
        "| normalise + extract + classify | "
        + " | ".join(
            cells(
                lambda m: sum(
                    m.stage_seconds.get(s, 0.0) for s in ("normalise", "extract", "classify")
                ),
                lambda s, n: f"{s:.1f} s ({n / s:,.0f}/s)",
            )
        )
        + " |"
    )
    lines.append(
        "| peak RSS (process tree) | "
        + " | ".join(cells(lambda m: m.peak_rss_bytes, lambda b, n: _fmt_bytes(b)))
        + " |"
    )
    for stage in STAGE_ORDER[:-1]:
        lines.append(
            f"| peak RSS during {stage} | "
            + " | ".join(
                cells(
                    lambda m, st=stage: m.stage_peak_rss_bytes.get(st, 0),
                    lambda b, n: _fmt_bytes(b) if b else "-",
                )
            )
            + " |"
        )
    lines.append(
        "| warehouse on disk (work + published) | "
        + " | ".join(cells(lambda m: m.warehouse_bytes, lambda b, n: _fmt_bytes(b)))
        + " |"
    )
    lines.append(
        "| responsibilities (distinct share) | "
        + " | ".join(
            f"{r.runs[-1].responsibilities:,} ({r.runs[-1].distinct_responsibility_share:.0%})"
            for _, r in rows
        )
        + "".join(
            f" | {m.responsibilities:,} ({m.distinct_responsibility_share:.0%})"
            for m in extra or []
        )
        + " |"
    )
    lines.append(
        "| load average before | "
        + " | ".join(cells(lambda m: m.load_before, lambda v, n: f"{v:.2f}"))
        + " |"
    )
    return "\n".join(lines)


def run_bench(
    scales: list[int],
    work_dir: Path,
    repeats: int = 3,
    seed: int = 7,
    increment: int = 0,
    real_data: Path | None = None,
    baseline_scale: int = 0,
    progress=print,
) -> dict:
    """Run every scale `repeats` times; optionally the nightly increment onto the largest
    warehouse, the real data, and the baseline comparison. Returns everything measured."""
    work_dir.mkdir(parents=True, exist_ok=True)
    results: list[ScaleResult] = []
    for scale in scales:
        source, facts = generated(scale, seed, work_dir / "data")
        progress(
            f"bench: {scale:,} postings ({facts['bytes'] / 1e9:.2f} GB in {facts['files']} files)"
        )
        result = ScaleResult(scale, facts)
        for attempt in range(repeats):
            data_dir = work_dir / "runs" / f"{scale}-{attempt}"
            if data_dir.exists():
                import shutil

                shutil.rmtree(data_dir)
            measure = run_pipeline(
                f"{scale}",
                [f"synthetic={source}"],
                data_dir,
                scale,
                work_dir / f"run-{scale}-{attempt}.log",
            )
            if measure.returncode != 0:
                raise SystemExit(
                    f"bench: the pipeline failed at {scale:,} postings (run {attempt + 1}); "
                    f"see {work_dir / f'run-{scale}-{attempt}.log'}"
                )
            progress(
                f"bench: {scale:,} run {attempt + 1}/{repeats}: {measure.wall_seconds:.1f} s, "
                f"peak RSS {_fmt_bytes(measure.peak_rss_bytes)}"
            )
            result.runs.append(measure)
        results.append(result)
    extra: list[RunMeasure] = []
    if increment and results:
        largest = results[-1]
        source, _ = generated(increment, seed + 1, work_dir / "data", prefix="inc")
        base_dir = work_dir / "runs" / f"{largest.scale}-{len(largest.runs) - 1}"
        measure = run_pipeline(
            f"+{increment:,} onto {largest.scale:,}",
            [
                f"synthetic={generated(largest.scale, seed, work_dir / 'data')[0]}",
                f"increment={source}",
            ],
            base_dir,
            increment,
            work_dir / "run-increment.log",
            batch_id="2026-11-02",
        )
        progress(f"bench: increment of {increment:,}: {measure.wall_seconds:.1f} s")
        extra.append(measure)
    if real_data:
        count = sum(1 for p in real_data.rglob("*") if p.is_file())
        measure = run_pipeline(
            f"real data ({real_data.name})",
            [f"builtin={real_data}"],
            work_dir / "runs" / "real",
            count,
            work_dir / "run-real.log",
        )
        progress(f"bench: real data: {measure.wall_seconds:.1f} s")
        extra.append(measure)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "scales": [
            {"scale": r.scale, "data": r.data, "runs": [asdict(m) for m in r.runs]} for r in results
        ],
        "extra": [asdict(m) for m in extra],
        "growth": [
            {"from": a.scale, "to": b.scale, "exponent": round(growth_exponent(a, b), 3)}
            for a, b in zip(results, results[1:], strict=False)
        ],
        "table": table(results, extra),
    }
    if baseline_scale:
        from pipeline.bench.compare import compare_with_baseline

        source, _ = generated(baseline_scale, seed, work_dir / "data")
        report["baseline"] = compare_with_baseline(source, progress=progress)
    (work_dir / "bench.json").write_text(json.dumps(report, indent=1, default=str))
    return report

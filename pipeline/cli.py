"""`roleprint` command line: run the pipeline, prepare the dbt manifest, start the UI."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from pipeline.settings import DBT_PROJECT_DIR, PROJECT_DIR, Settings, SourceSpec


def prepare_dbt(quiet: bool = True) -> Path:
    """Write dbt_project/target/manifest.json, which `@dbt_assets` reads at import."""
    from pipeline.resources import dbt_executable

    cmd = [
        dbt_executable(),
        "parse",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    if quiet:
        cmd.append("--quiet")
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(
            f"dbt parse failed (exit {done.returncode}): fix the dbt project above, then rerun"
        )
    return DBT_PROJECT_DIR / "target" / "manifest.json"


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """True when the dbt manifest is missing or older than a file of the dbt project."""
    manifest = project_dir / "target" / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (project_dir / folder).rglob("*") if p.is_file()]
    return any(p.exists() and p.stat().st_mtime > built for p in sources)


def _apply_args_to_env(args: argparse.Namespace) -> None:
    if args.source:
        os.environ["ROLEPRINT_SOURCES"] = os.pathsep.join(args.source)
    if args.data_dir:
        os.environ["ROLEPRINT_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.batch_id:
        os.environ["ROLEPRINT_BATCH_ID"] = args.batch_id
    if args.taxonomy:
        os.environ["ROLEPRINT_TAXONOMY"] = str(Path(args.taxonomy).resolve())
    if args.mapping:
        os.environ["ROLEPRINT_FIELD_MAPS"] = os.pathsep.join(args.mapping)
    if args.sources_file:
        os.environ["ROLEPRINT_SOURCES_FILE"] = str(Path(args.sources_file).resolve())
    if args.no_dedup:
        os.environ["ROLEPRINT_DEDUP"] = "false"
    if args.reference_report:
        os.environ["ROLEPRINT_REFERENCE_REPORT"] = str(Path(args.reference_report).resolve())
    if args.eval_gold:
        os.environ["ROLEPRINT_EVAL_GOLD"] = str(Path(args.eval_gold).resolve())
    if args.eval_batch:
        os.environ["ROLEPRINT_EVAL_BATCHES"] = os.pathsep.join(args.eval_batch)


def _summary(settings: Settings) -> str:
    """What the last run ingested, then what the published warehouse holds."""
    import duckdb

    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        run = con.execute(
            """SELECT batch_id, coalesce(files_read, 0), coalesce(files_unchanged, 0), records_read,
                      loaded, coalesce(replaced, 0), quarantined, duplicates,
                      coalesce(unchanged, 0), ingested_at
               FROM raw.ingest_runs ORDER BY ingested_at DESC LIMIT 1"""
        ).fetchone()
        batch, files, skipped, read, loaded, replaced, quarantined, dups, unchanged, at = run
        reasons = con.execute(
            """SELECT source_uri || ' (' || locator || '): ' || reason FROM raw.quarantine
               WHERE batch_id = ? AND quarantined_at = ? ORDER BY source_uri, locator LIMIT 5""",
            [batch, at],
        ).fetchall()
        batches, postings, analysed = con.execute(
            "SELECT count(DISTINCT batch_id), count(*), count(*) FILTER (WHERE is_analysed) "
            "FROM clean.postings"
        ).fetchone()
        items = con.execute("SELECT count(*) FROM clean.responsibilities").fetchone()[0]
        split = con.execute(
            "SELECT role_type, count(*) FROM clean.posting_role_types GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
    lines = [
        f"this run (batch {batch}): {files} file(s) read, {skipped} unchanged file(s) skipped; "
        f"records read {read}: loaded {loaded} (of which {replaced} replace an earlier version), "
        f"quarantined {quarantined}, duplicates {dups}, unchanged since an earlier run {unchanged}",
        *(f"  quarantined: {r[0]}" for r in reasons),
        f"warehouse: {postings} postings in {batches} batch(es) (analysed {analysed}), "
        f"responsibilities {items}",
        "role types: " + ", ".join(f"{k} {v}" for k, v in split),
        f"warehouse (analysts' snapshot): {settings.published_path}",
        f"report: {settings.reports_dir / 'latest' / 'report.md'} and report.html",
    ]
    return "\n".join(lines)


def step_seconds(instance, run_id: str) -> dict[str, dict[str, float]]:
    """Each finished step's duration and its start and end (Unix seconds), by step key, from
    the run's event log."""
    started: dict[str, float] = {}
    steps: dict[str, dict[str, float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or entry.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[entry.step_key] = entry.timestamp
        elif event.event_type_value == "STEP_SUCCESS":
            steps[entry.step_key] = {
                "seconds": round(event.event_specific_data.duration_ms / 1000, 3),
                "start": started.get(entry.step_key, entry.timestamp),
                "end": entry.timestamp,
            }
    return steps


def run_config_for(rebuild: bool, full_refresh: bool) -> dict | None:
    """The refresh job's run config: a rebuild redoes every stage from raw and every dbt
    model from scratch; a full refresh only the dbt models."""
    ops: dict = {}
    if rebuild:
        ops["clean_postings"] = {"config": {"rebuild": True}}
    if rebuild or full_refresh:
        ops["roleprint_dbt_models"] = {"config": {"full_refresh": True}}
    return {"ops": ops} if ops else None


def cmd_run(args: argparse.Namespace) -> int:
    _apply_args_to_env(args)
    if manifest_is_stale():
        prepare_dbt()
    import dagster as dg

    from pipeline.definitions import defs, settings

    instance = (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )
    run_config = run_config_for(
        rebuild=getattr(args, "rebuild", False), full_refresh=getattr(args, "full_refresh", False)
    )
    result = defs.resolve_job_def("refresh_warehouse").execute_in_process(
        instance=instance, raise_on_error=False, run_config=run_config
    )
    if getattr(args, "timings", None):
        Path(args.timings).write_text(json.dumps(step_seconds(instance, result.run_id), indent=1))
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        failed_checks = [c for c in result.get_asset_check_evaluations() if not c.passed]
        checks = [f"{c.asset_key.to_user_string()}:{c.check_name}" for c in failed_checks]
        print(
            f"roleprint run FAILED: failed steps {failed}; failed checks {checks}", file=sys.stderr
        )
        for check in failed_checks:
            # the suite's summary: what failed, how many rows, sample values and a row's keys
            print(f"  {check.check_name}: {check.description}", file=sys.stderr)
        print("The previous published snapshot and report were left in place.", file=sys.stderr)
        return 1
    print(_summary(settings))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pipeline.evaluation.run import evaluate, format_tables, parse_batch
    from pipeline.taxonomy import load_taxonomy

    if not args.gold and not args.batch:
        raise SystemExit(
            "roleprint eval: give --gold FILE and/or --batch POSTINGS_DIR=REFERENCE_DIR"
        )
    try:
        batches = [parse_batch(b) for b in args.batch or []]
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    result = evaluate(
        load_taxonomy(args.taxonomy),
        gold=Path(args.gold) if args.gold else None,
        batches=batches,
        extractor=args.extractor,
    )
    print(format_tables(result))
    if args.json:
        Path(args.json).write_text(
            json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8"
        )
        print(f"JSON: {args.json}")
    if args.check_targets and result["target_failures"]:
        return 1
    return 1 if args.check_floors and result["floor_failures"] else 0


def cmd_classify(args: argparse.Namespace) -> int:
    from pipeline.classify.categories import classify_texts
    from pipeline.taxonomy import load_taxonomy

    source = sys.stdin if args.file in (None, "-") else open(args.file, encoding="utf-8")  # noqa: SIM115
    with source:
        texts = [line.strip() for line in source if line.strip()]
    labels = classify_texts(texts, load_taxonomy(args.taxonomy))
    for position, text in enumerate(texts):
        rows = labels.filter(labels["position"] == position).sort("rank")
        shown = ", ".join(
            f"{r['category']}{'/' + r['subpattern'] if r['subpattern'] else ''} {r['score']:.2f} [{r['evidence']}]"
            for r in rows.iter_rows(named=True)
        )
        print(f"{text}\n  -> {shown}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Render the report from a warehouse file, read-only (e.g. the analysts' snapshot)."""
    import duckdb

    from pipeline.assets.report import reference_from_file, write_report
    from pipeline.report.figures import BandThresholds, collect_figures
    from pipeline.taxonomy import load_taxonomy

    warehouse = Path(args.warehouse) if args.warehouse else Settings.from_env().published_path
    if not warehouse.is_file():
        raise SystemExit(
            f"no warehouse at {warehouse}: run `roleprint run` first or pass --warehouse"
        )
    tax = load_taxonomy(args.taxonomy)
    reference = reference_from_file(Path(args.reference_report) if args.reference_report else None)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        figures = collect_figures(con, BandThresholds(), tax, reference)
    out = Path(args.out)
    write_report(figures, tax.title, out)
    print(f"report: {out / 'report.md'}, report.html, report.json, charts/ (from {warehouse})")
    return 0


def cmd_compare_sources(args: argparse.Namespace) -> int:
    """Field agreement of two shapes of the same postings (e.g. job pages against YAML)."""
    from datetime import UTC, datetime

    from pipeline.evaluation.field_agreement import field_agreement, unmatched
    from pipeline.sources.ingest import ingest_sources
    from pipeline.text.clean import clean_batch

    now = datetime.now(UTC).replace(tzinfo=None)
    frames = []
    for label in ("reference", "candidate"):
        spec = SourceSpec.parse(getattr(args, label))
        result = ingest_sources([spec], "compare", now)
        print(f"{label} {spec}: {result.totals()}")
        frames.append(clean_batch(result.postings))
    only_ref, only_cand = unmatched(*frames)
    print(f"matched on posting_id; only in reference {only_ref}, only in candidate {only_cand}")
    rows = field_agreement(*frames)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    for row in rows:
        print("  " + ", ".join(f"{k} {v}" for k, v in row.items()))
    return 0


def cmd_sources_check(args: argparse.Namespace) -> int:
    """Validate sources.yaml and show a few records of each source as they would load."""
    from pipeline.sources.catalog import SourcesError, load_sources, sample_source

    try:
        sources = load_sources(Path(args.file))
    except SourcesError as exc:
        print(f"sources check FAILED: {exc}", file=sys.stderr)
        return 1
    for source in sources:
        print(f"{source.spec.name} ({source.type}): {source.spec.path}")
        if source.api:
            print(f"  {source.api} board {source.board!r}: fetched into that folder at each run")
            if not source.spec.path.exists():
                continue
        for line in sample_source(source, args.sample):
            print(f"  {line}")
    print(f"{len(sources)} source(s) valid")
    return 0


def cmd_checksums(args: argparse.Namespace) -> int:
    """Print each mart's checksum: two warehouses with equal lines have equal marts."""
    import duckdb

    from pipeline.warehouse import mart_checksums

    path = Path(args.warehouse) if args.warehouse else Settings.from_env().published_path
    if not path.exists():
        print(
            f"no warehouse at {path}: run `roleprint run` first or pass --warehouse",
            file=sys.stderr,
        )
        return 2
    with duckdb.connect(str(path), read_only=True) as con:
        for mart, digest in mart_checksums(con).items():
            print(f"{digest}  marts.{mart}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from pipeline.bench.runner import run_bench

    # an empty --scales runs only what else is asked (the baseline, the real data)
    scales = [int(s.replace("_", "").replace(",", "")) for s in args.scales.split(":") if s.strip()]
    report = run_bench(
        scales,
        Path(args.work_dir).resolve(),
        repeats=args.repeat,
        seed=args.seed,
        increment=args.increment,
        real_data=Path(args.real_data).resolve() if args.real_data else None,
        baseline_scale=args.baseline_scale,
    )
    print(report["table"])
    for growth in report["growth"]:
        print(
            f"time grows as size^{growth['exponent']} from {growth['from']:,} to {growth['to']:,}"
        )
    if "baseline" in report:
        base = report["baseline"]
        print(
            f"baseline on {base['postings']:,} postings: fast path "
            f"{base['fast_postings_per_second']:,.0f} postings/s, naive pandas "
            f"{base['baseline_postings_per_second']:,.1f} postings/s: "
            f"{base['ratio']['normalise + extract + classify']:.1f}x"
        )
    print(f"everything measured: {Path(args.work_dir).resolve() / 'bench.json'}")
    return 0


def cmd_prepare(_: argparse.Namespace) -> int:
    print(f"dbt manifest: {prepare_dbt()}")
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    if manifest_is_stale():
        prepare_dbt()
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [
        str(dagster),
        "dev",
        "-w",
        str(PROJECT_DIR / "workspace.yaml"),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    # started in the foreground with default signal handling, so Ctrl-C stops it cleanly
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.call(cmd, cwd=PROJECT_DIR)
    except KeyboardInterrupt:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roleprint", description="Job postings -> responsibilities analysis."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="materialise the whole pipeline once")
    run.add_argument(
        "--source",
        action="append",
        help="file or directory of postings, optionally name=path (repeatable)",
    )
    run.add_argument(
        "--data-dir",
        help="where the warehouse and reports go (default ./data or ROLEPRINT_DATA_DIR)",
    )
    run.add_argument("--batch-id", help="batch id (default: a date in the source path, else today)")
    run.add_argument(
        "--taxonomy", help="taxonomy YAML (default: the bundled AI-engineering taxonomy)"
    )
    run.add_argument(
        "--mapping",
        action="append",
        help="a source's own field mapping: source_name=mapping.yaml (repeatable)",
    )
    run.add_argument(
        "--no-dedup",
        action="store_true",
        help="count duplicate postings (to reproduce sources that did not dedupe)",
    )
    run.add_argument(
        "--reference-report",
        help="a hand-written report (Markdown) whose frequency bands the report compares with",
    )
    run.add_argument(
        "--eval-gold", help="hand-labelled responsibilities: evaluate and report measured quality"
    )
    run.add_argument(
        "--eval-batch",
        action="append",
        help="POSTINGS_DIR=REFERENCE_DIR to evaluate extraction and role types on (repeatable)",
    )
    run.add_argument(
        "--sources-file", help="sources.yaml listing sources by type and location (see README)"
    )
    run.add_argument(
        "--rebuild",
        action="store_true",
        help="redo every stage for every posting from the raw layer and rebuild every dbt model "
        "from scratch (after upgrading roleprint)",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental dbt models from scratch (dbt build --full-refresh), "
        "without redoing the Python stages",
    )
    run.add_argument("--timings", help="also write each step's duration (seconds) as JSON here")
    run.set_defaults(func=cmd_run)

    rep = sub.add_parser("report", help="render the report from a warehouse file (read-only)")
    rep.add_argument(
        "--warehouse", help="DuckDB file (default: the published snapshot under the data dir)"
    )
    rep.add_argument("--out", required=True, help="directory for report.md/.html/.json and charts")
    rep.add_argument("--taxonomy", help="taxonomy YAML (default: bundled)")
    rep.add_argument("--reference-report", help="hand-written report to compare bands with")
    rep.set_defaults(func=cmd_report)

    ev = sub.add_parser(
        "eval", help="measure categories, extraction and role types against references"
    )
    ev.add_argument(
        "--gold", help="hand-labelled responsibilities (JSONL: text, primary, secondary)"
    )
    ev.add_argument(
        "--batch",
        action="append",
        help="POSTINGS_DIR=REFERENCE_DIR (reference: enriched records); repeatable",
    )
    ev.add_argument("--taxonomy", help="taxonomy YAML (default: bundled)")
    ev.add_argument("--extractor", default="rules", help="extractor backend (default: rules)")
    ev.add_argument("--json", help="write every figure as JSON here")
    ev.add_argument(
        "--check-targets", action="store_true", help="exit 1 when a figure is below its target"
    )
    ev.add_argument(
        "--check-floors",
        action="store_true",
        help="exit 1 when a figure falls below what was already achieved (the CI guard)",
    )
    ev.set_defaults(func=cmd_eval)

    cl = sub.add_parser(
        "classify", help="label responsibility texts (one per line) from a file or stdin"
    )
    cl.add_argument(
        "file", nargs="?", help="text file, one responsibility per line (default: stdin)"
    )
    cl.add_argument("--taxonomy", help="taxonomy YAML (default: bundled)")
    cl.set_defaults(func=cmd_classify)

    src = sub.add_parser("sources", help="configured sources (sources.yaml)")
    src_sub = src.add_subparsers(dest="sources_command", required=True)
    check = src_sub.add_parser("check", help="validate sources.yaml and sample each source")
    check.add_argument("--file", default="sources.yaml", help="default: ./sources.yaml")
    check.add_argument("--sample", type=int, default=3, help="records to show per source")
    check.set_defaults(func=cmd_sources_check)

    cmp = sub.add_parser(
        "compare-sources",
        help="field agreement of two shapes of the same postings (e.g. HTML pages vs YAML)",
    )
    cmp.add_argument("reference", help="the shape taken as right: [name=]path")
    cmp.add_argument("candidate", help="the shape measured: [name=]path")
    cmp.add_argument("--json", help="also write the figures here")
    cmp.set_defaults(func=cmd_compare_sources)

    chk = sub.add_parser(
        "checksums", help="sha256 of every mart's rows (compare two runs or two warehouses)"
    )
    chk.add_argument(
        "--warehouse", help="DuckDB file (default: the published snapshot under the data dir)"
    )
    chk.set_defaults(func=cmd_checksums)

    bench = sub.add_parser(
        "bench", help="time the pipeline on synthetic postings at several scales (see README)"
    )
    bench.add_argument(
        "--scales",
        default="10000:100000:1000000",
        help="postings per scale, colon-separated ('' for none)",
    )
    bench.add_argument("--repeat", type=int, default=3, help="runs per scale (median reported)")
    bench.add_argument("--work-dir", default="bench", help="generated data, runs and bench.json")
    bench.add_argument("--seed", type=int, default=7, help="the generator's seed")
    bench.add_argument(
        "--increment",
        type=int,
        default=10_000,
        help="new postings added as a nightly batch onto the largest warehouse (0: skip)",
    )
    bench.add_argument("--real-data", help="also time a folder of real postings")
    bench.add_argument(
        "--baseline-scale",
        type=int,
        default=100_000,
        help="postings for the naive-baseline comparison (0: skip)",
    )
    bench.set_defaults(func=cmd_bench)

    prep = sub.add_parser("prepare", help="parse the dbt project (writes target/manifest.json)")
    prep.set_defaults(func=cmd_prepare)

    ui = sub.add_parser("ui", help="start the Dagster UI")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())

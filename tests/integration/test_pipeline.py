"""Real runs of the whole graph: Dagster in-process, real DuckDB files, real `dbt build`."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from pipeline.automation import inbox_sensor
from pipeline.definitions import build_definitions
from pipeline.extract import EXTRACTORS, extract_responsibilities
from pipeline.settings import SAMPLE_POSTINGS_DIR, Settings, SourceSpec
from pipeline.warehouse import mart_checksums

pytestmark = pytest.mark.integration

MARTS = (
    "category_frequency",
    "subpattern_frequency",
    "role_type_split",
    "titles_by_role_type",
    "word_frequency",
    "batch_trends",
)


def run(settings: Settings) -> dg.ExecuteInProcessResult:
    job = build_definitions(settings).resolve_job_def("refresh_warehouse")
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def query(path: Path, sql: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def mart_digest(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True) as con:
        checksums = mart_checksums(con)
    assert set(checksums) >= set(MARTS)
    return checksums


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        sources=(SourceSpec("sample", SAMPLE_POSTINGS_DIR),),
        batch_id="2026-03-01",
    )
    result = run(settings)
    return settings, result


def test_sample_run_succeeds_and_publishes(sample_run):
    settings, result = sample_run
    assert result.success
    assert settings.published_path.exists()
    report = (settings.reports_dir / "latest" / "report.md").read_text()
    assert report.startswith("# AI Engineering Responsibilities Analysis")
    assert (
        (settings.reports_dir / "latest" / "report.html").read_text().startswith("<!DOCTYPE html>")
    )
    latest_chart = settings.reports_dir / "latest" / "charts" / "category_shares.svg"
    assert latest_chart.read_text().startswith("<svg")
    checks = [e for e in result.get_asset_check_evaluations()]
    assert checks and all(c.passed for c in checks if c.severity == dg.AssetCheckSeverity.ERROR)


def test_a_run_builds_with_the_data_tests_and_without_the_unit_tests(sample_run):
    settings, _ = sample_run
    results = json.loads((settings.data_dir / "dbt_target" / "run_results.json").read_text())
    kinds = {r["unique_id"].split(".")[0] for r in results["results"]}
    assert {"model", "test"} <= kinds and "unit_test" not in kinds


def test_every_record_is_accounted_for(sample_run):
    settings, _ = sample_run
    ((read, loaded, quarantined, dups),) = query(
        settings.published_path,
        "SELECT sum(records_read), sum(loaded), sum(quarantined), sum(duplicates) FROM raw.ingest_accounting",
    )
    assert read == loaded + quarantined + dups
    assert query(settings.published_path, "SELECT count(*) FROM raw.postings")[0][0] == loaded
    assert (
        query(settings.published_path, "SELECT count(*) FROM raw.quarantine")[0][0]
        == quarantined
        >= 2
    )


def test_stages_fill_their_contracts(sample_run):
    settings, _ = sample_run
    db = settings.published_path
    postings, duplicates, non_english = query(
        db,
        "SELECT count(*), count(duplicate_of), count(*) FILTER (WHERE language <> 'en') FROM clean.postings",
    )[0]
    assert postings >= 40 and duplicates >= 1 and non_english >= 1
    covered = query(db, "SELECT count(DISTINCT posting_id) FROM clean.responsibilities")[0][0]
    assert covered >= 0.9 * postings
    assert query(db, "SELECT count(*) FROM clean.posting_role_types")[0][0] == postings
    # every responsibility has exactly one primary label
    assert (
        query(
            db,
            """SELECT count(*) FROM clean.responsibilities r
           LEFT JOIN clean.responsibility_labels l ON l.batch_id = r.batch_id AND l.posting_id = r.posting_id
                AND l.position = r.position AND l.rank = 1
           WHERE l.category IS NULL""",
        )[0][0]
        == 0
    )
    shares = query(
        db,
        "SELECT count(*), min(share_of_roles), max(share_of_roles) FROM marts.category_frequency",
    )[0]
    assert shares[0] == 17 and 0 <= shares[1] <= shares[2] <= 1


def test_rerun_is_idempotent(sample_run):
    """The same inputs again: no file is read, no posting redone, every mart byte-identical."""
    settings, first = sample_run
    db = settings.published_path
    before = mart_digest(db)
    labels = query(db, "SELECT * FROM clean.responsibility_labels ORDER BY ALL")
    files = query(db, "SELECT count(*) FROM raw.file_manifest")[0][0]
    again = run(settings)
    assert again.success
    assert mart_digest(db) == before
    assert query(db, "SELECT * FROM clean.responsibility_labels ORDER BY ALL") == labels
    # (files read, files skipped as unchanged, records read, loaded)
    assert query(
        db,
        "SELECT files_read, files_unchanged, records_read, loaded FROM raw.ingest_runs "
        "ORDER BY ingested_at DESC LIMIT 1",
    ) == [(0, files, 0, 0)]
    # every stage's state still names the first run: nothing was redone
    assert query(db, "SELECT DISTINCT run_id FROM meta.stage_state") == [(first.run_id,)]
    checks = {c.check_name: c for c in again.get_asset_check_evaluations()}
    assert checks["clean_postings_suite"].description.startswith("nothing new")
    assert checks["records_accounted_for"].passed


def test_enriched_records_bypass_extraction_and_role_typing(tmp_path):
    src = tmp_path / "enriched"
    src.mkdir()
    for i, (kind, items) in enumerate(
        [
            ("ai-first", ["Build agents with tool calling", "Evaluate LLM outputs"]),
            ("ml-first", ["Train churn models"]),
            ("unknown", ["Same text"]),
            ("ai-support", ["Same text"]),
        ]
    ):
        doc = {
            "company": {"name": f"Co{i}"},
            "position": {
                "title": "Senior AI Engineer",
                "ai_type": {"type": kind},
                "responsibilities": items,
            },
            "meta": {"job_id": str(100 + i)},
        }
        (src / f"{i}.yaml").write_text(yaml.safe_dump(doc))
    settings = Settings(
        data_dir=tmp_path / "data",
        sources=(SourceSpec("guide", src),),
        batch_id="2026-02-04",
        dedup=False,
    )
    assert run(settings).success
    db = settings.published_path
    assert query(db, "SELECT count(*), count(DISTINCT method) FROM clean.responsibilities") == [
        (5, 1)
    ]
    assert query(
        db, "SELECT role_type, postings FROM marts.role_type_split ORDER BY role_type"
    ) == [("ai-first", 1), ("ai-support", 1), ("ml-first", 1), ("unknown", 1)]
    # dedup off: the two postings with identical items both count
    assert query(
        db, "SELECT count(*) FILTER (WHERE is_analysed), count(duplicate_of) FROM clean.postings"
    ) == [(4, 1)]


def test_failing_blocking_check_stops_downstream_and_keeps_last_snapshot(sample_run, monkeypatch):
    settings, _ = sample_run
    published_before = settings.published_path.read_bytes()
    report_before = (settings.reports_dir / "latest" / "report.md").read_bytes()

    def broken_extractor(postings):
        # a backend bug: every position is negative, which the responsibilities suite forbids
        items = extract_responsibilities(postings)
        return items.with_columns(position=-1 - items["position"])

    monkeypatch.setitem(EXTRACTORS, "broken", broken_extractor)
    broken = Settings(
        data_dir=settings.data_dir,
        sources=settings.sources,
        batch_id=settings.batch_id,
        extractor="broken",
    )
    result = run(broken)
    assert not result.success
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    assert [c.check_name for c in failed] == ["responsibilities_suite"]
    # the message names the check, the rule, the count, sample values and an offending row
    description = failed[0].description or ""
    assert description.startswith("responsibilities: ") and "position >= 0" in description
    assert f"e.g. batch_id={settings.batch_id}, posting_id=" in description
    sample_rows = failed[0].metadata["failed"].value[0]["sample_rows"]
    assert sample_rows and all(row["position"] < 0 for row in sample_rows)
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "responsibilities" in materialized
    assert not materialized & {
        "responsibility_labels",
        "posting_role_types",
        "marts/category_frequency",
        "report",
        "published_warehouse",
    }
    assert settings.published_path.read_bytes() == published_before
    assert (settings.reports_dir / "latest" / "report.md").read_bytes() == report_before


def test_inbox_sensor_requests_a_run_for_new_files(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sensor = inbox_sensor(Settings(data_dir=tmp_path, sources=(), inbox_dir=inbox))
    with dg.build_sensor_context() as ctx:
        assert isinstance(sensor(ctx), dg.SkipReason)
    (inbox / "new.jsonl").write_text('{"id": 1, "title": "AI Engineer", "description": "x"}\n')
    with dg.build_sensor_context() as ctx:
        request = sensor(ctx)
        assert isinstance(request, dg.RunRequest)
        assert request.run_config["ops"]["ingest"]["config"]["sources"] == [
            f"inbox={inbox / 'new.jsonl'}"
        ]
        cursor = ctx.cursor
    with dg.build_sensor_context(cursor=cursor) as ctx:
        assert isinstance(sensor(ctx), dg.SkipReason)


def test_evaluation_asset_runs_when_references_are_configured(tmp_path):
    # a tiny gold file and reference written here; the asset scores the bundled samples
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"text": "Integrate the OpenAI API with retries and fallbacks", "primary": "provider_apis", "secondary": []}\n'
        '{"text": "Mentor junior engineers and review their code", "primary": "collaboration", "secondary": []}\n'
    )
    reference = tmp_path / "reference"
    reference.mkdir()
    doc = {
        "position": {
            "title": "AI Engineer",
            "ai_type": {"type": "ai-first"},
            "responsibilities": ["Build agents"],
        },
        "meta": {"job_id": "4810231"},
    }
    (reference / "4810231.yaml").write_text(yaml.safe_dump(doc))
    settings = Settings(
        data_dir=tmp_path / "data",
        sources=(SourceSpec("sample", SAMPLE_POSTINGS_DIR),),
        eval_gold=gold,
        eval_batches=(f"{SAMPLE_POSTINGS_DIR}={reference}",),
    )
    job = build_definitions(settings).resolve_job_def("refresh_warehouse")
    result = job.execute_in_process(
        asset_selection=[dg.AssetKey("evaluation")], instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    (mat,) = [
        m
        for m in result.get_asset_materialization_events()
        if m.asset_key.to_user_string() == "evaluation"
    ]
    metadata = mat.materialization.metadata
    assert metadata["categories_micro_f1"].value == 1.0
    assert metadata["batch0_role_types_accuracy"].value == 1.0
    assert (tmp_path / "data" / "evaluation" / "latest.json").exists()
    # the headline figures land in the warehouse for the report's methods section ...
    rows = query(
        settings.warehouse_path,
        "SELECT metric, dataset, value, target, items FROM meta.evaluation_results ORDER BY metric",
    )
    assert len(rows) == 7
    assert ("categories.micro_f1", "gold.jsonl", 1.0, 0.85, 2) in rows
    # ... and the report waits for the evaluation
    graph = build_definitions(settings).resolve_asset_graph()
    assert dg.AssetKey("evaluation") in graph.get(dg.AssetKey("report")).parent_keys


def test_accounting_check_names_the_source_that_does_not_add_up(sample_run, tmp_path):
    import shutil

    from pipeline.assets.checks import records_accounted_for
    from pipeline.resources import Warehouse

    settings, _ = sample_run
    good = records_accounted_for(warehouse=Warehouse(database=str(settings.published_path)))
    assert good.passed and good.description.startswith("balanced: ")
    assert good.metadata["records_read"].value == (
        good.metadata["loaded"].value
        + good.metadata["quarantined"].value
        + good.metadata["duplicates"].value
    )
    # a posting and a quarantine row go missing after ingest: the check says which source
    copy = tmp_path / "roleprint.duckdb"
    shutil.copy(settings.published_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "DELETE FROM raw.postings WHERE posting_id = (SELECT min(posting_id) FROM raw.postings)"
        )
        con.execute(
            "DELETE FROM raw.quarantine WHERE rowid = (SELECT min(rowid) FROM raw.quarantine)"
        )
    bad = records_accounted_for(warehouse=Warehouse(database=str(copy)))
    assert not bad.passed
    assert "sample: " in bad.description and "rows in raw.postings" in bad.description
    assert "rows in raw.quarantine" in bad.description


def test_no_email_or_phone_number_reaches_the_marts_or_the_report(sample_run):
    import re

    from pipeline.text.normalise import EMAIL, PHONE

    settings, _ = sample_run
    pii = re.compile(f"{EMAIL}|{PHONE}")
    # the samples carry contact details, one of them inside a duty, so the test is not vacuous
    raw = query(
        settings.published_path, "SELECT string_agg(description_raw, ' ') FROM raw.postings"
    )
    assert pii.search(raw[0][0])
    redacted = query(
        settings.published_path,
        "SELECT count(*) FROM clean.responsibilities WHERE text LIKE '%[email]%[phone]%'",
    )
    assert redacted[0][0] >= 1
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        text_columns = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND data_type = 'VARCHAR'"
        ).fetchall()
        assert len({t for t, _ in text_columns}) >= 8
        for table, column in text_columns:
            values = con.execute(f'SELECT DISTINCT "{column}" FROM marts."{table}"').fetchall()
            leaks = [v for (v,) in values if v and pii.search(v)]
            assert not leaks, f"marts.{table}.{column}: {leaks[:3]}"
    for name in ("report.md", "report.html", "report.json"):
        text = (settings.reports_dir / "latest" / name).read_text(encoding="utf-8")
        assert not pii.search(text), f"{name}: {pii.search(text).group(0)}"

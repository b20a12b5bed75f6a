"""The report from real runs: two batches (trend, change), a reference to compare bands with,
and byte-identical Markdown and JSON when rebuilt from the same warehouse."""

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.settings import Settings
from tests.support import FIRST_BATCH, SECOND_BATCH, TwoBatches, execute

pytestmark = pytest.mark.integration

FIRST, SECOND = FIRST_BATCH, SECOND_BATCH


@pytest.fixture(scope="module")
def two_batches(two_batches: TwoBatches):
    """The shared two-batch warehouse (conftest), as (settings, result) of the second run."""
    return two_batches.later, two_batches.result


def report_dir(settings: Settings, result: dg.ExecuteInProcessResult) -> Path:
    return settings.reports_dir / SECOND / result.run_id


def test_report_files_are_written_per_run_and_published_as_latest(two_batches):
    settings, result = two_batches
    run_dir, latest = report_dir(settings, result), settings.reports_dir / "latest"
    for name in ("report.md", "report.html", "report.json", "charts/trend.svg"):
        assert (run_dir / name).read_bytes() == (latest / name).read_bytes(), name
    html = (latest / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "<img" not in html
    (mat,) = [
        m.materialization
        for m in result.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey("report")
    ]
    assert mat.metadata["report"].value == (latest / "report.md").read_text(encoding="utf-8")
    assert mat.metadata["html_path"].value == str(run_dir / "report.html")
    # latest is a link swapped in by the publish step, so it never shows half a report
    assert latest.is_symlink() and latest.resolve() == run_dir.resolve()


def test_trend_and_change_sections_match_the_marts(two_batches):
    settings, result = two_batches
    figures = json.loads((report_dir(settings, result) / "report.json").read_text())
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        changes = con.execute(
            """SELECT category, previous_batch_id, share_change, direction
               FROM marts.category_changes_between_batches WHERE batch_id = ?
               ORDER BY category""",
            [SECOND],
        ).fetchall()
        trend_batches = con.execute(
            "SELECT DISTINCT batch_id FROM marts.batch_trends ORDER BY 1"
        ).fetchall()
    assert trend_batches == [(FIRST,), (SECOND,)] and figures["batches"] == [FIRST, SECOND]
    assert len(changes) == len(figures["changes"]) > 0
    assert {c[1] for c in changes} == {FIRST}
    assert sorted(
        (c["category"], c["previous_batch_id"], c["share_change"], c["direction"])
        for c in figures["changes"]
    ) == sorted(changes)
    md = (report_dir(settings, result) / "report.md").read_text(encoding="utf-8")
    assert f"| Category | {FIRST} | {SECOND} |" in md
    assert f"{SECOND} (" in md.split("## Change Since the Previous Batch")[1]


def test_bands_are_compared_with_the_configured_reference(two_batches):
    settings, result = two_batches
    figures = json.loads((report_dir(settings, result) / "report.json").read_text())
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        bands = dict(
            con.execute(
                "SELECT category, band FROM marts.category_frequency WHERE category IN "
                "('building_ai_systems', 'collaboration')"
            ).fetchall()
        )
    rows = {r["category"] or r["reference_name"]: r for r in figures["reference"]["bands"]}
    assert figures["reference"]["name"] == "reference.md"
    for category in ("building_ai_systems", "collaboration"):
        assert rows[category]["reference_band"] == "very_common"
        assert rows[category]["band"] == bands[category]
        assert rows[category]["status"] == (
            "same" if bands[category] == "very_common" else "differs"
        )
    assert rows["Prompt Whispering"]["status"] == "not in taxonomy"
    md = (report_dir(settings, result) / "report.md").read_text(encoding="utf-8")
    assert "In the reference but not in the taxonomy: Prompt Whispering." in md


def test_same_warehouse_gives_byte_identical_markdown_and_json(two_batches):
    settings, first = two_batches
    again = execute(settings, ["report"])
    assert again.success and again.run_id != first.run_id
    for name in ("report.md", "report.json", "report.html"):
        assert (report_dir(settings, again) / name).read_bytes() == (
            report_dir(settings, first) / name
        ).read_bytes(), name


def test_cli_report_from_the_snapshot_equals_the_pipelines(two_batches, tmp_path):
    from pipeline.cli import main

    settings, result = two_batches
    assert (
        main(
            [
                "report",
                "--warehouse",
                str(settings.published_path),
                "--out",
                str(tmp_path),
                "--reference-report",
                str(settings.reference_report),
            ]
        )
        == 0
    )
    for name in ("report.md", "report.json", "charts/trend.svg"):
        assert (tmp_path / name).read_bytes() == (
            report_dir(settings, result) / name
        ).read_bytes(), name
    with pytest.raises(SystemExit, match="no warehouse at"):
        main(["report", "--warehouse", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path)])

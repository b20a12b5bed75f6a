"""Stage 6, report and publish: Markdown/HTML/JSON from the marts; the analysts' snapshot."""

import os
import shutil
from pathlib import Path

import dagster as dg

from pipeline.report.build import chart_svgs, figures_json, render_html, render_markdown
from pipeline.report.figures import BandThresholds, ReferenceReport, collect_figures
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy
from pipeline.warehouse import publish

MART_KEYS = [
    dg.AssetKey(["marts", name])
    for name in (
        "category_frequency",
        "subpattern_frequency",
        "role_type_split",
        "titles_by_role_type",
        "word_frequency",
        "batch_trends",
        "category_changes_between_batches",
        "representative_responsibilities",
        "category_profiles_by_role_type",
        "pipeline_accounting",
        "analysis_methods",
    )
]


def report_dir(settings: Settings, batch_id: str, run_id: str) -> Path:
    """Where one run writes its report: reports/<batch>/<run id>/."""
    return settings.reports_dir / batch_id / run_id


def write_report(figures: dict, title: str, directory: Path) -> str:
    """Write report.md, report.html, report.json and charts/ into directory; returns the Markdown."""
    markdown_text = render_markdown(figures)
    charts = chart_svgs(figures)
    # the directory mirrors this report exactly: a chart it lacks must not linger there
    shutil.rmtree(directory / "charts", ignore_errors=True)
    (directory / "charts").mkdir(parents=True)
    for name, svg in charts.items():
        (directory / "charts" / name).write_text(svg, encoding="utf-8")
    (directory / "report.md").write_text(markdown_text, encoding="utf-8")
    (directory / "report.html").write_text(
        render_html(markdown_text, title, charts), encoding="utf-8"
    )
    (directory / "report.json").write_text(figures_json(figures), encoding="utf-8")
    return markdown_text


def point_latest_at(run_dir: Path, latest: Path) -> None:
    """Make `latest` show one run's report, in one atomic step: a symlink swapped by rename.

    Readers of latest/ see the previous report or the new one, never a mix of the two.
    """
    if latest.exists() and not latest.is_symlink():
        shutil.rmtree(latest)  # a copied directory from before latest became a link
    tmp = latest.with_name(f".{latest.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(os.path.relpath(run_dir, latest.parent), target_is_directory=True)
    os.replace(tmp, latest)


def reference_from_file(path: Path | None) -> ReferenceReport | None:
    if path is None:
        return None
    if not path.is_file():
        raise FileNotFoundError(
            f"reference report {path} is not a readable file: fix the path "
            "(--reference-report / ROLEPRINT_REFERENCE_REPORT) or leave it unset"
        )
    return ReferenceReport(name=path.name, text=path.read_text(encoding="utf-8"))


def build_report(settings: Settings) -> dg.AssetsDefinition:
    """The report asset; it also waits for the evaluation when one is configured."""
    deps = [*MART_KEYS]
    if settings.eval_gold or settings.eval_batches:
        deps.append(dg.AssetKey("evaluation"))

    @dg.asset(
        name="report",
        group_name="report",
        pool=WAREHOUSE_POOL,
        deps=deps,
        kinds={"markdown", "html"},
        description="The analysis report (Markdown, HTML with charts, JSON of every figure), every number read from the marts.",
    )
    def report(
        context: dg.AssetExecutionContext, roleprint: RoleprintConfig, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        run_settings = roleprint.settings()
        tax = load_taxonomy(roleprint.taxonomy_path)
        batch_id = warehouse.current_batch()
        with warehouse.connect() as con:
            figures = collect_figures(
                con, BandThresholds(), tax, reference_from_file(run_settings.reference_report)
            )
        run_dir = report_dir(run_settings, batch_id, context.run_id)
        markdown_text = write_report(figures, tax.title, run_dir)
        return dg.MaterializeResult(
            metadata={
                "report": dg.MetadataValue.md(markdown_text),
                "markdown_path": dg.MetadataValue.path(str(run_dir / "report.md")),
                "html_path": dg.MetadataValue.path(str(run_dir / "report.html")),
                "json_path": dg.MetadataValue.path(str(run_dir / "report.json")),
                "latest_after_publish": dg.MetadataValue.path(
                    str(run_settings.reports_dir / "latest")
                ),
                "postings": figures["postings"],
                "responsibilities": figures["responsibilities"],
                "batches": len(figures["batches"]),
            }
        )

    return report


@dg.asset(
    group_name="publish",
    pool=WAREHOUSE_POOL,
    deps=["report"],
    kinds={"duckdb"},
    description=(
        "The analysts' read-only snapshot of the warehouse, swapped in atomically after a "
        "successful run; reports/latest then points at this run's report."
    ),
)
def published_warehouse(
    context: dg.AssetExecutionContext, roleprint: RoleprintConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    settings = roleprint.settings()
    path = publish(settings.warehouse_path, settings.published_path)
    # the report goes live with the snapshot it describes, never before it
    run_dir = report_dir(settings, warehouse.current_batch(), context.run_id)
    latest = settings.reports_dir / "latest"
    if (run_dir / "report.md").exists():
        point_latest_at(run_dir, latest)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "bytes": path.stat().st_size,
            "report": dg.MetadataValue.path(str(latest / "report.md")),
        }
    )

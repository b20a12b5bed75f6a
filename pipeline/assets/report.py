"""Stage 6, report and publish: Markdown/HTML/JSON from the marts; the analysts' snapshot."""

import shutil

import dagster as dg

from pipeline.report.build import (
    BandThresholds,
    chart_svgs,
    collect_figures,
    figures_json,
    render_html,
    render_markdown,
)
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
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
        "representative_responsibilities",
        "category_profiles_by_role_type",
    )
]


@dg.asset(
    group_name="report",
    pool=WAREHOUSE_POOL,
    deps=MART_KEYS,
    kinds={"markdown", "html"},
    description="The analysis report (Markdown, HTML, JSON of every figure), every number read from the marts.",
)
def report(
    context: dg.AssetExecutionContext, roleprint: RoleprintConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    settings = roleprint.settings()
    tax = load_taxonomy(roleprint.taxonomy_path)
    batch_id = warehouse.current_batch()
    with warehouse.connect() as con:
        figures = collect_figures(con, BandThresholds(), tax.title, tax.role_noun)
    markdown_text = render_markdown(figures)
    run_dir = settings.reports_dir / batch_id / context.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    charts = chart_svgs(figures)
    (run_dir / "charts").mkdir(exist_ok=True)
    for name, svg in charts.items():
        (run_dir / "charts" / name).write_text(svg, encoding="utf-8")
    (run_dir / "report.md").write_text(markdown_text, encoding="utf-8")
    (run_dir / "report.html").write_text(
        render_html(markdown_text, tax.title, charts), encoding="utf-8"
    )
    (run_dir / "report.json").write_text(figures_json(figures), encoding="utf-8")
    latest = settings.reports_dir / "latest"
    latest.mkdir(parents=True, exist_ok=True)
    for name in ("report.md", "report.html", "report.json"):
        shutil.copyfile(run_dir / name, latest / name)
    shutil.copytree(run_dir / "charts", latest / "charts", dirs_exist_ok=True)
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.md(markdown_text),
            "markdown_path": dg.MetadataValue.path(str(latest / "report.md")),
            "html_path": dg.MetadataValue.path(str(latest / "report.html")),
            "run_copy": dg.MetadataValue.path(str(run_dir)),
            "postings": figures["postings"],
            "responsibilities": figures["responsibilities"],
        }
    )


@dg.asset(
    group_name="publish",
    pool=WAREHOUSE_POOL,
    deps=["report"],
    kinds={"duckdb"},
    description="The analysts' read-only snapshot of the warehouse, swapped in atomically after a successful run.",
)
def published_warehouse(roleprint: RoleprintConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    settings = roleprint.settings()
    path = publish(settings.warehouse_path, settings.published_path)
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path)), "bytes": path.stat().st_size}
    )

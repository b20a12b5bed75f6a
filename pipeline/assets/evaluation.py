"""The analysis-quality evaluation, shown in the UI when reference data is configured.

Configured by ROLEPRINT_EVAL_GOLD (hand-labelled responsibilities) and ROLEPRINT_EVAL_BATCHES
(POSTINGS_DIR=REFERENCE_DIR pairs); absent both, the asset is not part of the code location.
"""

import json

import dagster as dg
import polars as pl

from pipeline.evaluation.run import TARGETS, evaluate, format_tables, parse_batch, quality_figures
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.settings import Settings
from pipeline.taxonomy import load_taxonomy
from pipeline.warehouse import replace_rows

EVALUATION_SCHEMA = {
    "taxonomy": pl.String,
    "dataset": pl.String,
    "metric": pl.String,
    "value": pl.Float64,
    "target": pl.Float64,
    "items": pl.Int64,
}


def _key_figures(result: dict) -> dict[str, float]:
    figures = {}
    if "categories" in result:
        figures["categories_micro_f1"] = result["categories"]["micro"]["f1"]
        figures["categories_primary_accuracy"] = result["categories"]["primary_accuracy"]
    for i, batch in enumerate(result.get("batches", [])):
        for key in ("recall", "coverage", "items_per_posting"):
            figures[f"batch{i}_extraction_{key}"] = batch["extraction"].get(key, 0.0)
        for key in ("accuracy", "macro_f1", "ml_first_recall"):
            figures[f"batch{i}_role_types_{key}"] = batch["role_types"].get(key, 0.0)
    return {k: round(float(v), 4) for k, v in figures.items()}


def build_evaluation(
    settings: Settings,
) -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    """The evaluation asset and its targets check, or nothing when no reference is configured."""
    if not settings.eval_gold and not settings.eval_batches:
        return [], []
    batches = [parse_batch(b) for b in settings.eval_batches]

    @dg.asset(
        name="evaluation",
        group_name="evaluation",
        deps=["taxonomy"],
        pool=WAREHOUSE_POOL,
        kinds={"python"},
        description="Category, extraction and role-type quality against the configured references.",
    )
    def evaluation(roleprint: RoleprintConfig, warehouse: Warehouse) -> dg.MaterializeResult:
        result = evaluate(
            load_taxonomy(roleprint.taxonomy_path),
            gold=settings.eval_gold,
            batches=batches,
            extractor=roleprint.extractor,
            category_classifier=roleprint.category_classifier,
            role_type_classifier=roleprint.role_type_classifier,
        )
        out = settings.data_dir / "evaluation"
        out.mkdir(parents=True, exist_ok=True)
        (out / "latest.json").write_text(
            json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8"
        )
        rows = [
            {**row, "taxonomy": result["taxonomy"], "target": TARGETS.get(row["metric"])}
            for row in quality_figures(result)
        ]
        with warehouse.connect() as con:
            # only the latest evaluation is kept: the report describes the current method
            replace_rows(
                con,
                "meta.evaluation_results",
                pl.DataFrame(rows, schema=EVALUATION_SCHEMA),
                "TRUE",
            )
        return dg.MaterializeResult(
            metadata={
                "tables": dg.MetadataValue.md(f"```\n{format_tables(result)}\n```"),
                "json": dg.MetadataValue.path(str(out / "latest.json")),
                "targets": dg.MetadataValue.json(TARGETS),
                "below_target": dg.MetadataValue.json(result["target_failures"]),
                **_key_figures(result),
            }
        )

    @dg.asset_check(
        asset=evaluation, blocking=False, description="Every evaluation figure meets its target."
    )
    def evaluation_targets() -> dg.AssetCheckResult:
        result = json.loads(
            (settings.data_dir / "evaluation" / "latest.json").read_text(encoding="utf-8")
        )
        failures = result["target_failures"]
        return dg.AssetCheckResult(
            passed=not failures,
            severity=dg.AssetCheckSeverity.WARN,
            description="all targets met" if not failures else "; ".join(failures),
            metadata={"below_target": failures},
        )

    return [evaluation], [evaluation_targets]

"""Stage 4, classify: the taxonomy, responsibility labels and posting role types."""

import dagster as dg
import polars as pl

from pipeline.classify import get_category_classifier, get_role_type_classifier
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.warehouse import read_batch, replace_batch, replace_rows


def taxonomy_frames(taxonomy: Taxonomy) -> tuple[pl.DataFrame, pl.DataFrame]:
    categories = pl.DataFrame(
        [
            {
                "taxonomy": taxonomy.name,
                "taxonomy_version": taxonomy.version,
                "category": c.id,
                "sort_order": i,
                "name": c.name,
                "problem": c.problem,
                "what_people_do": list(c.what_people_do),
                "core_challenge": c.core_challenge,
            }
            for i, c in enumerate(taxonomy.categories)
        ],
        schema_overrides={"what_people_do": pl.List(pl.String), "sort_order": pl.Int32},
    )
    subpatterns = pl.DataFrame(
        [
            {
                "taxonomy_version": taxonomy.version,
                "category": c.id,
                "subpattern": s.id,
                "sort_order": j,
                "name": s.name,
                "description": s.description,
            }
            for c in taxonomy.categories
            for j, s in enumerate(c.subpatterns)
        ],
        schema={
            "taxonomy_version": pl.String,
            "category": pl.String,
            "subpattern": pl.String,
            "sort_order": pl.Int32,
            "name": pl.String,
            "description": pl.String,
        },
    )
    return categories, subpatterns


@dg.multi_asset(
    group_name="classify",
    pool=WAREHOUSE_POOL,
    specs=[
        dg.AssetSpec(
            "taxonomy",
            kinds={"yaml", "duckdb"},
            description="The versioned taxonomy's categories: problem, what people do, core challenge.",
            metadata={"table": "clean.taxonomy_categories"},
        ),
        dg.AssetSpec(
            "taxonomy_subpatterns",
            kinds={"duckdb"},
            description="The taxonomy's sub-patterns within each category.",
            metadata={"table": "clean.taxonomy_subpatterns"},
        ),
    ],
)
def taxonomy(roleprint: RoleprintConfig, warehouse: Warehouse):
    tax = load_taxonomy(roleprint.taxonomy_path)
    categories, subpatterns = taxonomy_frames(tax)
    with warehouse.connect() as con:
        replace_rows(con, "clean.taxonomy_categories", categories, "TRUE")
        replace_rows(con, "clean.taxonomy_subpatterns", subpatterns, "TRUE")
    yield dg.MaterializeResult(
        asset_key="taxonomy",
        metadata={"taxonomy": tax.label, "dagster/row_count": categories.height},
    )
    yield dg.MaterializeResult(
        asset_key="taxonomy_subpatterns",
        metadata={"taxonomy": tax.label, "dagster/row_count": subpatterns.height},
    )


@dg.asset(
    group_name="classify",
    pool=WAREHOUSE_POOL,
    deps=["responsibilities", "taxonomy"],
    kinds={"polars", "duckdb"},
    description="Up to three taxonomy categories per responsibility, best first, with score and evidence.",
    metadata={"table": "clean.responsibility_labels"},
)
def responsibility_labels(
    context: dg.AssetExecutionContext, roleprint: RoleprintConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    tax = load_taxonomy(roleprint.taxonomy_path)
    batch_id = warehouse.current_batch()
    with warehouse.connect() as con:
        items = read_batch(con, "clean.responsibilities", batch_id)
        classify = get_category_classifier(roleprint.category_classifier)
        labels = classify(items, tax).with_columns(batch_id=pl.lit(batch_id))
        replace_batch(con, "clean.responsibility_labels", labels, batch_id)
    primary = labels.filter(pl.col("rank") == 1)
    context.log.info(f"labelled {items.height} responsibilities with {tax.label}")
    return dg.MaterializeResult(
        metadata={
            "batch_id": batch_id,
            "classifier": tax.label,
            "dagster/row_count": labels.height,
            "responsibilities": items.height,
            "primary_other_share": round(float((primary["category"] == "other").mean() or 0.0), 4),
        }
    )


@dg.asset(
    group_name="classify",
    pool=WAREHOUSE_POOL,
    deps=["clean_postings", "responsibility_labels"],
    kinds={"polars", "duckdb"},
    description="Each posting's role type (AI-First / AI-Support / ML-First / unknown) with score, method and reason.",
    metadata={"table": "clean.posting_role_types"},
)
def posting_role_types(roleprint: RoleprintConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    batch_id = warehouse.current_batch()
    with warehouse.connect() as con:
        postings = read_batch(con, "clean.postings", batch_id)
        labels = read_batch(con, "clean.responsibility_labels", batch_id)
        typed = get_role_type_classifier(roleprint.role_type_classifier)(postings, labels)
        replace_batch(con, "clean.posting_role_types", typed, batch_id)
    return dg.MaterializeResult(
        metadata={
            "batch_id": batch_id,
            "dagster/row_count": typed.height,
            "split": dg.MetadataValue.json(
                dict(typed.group_by("role_type").len().sort("role_type").iter_rows())
            ),
        }
    )

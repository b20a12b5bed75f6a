"""Stage 4, classify: the taxonomy, responsibility labels and posting role types."""

import dagster as dg
import polars as pl

from pipeline.classify import (
    ROLE_TYPE_LABEL_COLUMNS,
    ROLE_TYPE_LABELS,
    ROLE_TYPE_POSTING_COLUMNS,
    get_category_classifier,
    get_role_type_classifier,
)
from pipeline.resources import WAREHOUSE_POOL, RoleprintConfig, Warehouse
from pipeline.taxonomy import Taxonomy, load_taxonomy
from pipeline.warehouse import (
    StageWriter,
    computed_chunks,
    log_chunk,
    pending_postings,
    read_postings,
    replace_rows,
    stage_fingerprint,
)


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
    fingerprint = stage_fingerprint(roleprint.category_classifier, tax.label, tax.content_hash)
    classify = get_category_classifier(roleprint.category_classifier)
    with warehouse.connect() as con:
        keys = pending_postings(con, "classify", fingerprint)
        items, labelled, primary_other = 0, 0, 0
        chunks = computed_chunks(
            keys,
            lambda part: read_postings(con, "clean.responsibilities", part),
            lambda found: (found.height, label_by_batch(found, tax, classify)),
        )
        with StageWriter(con, "classify", fingerprint, context.run_id, total=keys.height) as writer:
            for done, part, (chunk_items, labels) in chunks:
                writer.write(part, labels)
                items += chunk_items
                labelled += labels.height
                primary_other += labels.filter(
                    (pl.col("rank") == 1) & (pl.col("category") == "other")
                ).height
                log_chunk(context, "classify", done, part, keys)
        total = con.execute("SELECT count(*) FROM clean.responsibility_labels").fetchone()[0]
    context.log.info(f"labelled {items} new or changed responsibilities with {tax.label}")
    return dg.MaterializeResult(
        metadata={
            "classifier": tax.label,
            "processed_this_run": keys.height,
            "labels_this_run": labelled,
            "dagster/row_count": int(total),
            "responsibilities": items,
            "primary_other_share": round(primary_other / items, 4) if items else 0.0,
        }
    )


def label_by_batch(items: pl.DataFrame, tax: Taxonomy, classify) -> pl.DataFrame:
    """Labels of `items`; the classifier labels (posting_id, position) rows, so it is called
    once per batch to keep them unique."""
    parts = [
        classify(part, tax).with_columns(batch_id=pl.lit(batch))
        for (batch,), part in items.partition_by("batch_id", as_dict=True).items()
    ]
    if parts:
        return pl.concat(parts)
    return classify(items, tax).with_columns(batch_id=pl.lit(None, pl.String))


@dg.asset(
    group_name="classify",
    pool=WAREHOUSE_POOL,
    deps=["clean_postings", "responsibility_labels"],
    kinds={"polars", "duckdb"},
    description="Each posting's role type (AI-First / AI-Support / ML-First / unknown) with score, method and reason.",
    metadata={"table": "clean.posting_role_types"},
)
def posting_role_types(
    context: dg.AssetExecutionContext, roleprint: RoleprintConfig, warehouse: Warehouse
) -> dg.MaterializeResult:
    fingerprint = stage_fingerprint(roleprint.role_type_classifier)
    with warehouse.connect() as con:
        keys = pending_postings(con, "role_types", fingerprint)
        typed_rows = 0
        classify = get_role_type_classifier(roleprint.role_type_classifier)
        chunks = computed_chunks(
            keys,
            lambda part: (
                read_postings(con, "clean.postings", part, ROLE_TYPE_POSTING_COLUMNS),
                read_postings(
                    con,
                    "clean.responsibility_labels",
                    part,
                    ROLE_TYPE_LABEL_COLUMNS,
                    where=ROLE_TYPE_LABELS,
                ),
            ),
            lambda read: classify(*read),
        )
        with StageWriter(
            con, "role_types", fingerprint, context.run_id, total=keys.height
        ) as writer:
            for done, part, typed in chunks:
                writer.write(part, typed)
                typed_rows += typed.height
                log_chunk(context, "role types", done, part, keys)
        split = con.execute(
            "SELECT role_type, count(*) FROM clean.posting_role_types GROUP BY 1 ORDER BY 1"
        ).fetchall()
    return dg.MaterializeResult(
        metadata={
            "processed_this_run": typed_rows,
            "dagster/row_count": sum(n for _, n in split),
            "split": dg.MetadataValue.json(dict(split)),
        }
    )


# meta.posting_changes is written by every Python stage, each in the transaction of its own
# write (pipeline.warehouse.record_changes); dbt's incremental models read it. It has no step
# of its own, so it is declared here, downstream of the stages that write it, for lineage.
posting_changes = dg.AssetSpec(
    "posting_changes",
    group_name="classify",
    deps=["clean_postings", "responsibilities", "responsibility_labels", "posting_role_types"],
    kinds={"duckdb"},
    description=(
        "meta.posting_changes: per posting, the number of the last write that changed its "
        "derived rows; dbt's incremental models rebuild the postings changed since their last "
        "build. Written by the stages upstream, with their own rows."
    ),
    metadata={"table": "meta.posting_changes"},
)

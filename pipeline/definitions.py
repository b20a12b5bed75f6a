"""The roleprint code location: assets by stage, checks, job, schedule, sensor, resources."""

import dagster as dg

from pipeline.assets.checks import ALL_CHECKS
from pipeline.assets.classify import (
    posting_changes,
    posting_role_types,
    responsibility_labels,
    taxonomy,
)
from pipeline.assets.dbt import roleprint_dbt_models
from pipeline.assets.evaluation import build_evaluation
from pipeline.assets.extract import responsibilities
from pipeline.assets.ingest import ingest
from pipeline.assets.normalise import clean_postings
from pipeline.assets.report import build_report, published_warehouse
from pipeline.automation import inbox_sensor, nightly_schedule, refresh_job
from pipeline.resources import build_resources
from pipeline.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    eval_assets, eval_checks = build_evaluation(settings)
    return dg.Definitions(
        assets=[
            *eval_assets,
            ingest,
            clean_postings,
            responsibilities,
            taxonomy,
            responsibility_labels,
            posting_role_types,
            posting_changes,
            roleprint_dbt_models,
            build_report(settings),
            published_warehouse,
        ],
        asset_checks=[*ALL_CHECKS, *eval_checks],
        jobs=[refresh_job],
        schedules=[nightly_schedule(settings)],
        sensors=[inbox_sensor(settings)],
        resources=build_resources(settings),
        # one step at a time: DuckDB allows a single writer per file
        executor=dg.in_process_executor,
    )


settings = Settings.from_env()
defs = build_definitions(settings)

"""The job, the nightly schedule and the inbox sensor."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipeline.settings import Settings
from pipeline.sources.files import SUPPORTED_SUFFIXES

# Tags the runs this code location starts; dagster.yaml queues runs one at a time.
WRITER_TAGS = {"roleprint/writes": "warehouse"}

refresh_job = dg.define_asset_job(
    "refresh_warehouse",
    selection=dg.AssetSelection.all(),
    description="Ingest, normalise, extract, classify, build the marts, write the report, publish.",
    executor_def=dg.in_process_executor,
    tags=WRITER_TAGS,
)


def nightly_schedule(settings: Settings) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_refresh",
        job=refresh_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Refresh everything from the configured sources ({settings.schedule_cron}, UTC).",
    )


def inbox_files(inbox: Path) -> dict[str, float]:
    if not inbox.is_dir():
        return {}
    return {
        str(p): p.stat().st_mtime
        for p in sorted(inbox.rglob("*"))
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    }


def inbox_sensor(settings: Settings) -> dg.SensorDefinition:
    inbox = settings.inbox

    @dg.sensor(
        name="inbox_sensor",
        job=refresh_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Starts a refresh of the files that are new or changed in {inbox}.",
    )
    def _sensor(context: dg.SensorEvaluationContext):
        seen = json.loads(context.cursor) if context.cursor else {}
        current = inbox_files(inbox)
        new = sorted(path for path, mtime in current.items() if seen.get(path) != mtime)
        if not new:
            return dg.SkipReason(f"no new files in {inbox}")
        run_key = hashlib.sha256(json.dumps([[p, current[p]] for p in new]).encode()).hexdigest()[
            :16
        ]
        context.update_cursor(json.dumps(current))
        return dg.RunRequest(
            run_key=run_key,
            run_config={"ops": {"ingest": {"config": {"sources": [f"inbox={p}" for p in new]}}}},
            tags=WRITER_TAGS,
        )

    return _sensor

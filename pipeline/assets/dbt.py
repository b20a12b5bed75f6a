"""Stage 5, the warehouse models: dbt staging -> intermediate -> marts, one lineage graph."""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from pipeline.resources import (
    WAREHOUSE_POOL,
    RoleprintConfig,
    Warehouse,
    dbt_env_for,
    dbt_project,
)
from pipeline.warehouse import record_dbt_build, scope_dbt_tests


class RoleprintDbtTranslator(DagsterDbtTranslator):
    """Groups dbt models by their layer folder (staging / intermediate / marts); seeds apart."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "dbt_reference"
        fqn = dbt_resource_props.get("fqn", [])
        return f"dbt_{fqn[1]}" if len(fqn) > 2 else "dbt"


class DbtBuildConfig(dg.Config):
    """`full_refresh: true` rebuilds the incremental models from scratch (`dbt build
    --full-refresh`): after an upgrade that changes their columns, or to check that the
    incremental state matches a clean build. `unit_tests: true` also runs the dbt unit tests,
    which a run leaves to `make test` (see below)."""

    full_refresh: bool = False
    unit_tests: bool = False


translator = RoleprintDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    # dbt is the only writer while it runs: no Python stage shares the file with it
    pool=WAREHOUSE_POOL,
)
def roleprint_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    roleprint: RoleprintConfig,
    warehouse: Warehouse,
    config: DbtBuildConfig,
):
    settings = roleprint.settings()
    # dbt's profile reads the warehouse path from the environment of the dbt process
    os.environ.update(dbt_env_for(settings))
    # one target folder per warehouse, kept between runs: dbt's partial-parse state is only
    # valid for the profile (warehouse path) it was written with, so a shared or per-run
    # folder would make every run parse the whole project again (~6 s)
    target = settings.data_dir / "dbt_target"
    # the file log at debug level doubles the time of ~270 small nodes; info keeps errors
    args = ["build", "--log-level-file", "info"]
    if not config.unit_tests:
        # unit tests check the models' SQL on fixed rows, not the data: they belong to
        # development and CI (`make test` builds with them), as dbt's docs advise, and the
        # data tests still run. 13 nodes fewer on every nightly build.
        args += ["--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        context.log.info("full refresh: the incremental models are rebuilt from scratch")
        args.append("--full-refresh")
    with warehouse.connect() as con:
        scoped, through = scope_dbt_tests(con, config.full_refresh)
    context.log.info(
        f"tests on the posting-keyed tables check the {scoped:,} postings changed since the "
        "last successful build (meta.postings_to_test)"
    )
    yield from dbt.cli(args, context=context, target_path=target.resolve()).stream()
    # only reached when every model and test passed: the next build tests what changes next
    with warehouse.connect() as con:
        record_dbt_build(con, context.run_id, through, config.full_refresh)

"""The dbt resource skips dagster-dbt's per-run start-up work it does not need."""

import importlib.metadata

import dagster_dbt.core.resource
from dagster_dbt import DbtCliResource
from packaging import version

from pipeline.resources import RoleprintDbtCli, dbt_executable, dbt_project


def test_the_overridden_members_still_exist_in_dagster_dbt():
    # the overrides are of private members: if an upgrade renames them, they silently stop
    # working, so this fails first
    assert "_cli_version" in vars(DbtCliResource)
    assert callable(DbtCliResource._initialize_dbt_core_adapter)


def test_dbt_version_comes_from_metadata_without_running_dbt(monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"ran a process: {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_subprocess)
    resource = RoleprintDbtCli(project_dir=dbt_project, dbt_executable=dbt_executable())
    assert resource._cli_version == version.parse(importlib.metadata.version("dbt-core"))
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_another_dbt_executable_is_asked_for_its_version(tmp_path):
    fake = tmp_path / "dbt"
    fake.write_text("#!/bin/sh\necho 'Core:\n  - installed: 9.8.7'\n")
    fake.chmod(0o755)
    resource = RoleprintDbtCli(project_dir=dbt_project, dbt_executable=str(fake))
    assert resource._cli_version == version.parse("9.8.7")


def test_the_warehouse_connection_checkpoints_less_often_than_duckdbs_default(tmp_path):
    import duckdb

    from pipeline.resources import CHECKPOINT_THRESHOLD, build_resources
    from pipeline.settings import Settings

    settings = Settings(data_dir=tmp_path, sources=())
    asked = "SELECT current_setting('checkpoint_threshold'), current_setting('memory_limit')"
    with build_resources(settings)["warehouse"].connect() as con:
        threshold, limit = con.execute(asked).fetchone()
    with duckdb.connect(":memory:") as default:
        default_threshold, _ = default.execute(asked).fetchone()
    with duckdb.connect(
        ":memory:", config={"checkpoint_threshold": CHECKPOINT_THRESHOLD}
    ) as wanted:
        wanted_threshold, _ = wanted.execute(asked).fetchone()
    assert default_threshold == "16.0 MiB"
    assert threshold == wanted_threshold
    assert limit == "1.8 GiB"  # the 2GB default memory limit, in DuckDB's units


def test_a_new_warehouse_stores_the_descriptions_compressed(tmp_path):
    """The file is created in the pinned DuckDB's storage format, the one in which the
    description columns' zstd applies (in DuckDB's default v0.10 format it is ignored)."""
    from pipeline.resources import build_resources
    from pipeline.settings import Settings

    settings = Settings(data_dir=tmp_path, sources=())
    long_text = "Build retrieval pipelines and evaluate them against labelled queries. " * 80
    with build_resources(settings)["warehouse"].connect() as con:
        con.execute(
            """INSERT INTO raw.postings (posting_id, source, source_uri, batch_id,
                   description_raw, description_format, raw_hash, ingested_at)
               SELECT 'p' || i, 's', 'u', 'b1', ? || i, 'text', 'h', TIMESTAMP '2026-11-01'
               FROM range(200) AS r(i)""",
            [long_text],
        )
        con.execute("CHECKPOINT")
        compressions = {
            c
            for (c,) in con.execute(
                """SELECT DISTINCT compression FROM pragma_storage_info('raw.postings')
                   WHERE column_name = 'description_raw' AND segment_type = 'VARCHAR'"""
            ).fetchall()
        }
        stored = con.execute("SELECT max(length(description_raw)) FROM raw.postings").fetchone()
    assert compressions == {"ZSTD"}
    assert stored[0] == len(long_text) + 3


def test_dbt_gets_its_own_memory_cap_from_the_environment(tmp_path):
    """dbt's DuckDB cap is ROLEPRINT_DBT_MEMORY_LIMIT (3GB by default), passed to the dbt
    process and read by the profile; the pipeline's own connection keeps its cap."""
    import yaml

    from pipeline.resources import dbt_env_for
    from pipeline.settings import DBT_PROJECT_DIR, Settings

    default = Settings.from_env({"ROLEPRINT_DATA_DIR": str(tmp_path)})
    assert (default.dbt_memory_limit, default.duckdb_memory_limit) == ("3GB", "2GB")
    settings = Settings.from_env(
        {"ROLEPRINT_DATA_DIR": str(tmp_path), "ROLEPRINT_DBT_MEMORY_LIMIT": "5GB"}
    )
    assert dbt_env_for(settings)["ROLEPRINT_DBT_MEMORY_LIMIT"] == "5GB"
    assert settings.duckdb_memory_limit == "2GB"
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    limit = profile["roleprint"]["outputs"]["dev"]["settings"]["memory_limit"]
    assert "env_var('ROLEPRINT_DBT_MEMORY_LIMIT'" in limit

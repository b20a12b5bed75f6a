"""The command line turns its options into the settings the pipeline reads."""

import os

import pytest

from pipeline.cli import _apply_args_to_env, build_parser
from pipeline.settings import Settings


def test_run_options_become_settings(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("ROLEPRINT_"):
            monkeypatch.delenv(name)
    args = build_parser().parse_args(
        [
            "run",
            "--source",
            "a=/x/2026-02-04/postings",
            "--source",
            "/y",
            "--data-dir",
            str(tmp_path),
            "--mapping",
            "a=/m.yaml",
            "--no-dedup",
            "--batch-id",
            "b7",
            "--reference-report",
            "/r/ref.md",
            "--eval-gold",
            "/g/gold.jsonl",
            "--eval-batch",
            "/p=/r",
        ]
    )
    # the CLI writes the environment the Dagster code location reads; restore it afterwards
    for name in (
        "ROLEPRINT_SOURCES",
        "ROLEPRINT_DATA_DIR",
        "ROLEPRINT_FIELD_MAPS",
        "ROLEPRINT_DEDUP",
        "ROLEPRINT_BATCH_ID",
        "ROLEPRINT_REFERENCE_REPORT",
        "ROLEPRINT_EVAL_GOLD",
        "ROLEPRINT_EVAL_BATCHES",
    ):
        monkeypatch.setenv(name, "")
    _apply_args_to_env(args)
    settings = Settings.from_env()
    assert [s.name for s in settings.sources] == ["a", "y"]
    assert settings.data_dir == tmp_path and settings.dedup is False and settings.batch_id == "b7"
    assert settings.field_maps == ("a=/m.yaml",)
    assert str(settings.reference_report) == "/r/ref.md"
    assert str(settings.eval_gold) == "/g/gold.jsonl" and settings.eval_batches == ("/p=/r",)


def test_unknown_command_is_an_error():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["explode"])


def test_rebuild_and_full_refresh_become_run_config():
    from dagster._config import validate_config

    from pipeline.cli import run_config_for
    from pipeline.definitions import defs

    assert run_config_for(rebuild=False, full_refresh=False) is None
    dbt_only = {"ops": {"roleprint_dbt_models": {"config": {"full_refresh": True}}}}
    assert run_config_for(rebuild=False, full_refresh=True) == dbt_only
    everything = run_config_for(rebuild=True, full_refresh=False)
    assert everything == {
        "ops": {
            "clean_postings": {"config": {"rebuild": True}},
            "roleprint_dbt_models": {"config": {"full_refresh": True}},
        }
    }
    # both are valid config for the job the CLI runs (a misspelt op or field would not be)
    config_type = defs.resolve_job_def("refresh_warehouse").run_config_schema.config_type
    for config in (dbt_only, everything):
        assert validate_config(config_type, config).success
    assert not validate_config(config_type, {"ops": {"roleprint_dbt": {}}}).success

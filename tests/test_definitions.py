"""The code location loads: every stage's asset, its checks, the job, schedule and sensor."""

import dagster as dg

from pipeline.definitions import build_definitions
from pipeline.settings import Settings

PYTHON_STAGES = {
    "raw_postings",
    "raw_quarantine",
    "raw_ingest_accounting",
    "clean_postings",
    "responsibilities",
    "taxonomy",
    "taxonomy_subpatterns",
    "responsibility_labels",
    "posting_role_types",
    "report",
    "published_warehouse",
}


def test_definitions_load(tmp_path):
    defs = build_definitions(Settings.from_env({"ROLEPRINT_DATA_DIR": str(tmp_path)}))
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys >= PYTHON_STAGES
    assert {"marts/category_frequency", "marts/role_type_split", "marts/word_frequency"} <= keys
    checks = {f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys}
    for stage in (
        "raw_postings",
        "clean_postings",
        "responsibilities",
        "responsibility_labels",
        "posting_role_types",
    ):
        assert f"{stage}:{stage}_suite" in checks
    assert any(c.startswith("marts/category_frequency:") for c in checks)
    # the Python stages feed dbt: one lineage graph
    staging = [k for k in graph.get_all_asset_keys() if k.path[0] == "staging"]
    assert staging and any(
        graph.get(k).parent_keys & {dg.AssetKey("clean_postings")} for k in staging
    )
    assert defs.resolve_schedule_def("nightly_refresh").cron_schedule == "0 2 * * *"
    assert defs.resolve_sensor_def("inbox_sensor")


def test_module_level_defs_use_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ROLEPRINT_SCHEDULE_CRON", "30 3 * * *")
    defs = build_definitions(Settings.from_env())
    assert defs.resolve_schedule_def("nightly_refresh").cron_schedule == "30 3 * * *"

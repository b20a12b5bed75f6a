"""Shared fixtures: the dbt manifest that `@dbt_assets` needs, and pipeline runs in tmp dirs."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import manifest_is_stale
from pipeline.settings import DBT_PROJECT_DIR
from tests.support import TwoBatches, build_two_batches


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """Parse the dbt project once per session when the manifest is missing or stale."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if manifest_is_stale():
        dbt = Path(sys.executable).parent / "dbt"
        subprocess.run(
            [
                str(dbt),
                "parse",
                "--quiet",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
            ],
            check=True,
        )
    return manifest


@pytest.fixture(scope="session")
def two_batches(tmp_path_factory) -> TwoBatches:
    """Two real runs on one warehouse (see `tests.support.build_two_batches`), shared by the
    report and the incremental-run tests."""
    return build_two_batches(tmp_path_factory.mktemp("two_batches"))

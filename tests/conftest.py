"""Shared fixtures: the dbt manifest that `@dbt_assets` needs, and pipeline runs in tmp dirs."""

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.settings import DBT_PROJECT_DIR


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """Parse the dbt project once per session if no manifest is there yet."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not manifest.exists():
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

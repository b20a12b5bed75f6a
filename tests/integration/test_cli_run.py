"""`roleprint run` as a user runs it: a separate process, its exit code and its messages."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_failed_run_exits_1_names_the_failed_step_and_keeps_nothing_half_published(tmp_path):
    taxonomy = tmp_path / "broken_taxonomy.yaml"
    taxonomy.write_text('taxonomy: broken\nversion: "1"\n', encoding="utf-8")  # no categories
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLEPRINT_", "DAGSTER_"))}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "run",
            "--data-dir",
            str(tmp_path / "data"),
            "--taxonomy",
            str(taxonomy),
            "--batch-id",
            "2026-05-01",
            "--timings",
            str(tmp_path / "timings.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "roleprint run FAILED: failed steps ['taxonomy']; failed checks []" in done.stderr
    assert "missing required field 'title'" in done.stderr
    assert not (tmp_path / "data" / "published").exists()
    assert not (tmp_path / "data" / "reports").exists()
    # the steps that finished are timed (what `roleprint bench` reads), the failed one is not
    timings = json.loads((tmp_path / "timings.json").read_text())
    assert "taxonomy" not in timings and timings["ingest"]["seconds"] > 0
    assert timings["ingest"]["start"] <= timings["ingest"]["end"]

"""`dagster dev` on 127.0.0.1 serves the code location: every asset, check, schedule and sensor."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.settings import PROJECT_DIR

pytestmark = pytest.mark.integration

QUERY = """
{
  assetNodes { assetKey { path } groupName
    assetChecksOrError { ... on AssetChecks { checks { name blocking } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes { name
    schedules { name cronSchedule executionTimezone }
    sensors { name } } } }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture
def ui(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path / "home"),
        "ROLEPRINT_DATA_DIR": str(tmp_path / "data"),
    }
    Path(env["DAGSTER_HOME"]).mkdir()
    dagster = Path(sys.executable).parent / "dagster"
    # its own session, so the webserver, daemon and code server stop together with the group
    proc = subprocess.Popen(
        [
            str(dagster),
            "dev",
            "-w",
            str(PROJECT_DIR / "workspace.yaml"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                data = graphql(port, QUERY)["data"]
                if data["assetNodes"]:
                    break
            except (OSError, KeyError, TypeError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"dagster dev did not serve the code location on 127.0.0.1:{port}"
                )
            time.sleep(2)
        yield port, data
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_ui_lists_assets_checks_schedule_and_sensor(ui):
    port, data = ui
    keys = {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]}
    assert {
        "raw_postings",
        "clean_postings",
        "responsibilities",
        "report",
        "marts/category_frequency",
    } <= keys
    checks = {
        c["name"]: c["blocking"]
        for n in data["assetNodes"]
        for c in n["assetChecksOrError"].get("checks", [])
    }
    assert checks["responsibilities_suite"] is True and checks["clean_postings_suite"] is True
    (repo,) = data["repositoriesOrError"]["nodes"]
    assert [(s["name"], s["cronSchedule"], s["executionTimezone"]) for s in repo["schedules"]] == [
        ("nightly_refresh", "0 2 * * *", "UTC")
    ]
    assert [s["name"] for s in repo["sensors"]] == ["inbox_sensor"]
    # not reachable on other interfaces: the server bound to loopback only
    with socket.socket() as s:
        s.settimeout(1)
        other = socket.gethostbyname(socket.gethostname())
        if not other.startswith("127."):
            assert s.connect_ex((other, port)) != 0

"""Job-board connectors against a real HTTP server on 127.0.0.1 serving each API's shape.

Payloads are written here after the APIs' published response schemas (fictional boards).
The server scripts failures per path: 5xx, 429 with Retry-After, a response slower than the
client's timeout, malformed JSON and a 404.
"""

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.settings import SourceSpec
from pipeline.sources.catalog import merged_map, source_types
from pipeline.sources.connectors import ConnectorError, HttpClient, land_board
from pipeline.sources.ingest import ingest_sources

pytestmark = pytest.mark.integration

GREENHOUSE = {
    "jobs": [
        {
            "id": 4011,
            "title": "AI Engineer",
            "company_name": "Lotmart",
            "location": {"name": "Lisbon, Portugal"},
            "updated_at": "2026-03-02T10:00:00-05:00",
            "first_published": "2026-03-01T09:00:00-05:00",
            "absolute_url": "https://example.test/jobs/4011",
            "content": "&lt;p&gt;Build retrieval for auction search &amp;amp; ranking&lt;/p&gt;",
        }
    ],
    "meta": {"total": 1},
}
LEVER = [
    {
        "id": f"lv-{i}",
        "text": f"ML Engineer {i}",
        "categories": {"location": "Remote", "team": "AI"},
        "createdAt": 1772000000000 + i,
        "description": f"<p>Train ranking models, batch {i}</p>",
        "hostedUrl": f"https://example.test/lever/{i}",
    }
    for i in range(5)
]
ASHBY = {
    "apiVersion": "1",
    "jobs": [
        {
            "id": "as-1",
            "title": "Applied AI Engineer",
            "location": "Berlin",
            "publishedAt": "2026-02-20T08:00:00.000+00:00",
            "descriptionHtml": "<ul><li>Ship agents</li></ul>",
            "isListed": True,
        }
    ],
}


class Board(BaseHTTPRequestHandler):
    # path -> list of scripted responses, consumed in order; the last one repeats
    script: dict[str, list[tuple]] = {}
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        self.hits.append(self.path)
        responses = self.script.get(self.path.split("?")[0], [(404, b"{}")])
        status, body, *extra = responses.pop(0) if len(responses) > 1 else responses[0]
        if extra and extra[0] == "slow":
            time.sleep(1.0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 429:
            self.send_header("Retry-After", "0")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):  # keep the test output quiet
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Board)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Board.hits = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def client(**kw) -> HttpClient:
    sleeps: list[float] = []
    c = HttpClient(
        timeout=0.5, retries=3, backoff=0.01, min_interval=0.0, sleep=sleeps.append, **kw
    )
    c.sleeps = sleeps  # type: ignore[attr-defined]
    return c


def ok(payload) -> tuple:
    return (200, json.dumps(payload).encode())


def ingest(api_type: str, landing, name="board"):
    spec = SourceSpec(name, landing)
    maps = {name: merged_map(source_types()[api_type])}
    return ingest_sources([spec], "b1", datetime(2026, 3, 3), field_maps=maps)


def test_greenhouse_after_a_server_error_and_a_429(server, tmp_path):
    Board.script = {
        "/v1/boards/lotmart/jobs": [(503, b"busy"), (429, b"slow down"), ok(GREENHOUSE)]
    }
    c = client()
    files = land_board("greenhouse", "lotmart", tmp_path / "land", c, base_url=server)
    assert len(files) == 1 and c.requests == 3
    assert json.loads(files[0].read_text()) == GREENHOUSE  # the raw response, as received
    assert Board.hits[0] == "/v1/boards/lotmart/jobs?content=true"
    result = ingest("greenhouse_board", tmp_path / "land")
    row = result.postings.row(0, named=True)
    assert (row["posting_id"], row["title"], row["location"]) == (
        "4011",
        "AI Engineer",
        "Lisbon, Portugal",
    )
    # entity-escaped HTML is decoded and read as HTML
    assert row["description_format"] == "html" and row["description_raw"].startswith("<p>Build")


def test_lever_lands_one_file_per_page_and_ingests(server, tmp_path):
    Board.script = {"/v0/postings/acme": [ok(LEVER)]}
    stamp = datetime(2026, 3, 3, tzinfo=UTC)
    files = land_board("lever", "acme", tmp_path / "land", client(), base_url=server, now=stamp)
    assert [f.name for f in files] == ["lever-acme-20260303T000000Z-p000.json"]
    assert "skip=0" in Board.hits[0] and "limit=100" in Board.hits[0]
    result = ingest("lever_postings", tmp_path / "land")
    assert result.totals()["loaded"] == 5
    row = result.postings.sort("posting_id").row(0, named=True)
    assert (row["title"], row["location"], str(row["posted_date"])) == (
        "ML Engineer 0",
        "Remote",
        "2026-02-25",
    )


def test_lever_pagination_with_a_small_limit(server, tmp_path):
    from pipeline.sources.connectors import lever_pages

    Board.script = {"/v0/postings/acme": [ok(LEVER[:2]), ok(LEVER[2:4]), ok(LEVER[4:])]}
    pages = list(lever_pages("acme", server, client(), limit=2))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [h.split("skip=")[1].split("&")[0] for h in Board.hits] == ["0", "2", "4"]


def test_ashby_shape_ingests(server, tmp_path):
    Board.script = {"/posting-api/job-board/fernwood": [ok(ASHBY)]}
    land_board("ashby", "fernwood", tmp_path / "land", client(), base_url=server)
    result = ingest("ashby_job_board", tmp_path / "land")
    row = result.postings.row(0, named=True)
    assert (row["posting_id"], row["title"], row["location"]) == (
        "as-1",
        "Applied AI Engineer",
        "Berlin",
    )
    assert str(row["posted_date"]) == "2026-02-20"


def test_a_slow_response_times_out_and_is_retried_then_gives_up(server, tmp_path):
    Board.script = {"/v1/boards/slow/jobs": [(200, b"{}", "slow")]}
    c = client()
    with pytest.raises(ConnectorError, match="gave up after 4 attempts"):
        land_board("greenhouse", "slow", tmp_path / "land", c, base_url=server)
    assert c.sleeps == [0.01, 0.02, 0.04]  # exponential backoff
    assert not (tmp_path / "land").exists()  # a failed fetch lands nothing


def test_malformed_json_and_not_found_are_clear_errors(server, tmp_path):
    Board.script = {"/v1/boards/broken/jobs": [(200, b"{not json")]}
    with pytest.raises(ConnectorError, match="not JSON"):
        land_board("greenhouse", "broken", tmp_path / "a", client(), base_url=server)
    with pytest.raises(ConnectorError, match="HTTP 404.*board token"):
        land_board("greenhouse", "nosuchboard", tmp_path / "b", client(), base_url=server)
    Board.script = {"/v0/postings/odd": [ok({"jobs": []})]}
    with pytest.raises(ConnectorError, match="expected a list"):
        land_board("lever", "odd", tmp_path / "c", client(), base_url=server)


def test_the_rate_limit_spaces_requests():
    slept: list[float] = []
    c = HttpClient(min_interval=5.0, sleep=slept.append)
    c._last = time.monotonic()  # a request was just made
    with pytest.raises(ConnectorError):
        c.retries = 0
        c.get_json("http://127.0.0.1:9/")  # port 9 (discard): refused at once
    assert slept and 4.0 < slept[0] <= 5.0


def test_an_ingest_run_fetches_api_sources_and_goes_on_when_one_board_fails(server, tmp_path):
    import duckdb
    import yaml

    from pipeline.settings import Settings
    from tests.support import execute

    Board.script = {"/v1/boards/lotmart/jobs": [ok(GREENHOUSE)]}  # `gone` gets a 404
    sources_file = tmp_path / "sources.yaml"
    entries = [
        {"name": "lotmart", "api": "greenhouse", "board": "lotmart", "base_url": server},
        {"name": "gone", "api": "greenhouse", "board": "gone", "base_url": server},
    ]
    sources_file.write_text(yaml.safe_dump({"sources": entries}))
    data = tmp_path / "data"
    settings = Settings.from_env(
        {"ROLEPRINT_SOURCES_FILE": str(sources_file), "ROLEPRINT_DATA_DIR": str(data)}
    )
    assert [s.name for s in settings.sources] == ["lotmart", "gone"]
    result = execute(settings, ["raw_postings", "raw_quarantine", "raw_ingest_accounting"])
    assert result.success
    mat = [
        m.materialization
        for m in result.get_asset_materialization_events()
        if m.asset_key.to_user_string() == "raw_postings"
    ][0]
    assert (
        "gone: " in mat.metadata["api_fetch_failures"].value
        and "HTTP 404" in mat.metadata["api_fetch_failures"].value
    )
    with duckdb.connect(str(data / "warehouse" / "roleprint.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT source, posting_id, title, source_file FROM raw.postings"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("lotmart", "4011", "AI Engineer")]
    assert rows[0][3].startswith(str(data / "landing" / "lotmart"))

"""Job-board API connectors: Greenhouse, Lever and Ashby public posting APIs.

A connector fetches a board's postings and lands each response, as received, in a JSON file
under the data dir (lineage: the raw response is kept). The ingest then reads the landed files
like any other source, with the board's source type mapping (`source_types.yaml`), so change
detection, quarantine and accounting are the same as for files.

HTTP: a timeout per request, retries with exponential backoff on connection errors, timeouts,
429 and 5xx (honouring Retry-After), a minimum interval between requests (rate limit), and a
clear error for malformed JSON or a 4xx. Only the standard library is used.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

DEFAULT_BASE_URLS = {
    "greenhouse": "https://boards-api.greenhouse.io",
    "lever": "https://api.lever.co",
    "ashby": "https://api.ashbyhq.com",
}
# the source type whose mapping reads each API's postings
SOURCE_TYPE = {
    "greenhouse": "greenhouse_board",
    "lever": "lever_postings",
    "ashby": "ashby_job_board",
}
RETRY_STATUS = {429, 500, 502, 503, 504}


class ConnectorError(RuntimeError):
    """A board could not be fetched; the message says which URL and why, and what to do."""


@dataclass
class HttpClient:
    timeout: float = 20.0
    retries: int = 4
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    min_interval: float = 0.5  # seconds between two requests (be polite to public APIs)
    sleep: Callable[[float], None] = time.sleep
    _last: float = field(default=0.0, repr=False)
    requests: int = field(default=0, repr=False)

    def get_json(self, url: str) -> Any:
        """GET and parse JSON, retrying what may pass; raises ConnectorError otherwise."""
        delay = self.backoff
        for attempt in range(self.retries + 1):
            wait = self.min_interval - (time.monotonic() - self._last)
            if wait > 0:
                self.sleep(wait)
            self._last = time.monotonic()
            self.requests += 1
            retry_after = None
            try:
                request = urllib.request.Request(url, headers={"Accept": "application/json"})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read()
                try:
                    return json.loads(body)
                except json.JSONDecodeError as exc:
                    raise ConnectorError(
                        f"{url}: the response is not JSON ({exc}); the API may have changed"
                    ) from exc
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_STATUS:
                    raise ConnectorError(
                        f"{url}: HTTP {exc.code} {exc.reason}; check the board token / company"
                    ) from exc
                problem = f"HTTP {exc.code}"
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                problem = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
            if attempt == self.retries:
                raise ConnectorError(
                    f"{url}: gave up after {attempt + 1} attempts (last: {problem}); "
                    "try again later or raise the timeout"
                )
            pause = float(retry_after) if retry_after and retry_after.isdigit() else delay
            self.sleep(pause)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


def _jobs_page(url: str, client: HttpClient) -> Iterator[Any]:
    """An API that returns every job in one response under "jobs"."""
    page = client.get_json(url)
    if not isinstance(page, dict) or not isinstance(page.get("jobs"), list):
        raise ConnectorError(f"{url}: expected {{'jobs': [...]}}, got {type(page).__name__}")
    yield page


def greenhouse_pages(board: str, base_url: str, client: HttpClient) -> Iterator[Any]:
    """Greenhouse: {"jobs": [...], "meta": {"total": N}}, no paging."""
    return _jobs_page(f"{base_url}/v1/boards/{quote(board)}/jobs?content=true", client)


def lever_pages(board: str, base_url: str, client: HttpClient, limit: int = 100) -> Iterator[Any]:
    """Lever pages with skip/limit and returns a bare list; a short page is the last."""
    skip = 0
    while True:
        query = urlencode({"mode": "json", "skip": skip, "limit": limit})
        url = f"{base_url}/v0/postings/{quote(board)}?{query}"
        page = client.get_json(url)
        if not isinstance(page, list):
            raise ConnectorError(f"{url}: expected a list of postings, got {type(page).__name__}")
        yield page
        if len(page) < limit:
            return
        skip += limit


def ashby_pages(board: str, base_url: str, client: HttpClient) -> Iterator[Any]:
    """Ashby's job board: {"apiVersion": ..., "jobs": [...]}, no paging."""
    url = f"{base_url}/posting-api/job-board/{quote(board)}?includeCompensation=true"
    return _jobs_page(url, client)


PAGERS = {"greenhouse": greenhouse_pages, "lever": lever_pages, "ashby": ashby_pages}


def land_board(
    api: str,
    board: str,
    landing_dir: Path,
    client: HttpClient | None = None,
    base_url: str | None = None,
    now: datetime | None = None,
) -> list[Path]:
    """Fetch every page of a board and write each response to `landing_dir` as received.

    Files are named by fetch time and page, so earlier fetches stay (lineage); the ingest's
    file manifest reads only new files, and unchanged postings in them count as unchanged.
    All pages are fetched before any file is written: a failed fetch lands nothing.
    """
    if api not in PAGERS:
        raise ConnectorError(f"unknown API {api!r}; known: {sorted(PAGERS)}")
    client = client or HttpClient()
    pages = list(PAGERS[api](board, base_url or DEFAULT_BASE_URLS[api], client))
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    landing_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for index, page in enumerate(pages):
        path = landing_dir / f"{api}-{board}-{stamp}-p{index:03d}.json"
        tmp = path.with_name(f".{path.name}.tmp")  # hidden: the ingest never lists it
        tmp.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written

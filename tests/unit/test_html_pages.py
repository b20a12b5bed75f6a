"""Job pages: schema.org JobPosting JSON-LD in its published shapes, and the text fallback.

Pages are written here, small and fictional.
"""

import json
from datetime import datetime

import pytest

from pipeline.settings import SourceSpec
from pipeline.sources.html import PageError, records_from_page
from pipeline.sources.ingest import ingest_sources

NOW = datetime(2026, 5, 1, 6, 0)
POSTING = {
    "@context": "https://schema.org",
    "@type": "JobPosting",
    "title": "Applied AI Engineer",
    "identifier": {"@type": "PropertyValue", "name": "Fernwood", "value": "A-17"},
    "hiringOrganization": {"@type": "Organization", "name": "Fernwood Labs"},
    "jobLocation": {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Porto",
            "addressRegion": "Porto District",
            "addressCountry": "PRT",
        },
    },
    "datePosted": "2026-04-02",
    "employmentType": "FULL_TIME",
    "description": "<p>You will:</p><ul><li>Build retrieval over manuals</li></ul>",
}


def page(
    *scripts: str, body: str = "<p>Apply now</p>", type_attr: str = "application/ld+json"
) -> str:
    tags = "".join(f'<script type="{type_attr}">{s}</script>' for s in scripts)
    return f"<html><head><title>Jobs</title>{tags}</head><body>{body}</body></html>"


def test_a_single_job_posting_maps_onto_the_canonical_fields():
    ((locator, record),) = records_from_page(page(json.dumps(POSTING)))
    assert locator == "jobposting 0"
    assert record["id"] == "A-17" and record["title"] == "Applied AI Engineer"
    assert record["company"] == "Fernwood Labs"
    assert record["location"] == "Porto, Porto District, PRT"
    assert record["posted_date"] == "2026-04-02"
    assert record["description"].startswith("<p>You will:")
    assert record["employmentType"] == "FULL_TIME"  # kept, goes to `extra`


def test_graph_arrays_lists_and_several_scripts_are_all_searched():
    other = {**POSTING, "identifier": "B-2", "title": "ML Engineer"}
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, POSTING]}
    found = records_from_page(
        page(json.dumps(graph), json.dumps([{"@type": "Organization"}, other]))
    )
    assert [r["id"] for _, r in found] == ["A-17", "B-2"]
    assert [loc for loc, _ in found] == ["jobposting 0", "jobposting 1"]


def test_html_escaped_json_and_an_escaped_type_attribute_are_read():
    escaped = json.dumps(POSTING).replace('"', "&quot;")
    ((_, record),) = records_from_page(page(escaped, type_attr="application/ld&#x2B;json"))
    assert record["title"] == "Applied AI Engineer"


def test_remote_postings_and_several_places():
    remote = {**POSTING, "jobLocationType": "TELECOMMUTE", "jobLocation": None}
    remote["applicantLocationRequirements"] = {"@type": "Country", "name": "Portugal"}
    ((_, record),) = records_from_page(page(json.dumps(remote)))
    assert record["location"] == "Remote"
    places = {
        **POSTING,
        "jobLocation": [POSTING["jobLocation"], {"address": {"addressLocality": "Lisbon"}}],
    }
    ((_, record),) = records_from_page(page(json.dumps(places)))
    assert record["location"] == "Porto, Porto District, PRT; Lisbon"


def test_without_json_ld_the_page_text_is_the_fallback():
    body = (
        "<nav>Home | Jobs</nav><main><h1>Data Engineer</h1><p>Responsibilities</p>"
        "<ul><li>Own the ingestion pipelines</li></ul></main><footer>(c) Acme</footer>"
    )
    html = page(body=body).replace(
        "<head>", '<head><meta property="og:site_name" content="Acme &amp; Co">'
    )
    ((locator, record),) = records_from_page(html)
    assert locator == "page" and record["title"] == "Data Engineer"
    assert record["company"] == "Acme & Co"
    assert "Own the ingestion pipelines" in record["description"]
    assert "Home | Jobs" not in record["description"] and "(c) Acme" not in record["description"]


def test_a_page_with_nothing_readable_is_an_error_naming_the_broken_block():
    with pytest.raises(PageError, match="no JobPosting JSON-LD.*JSON-LD block 0"):
        records_from_page(page('{"@type": "JobPosting", "title": ', body=""))


def test_html_files_ingest_and_a_broken_page_is_quarantined(tmp_path):
    (tmp_path / "good.html").write_text(page(json.dumps(POSTING)), encoding="utf-8")
    (tmp_path / "empty.html").write_text("<html><body>  </body></html>", encoding="utf-8")
    result = ingest_sources([SourceSpec("pages", tmp_path)], "b1", NOW)
    assert result.totals()["loaded"] == 1 and result.totals()["quarantined"] == 1
    row = result.postings.row(0, named=True)
    assert (row["posting_id"], row["description_format"]) == ("A-17", "html")
    assert "employmentType" in row["extra"]
    assert "no JobPosting JSON-LD" in result.quarantine["reason"][0]

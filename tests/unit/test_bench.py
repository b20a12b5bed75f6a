"""The benchmark's parts: the synthetic generator, what the ingest makes of its files, the
process-tree memory sampler and the bench table."""

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import polars as pl

from pipeline.bench.runner import RunMeasure, ScaleResult, growth_exponent, table, tree_rss_bytes
from pipeline.bench.synthetic import postings, write_postings
from pipeline.settings import SourceSpec
from pipeline.sources.ingest import ingest_sources


def test_the_generator_is_seeded_and_realistic_in_length_format_and_mix():
    first = postings(400, seed=3)
    assert first.equals(postings(400, seed=3))
    assert not first.equals(postings(400, seed=4))
    text = first["description"].drop_nulls()
    assert 3500 <= text.str.len_chars().mean() <= 6500  # about 5 KB, as the issue asks
    assert text.str.contains("<li>").any() and text.str.contains("\n- ").any()
    assert text.str.contains("\u2022 ").any()  # plain-text bullets too
    assert set(first["file_format"]) == {"jsonl", "json", "csv", "html", "yaml"}
    # reposts: some descriptions occur twice under different ids
    assert text.is_duplicated().any() and first["id"].n_unique() == first.height


def test_every_generated_record_is_loaded_quarantined_or_a_duplicate(tmp_path):
    made = write_postings(postings(300, seed=5), tmp_path / "synthetic", seed=5)
    assert made.postings == 300 and made.files >= 5
    result = ingest_sources([SourceSpec("synthetic", made.path)], "b1", datetime(2026, 11, 1))
    totals = result.totals()
    assert totals["records_read"] >= 300  # plus the malformed lines the JSONL files carry
    assert totals["records_read"] == (
        totals["loaded"] + totals["quarantined"] + totals["duplicates"] + totals["unchanged"]
    )
    assert totals["loaded"] >= 290
    # every file format was read, with its own field names
    loaded = result.postings
    assert loaded["source_uri"].str.extract(r"\.(\w+)(#|$)", 1).n_unique() == 5
    assert loaded["title"].null_count() == 0 and loaded["company"].null_count() == 0
    assert (loaded["description_format"] == "html").any()


def _own_rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_tree_rss_counts_the_children_of_a_process():
    # the child fills 64 MB (every page touched) and says so before it is measured; this
    # process's own RSS is read at the same moment, so neither a slow child start nor this
    # process's own memory changing in between can decide the outcome
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; x = bytearray(b'x' * (64 << 20)); print('ready', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout.readline().strip() == b"ready"
        tree, own = tree_rss_bytes(os.getpid()), _own_rss_bytes()
        assert tree - own >= 48 << 20
    finally:
        child.kill()
        child.wait()
    assert tree_rss_bytes(2**22 + 12345) == 0  # no such process: nothing, no error


def _measure(label: str, n: int, seconds: float) -> RunMeasure:
    stages = {"ingest": seconds * 0.1, "normalise": seconds * 0.2, "dbt": seconds * 0.3}
    return RunMeasure(label, n, seconds, 2 << 30, 5 << 20, stages, 0.5, 0, n * 10, 0.8)


def test_the_bench_table_gives_medians_rates_and_growth():
    small = ScaleResult(1000, {}, [_measure("1000", 1000, s) for s in (10.0, 12.0, 30.0)])
    large = ScaleResult(10_000, {}, [_measure("10000", 10_000, 100.0)])
    text = table([small, large], [_measure("+100 onto 10,000", 100, 4.0)])
    lines = {line.split(" | ")[0]: line for line in text.splitlines()}
    # the median of 10, 12 and 30 s, and postings per second from it
    assert "12.0 s (83/s)" in lines["| end to end"]
    assert "100.0 s (100/s)" in lines["| end to end"] and "4.0 s (25/s)" in lines["| end to end"]
    assert "2.0 GiB" in lines["| peak RSS (process tree)"]
    assert "| normalise + extract + classify" in lines
    assert round(growth_exponent(small, large), 2) == 0.92
    assert pl.Series(text.splitlines()).str.count_matches(r"\|").n_unique() == 1  # well-formed

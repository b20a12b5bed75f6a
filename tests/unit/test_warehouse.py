"""The warehouse file operations: atomic publish with real DuckDB files; chunked stages."""

import duckdb
import polars as pl
import pytest

from pipeline import warehouse
from pipeline.warehouse import publish


def make_db(path, value: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE OR REPLACE TABLE t AS SELECT ? AS v", [value])


def read_v(path) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT v FROM t").fetchone()[0]


def test_publish_replaces_the_snapshot_and_clears_a_killed_publish(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "pub" / "roleprint.duckdb"
    make_db(work, 1)
    publish(work, published)
    assert read_v(published) == 1
    # what a publish killed between copy and rename leaves behind
    stale = published.with_name(f".{published.name}.99999.tmp")
    stale.write_bytes(b"half a copy")
    make_db(work, 2)
    publish(work, published)
    assert read_v(published) == 2
    assert sorted(p.name for p in published.parent.iterdir()) == ["roleprint.duckdb"]


def test_a_reader_keeps_its_snapshot_while_a_new_one_is_published(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "roleprint.duckdb"
    make_db(work, 1)
    publish(work, published)
    with duckdb.connect(str(published), read_only=True) as reader:
        make_db(work, 2)
        publish(work, published)
        # the open connection still reads the file it opened, whole
        assert reader.execute("SELECT v FROM t").fetchone()[0] == 1
    assert read_v(published) == 2


def test_computed_chunks_keep_order_and_read_in_the_callers_thread(monkeypatch):
    """Chunks are computed in worker threads but read, and yielded, in order in the
    caller's thread; no more than `workers` chunks are in flight at once."""
    import threading
    import time

    monkeypatch.setattr(warehouse, "CHUNK_POSTINGS", 3)
    keys = pl.DataFrame({"batch_id": ["b"] * 10, "posting_id": [f"p{i:02d}" for i in range(10)]})
    caller = threading.get_ident()
    readers, computers, in_flight, peak = set(), set(), [0], [0]
    lock = threading.Lock()

    def read(part):
        readers.add(threading.get_ident())
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        return part["posting_id"].to_list()

    def compute(ids):
        computers.add(threading.get_ident())
        time.sleep(0.01 if ids[0] == "p00" else 0)  # the first chunk finishes last
        return [i.upper() for i in ids]

    seen = []
    for number, part, result in warehouse.computed_chunks(keys, read, compute, workers=2):
        assert result == [i.upper() for i in part["posting_id"].to_list()]
        seen.append(number)
        with lock:
            in_flight[0] -= 1
    assert seen == [1, 2, 3, 4]
    assert readers == {caller}
    assert caller not in computers
    assert peak[0] <= 2


def test_computed_chunks_raise_a_workers_error():
    keys = pl.DataFrame({"batch_id": ["b"], "posting_id": ["p1"]})

    def compute(_):
        raise ValueError("bad chunk")

    with pytest.raises(ValueError, match="bad chunk"):
        list(warehouse.computed_chunks(keys, lambda part: part, compute))
